"""`refurb --version` / `--help` start-up against `python -c "import typer, rich"`.

Target: each ≤ 1.3× the reference, and no SQLAlchemy imported.
Run: python benchmarks/foundation_startup.py
"""

from __future__ import annotations

import subprocess

from _common import PY, env_with, interleaved


def main() -> int:
    env = env_with()
    medians = interleaved(
        {
            "reference: import typer, rich": [PY, "-c", "import typer, rich"],
            "refurb --version": [PY, "-m", "refurb", "--version"],
            "refurb --help": [PY, "-m", "refurb", "--help"],
        },
        runs=21,
        env=env,
    )
    ref = medians["reference: import typer, rich"]
    ok = True
    for name, value in medians.items():
        ratio = value / ref
        print(f"{name:34s} {value * 1000:7.1f} ms  {ratio:4.2f}x")
        if name != "reference: import typer, rich" and ratio > 1.3:
            ok = False
    heavy = subprocess.run(
        [
            PY,
            "-c",
            "import sys; from refurb.cli import main; import contextlib, io;\n"
            "with contextlib.redirect_stdout(io.StringIO()): main(['--help'])\n"
            "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'alembic', 'PIL', 'fpdf', "
            "'cryptography', 'cpuinfo', 'jc') if m in sys.modules))",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"heavy modules imported by --help: {heavy}")
    ok = ok and heavy == "[]"
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
