"""How fast `refurb os record --iso` hashes an image, against coreutils `sha256sum`, in one run.

Writes a file of random bytes (1 GiB by default, the size of a small installer ISO; Linux Mint is
about 2.8 GiB), reads it once so both tools find it in the page cache, then times `sha256sum` and
refurb's ``hash_file`` (with a progress callback, as the command runs it) in alternating rounds
and compares the best round of each. The goal: refurb at least 0.9x the speed of sha256sum.

    python benchmarks/os_hash.py [--size-mib 1024] [--rounds 3] [--dir DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from refurb.osinstall import hash_file  # noqa: E402

GOAL = 0.9


def write_random(path: Path, size: int) -> None:
    block = os.urandom(16 * 1024 * 1024)
    with path.open("wb") as fh:
        left = size
        while left > 0:
            n = min(left, len(block))
            fh.write(block[:n])
            left -= n
            block = block[1:] + block[:1]  # not one repeated block


def time_sha256sum(path: Path) -> tuple[float, str]:
    t0 = time.perf_counter()
    out = subprocess.run(["sha256sum", str(path)], capture_output=True, text=True, check=True)
    return time.perf_counter() - t0, out.stdout.split()[0]


def time_refurb(path: Path) -> tuple[float, str]:
    calls = 0

    def progress(done: int, total: int) -> None:
        nonlocal calls
        calls += 1

    t0 = time.perf_counter()
    digest = hash_file(path, progress)
    elapsed = time.perf_counter() - t0
    assert calls > 0
    return elapsed, digest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="where to write the test file")
    args = parser.parse_args()

    size = args.size_mib * 1024 * 1024
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = Path(tmp) / "image.iso"
        write_random(path, size)
        time_sha256sum(path)  # warm the page cache for both
        ours, theirs = [], []
        for _ in range(args.rounds):
            t, reference = time_sha256sum(path)
            theirs.append(t)
            t, digest = time_refurb(path)
            ours.append(t)
            if digest != reference:
                print(f"MISMATCH: refurb {digest} != sha256sum {reference}")
                return 1
    mib = size / 2**20
    best_ours, best_theirs = min(ours), min(theirs)
    ratio = best_theirs / best_ours
    print(f"file: {mib:.0f} MiB, {args.rounds} rounds, same digest every round")
    print(f"sha256sum : best {best_theirs:.3f} s  {mib / best_theirs:8.1f} MiB/s  "
          f"(rounds: {', '.join(f'{t:.3f}' for t in theirs)})")  # fmt: skip
    print(f"refurb    : best {best_ours:.3f} s  {mib / best_ours:8.1f} MiB/s  "
          f"(rounds: {', '.join(f'{t:.3f}' for t in ours)})")  # fmt: skip
    print(f"speed ratio refurb / sha256sum: {ratio:.2f}x (goal >= {GOAL}x): "
          + ("PASS" if ratio >= GOAL else "FAIL"))  # fmt: skip
    return 0 if ratio >= GOAL else 2


if __name__ == "__main__":
    raise SystemExit(main())
