"""The ``refurb`` command and ``python -m refurb``.

``refurb --version`` is answered here, before the command tree (Typer and every command module)
is built: a script asking for the version should not pay for the whole CLI.
"""

from __future__ import annotations

import sys


def main() -> int:
    """Console-script entry point; returns the exit status."""
    if sys.argv[1:] == ["--version"]:
        from refurb import __version__

        sys.stdout.write(f"refurb {__version__}\n")
        return 0
    from refurb.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    raise SystemExit(main())
