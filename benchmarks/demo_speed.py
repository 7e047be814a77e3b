"""`refurb demo` end to end (init, probe, erase and verify a 16 MiB image, OS record, grade,
label, signed certificate) against `refurb --version` start-up, in the same run.

Targets: the whole demo ≤ 15 s of wall time on this machine, and ≤ 60× the start-up of
`refurb --version` (the same bound in start-ups, so a loaded machine does not hide a slow demo).
Run: python benchmarks/demo_speed.py        (as root it erases through a loop device)
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from _common import PY, env_with

WALL_LIMIT_S = 15.0
RATIO_LIMIT = 60.0


def _timed(argv: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="refurb-bench-demo-"))
    env = env_with(REFURB_HOME=str(work / "unused-home"))
    demo_times, version_times = [], []
    try:
        _timed([PY, "-m", "refurb", "--version"], env)  # warm the bytecode cache
        # The first demo compiles the bytecode of SQLAlchemy, Pillow, fpdf2...: pip does that
        # when it installs refurb, so it is shown but not judged.
        cold = _timed([PY, "-m", "refurb", "demo", "--dir", str(work / "cold"), "--json"], env)
        for n in range(3):
            for _ in range(3):
                version_times.append(_timed([PY, "-m", "refurb", "--version"], env))
            folder = work / f"run{n}"
            demo_times.append(
                _timed([PY, "-m", "refurb", "demo", "--dir", str(folder), "--json"], env)
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    demo = statistics.median(demo_times)
    version = statistics.median(version_times)
    ratio = demo / version
    wall_ok = demo <= WALL_LIMIT_S
    ratio_ok = ratio <= RATIO_LIMIT
    print(f"refurb demo, first run        {cold:8.2f} s   (compiling bytecode; not judged)")
    print(f"refurb --version              {version * 1000:8.1f} ms")
    print(
        f"refurb demo (median of 3)     {demo:8.2f} s   runs: "
        + ", ".join(f"{t:.2f}" for t in demo_times)
    )
    print(f"demo wall time <= {WALL_LIMIT_S:.0f} s          {'PASS' if wall_ok else 'FAIL'}")
    print(
        f"demo / --version = {ratio:5.1f}x <= {RATIO_LIMIT:.0f}x  {'PASS' if ratio_ok else 'FAIL'}"
    )
    return 0 if wall_ok and ratio_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
