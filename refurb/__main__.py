from refurb.cli import main

raise SystemExit(main())
