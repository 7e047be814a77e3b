"""Run every benchmark script and print one table of their figures and verdicts.

Each script measures its own ratios against a reference in the same run and exits non-zero on a
FAIL; this only runs them one after another (never side by side: they would disturb each other)
and gathers the lines that carry a verdict.

Run: python benchmarks/run.py [NAME ...]      (names without .py; default: all of them)
Exit status: 0 when every script passed, 1 when one failed or could not run.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP = {"_common", "run"}
VERDICT = re.compile(r"\b(PASS|FAIL|ok)\b")


def scripts(names: list[str]) -> list[Path]:
    found = sorted(p for p in HERE.glob("*.py") if p.stem not in SKIP)
    if names:
        wanted = set(names)
        unknown = wanted - {p.stem for p in found}
        if unknown:
            raise SystemExit(f"run.py: no benchmark named {', '.join(sorted(unknown))}")
        found = [p for p in found if p.stem in wanted]
    return found


def main(argv: list[str]) -> int:
    rows: list[tuple[str, str, float, list[str]]] = []
    for script in scripts(argv):
        print(f"== {script.stem}", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, cwd=HERE.parent
        )
        took = time.perf_counter() - t0
        lines = [ln.rstrip() for ln in proc.stdout.splitlines() if VERDICT.search(ln)]
        verdict = "PASS" if proc.returncode == 0 else f"FAIL (exit {proc.returncode})"
        if proc.returncode != 0 and not lines:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            lines = tail
        rows.append((script.stem, verdict, took, lines))
    width = max((len(name) for name, *_ in rows), default=10)
    print(f"{'benchmark':<{width}}  {'verdict':<16} {'seconds':>8}")
    for name, verdict, took, lines in rows:
        print(f"{name:<{width}}  {verdict:<16} {took:8.1f}")
        for line in lines:
            print(f"{'':<{width}}    {line.strip()}")
    failed = [name for name, verdict, *_ in rows if verdict != "PASS"]
    print("PASS" if not failed else f"FAIL: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
