"""How fast refurb erases and verifies, against dd and nwipe on the same loop device, one run.

Run as root from the repository:

    python benchmarks/wipe_speed.py [--size-gib 1] [--rounds 3] [--dir /var/tmp] [--no-nwipe]

A loop device (``--direct-io=on``) over a file on a real disk (not tmpfs) is written and read
alternately by the reference and by ``refurb wipe run`` (a subprocess, exactly as a user runs
it), ``--rounds`` times; the medians are compared:

- ``zero`` write       >= 0.9  x  ``dd if=/dev/zero bs=4M oflag=direct``
- ``prng`` write       >= 0.85 x  the same dd
- ``full`` verify      >= 0.9  x  ``dd iflag=direct bs=4M of=/dev/null``
- the AES-CTR keystream alone, one core: >= 4 GB/s
- ``zero`` write       >= 10   x  Debian's nwipe (``-m zero --verify=off``) on the same device
- peak memory (RSS) of ``refurb wipe run`` < 100 MB

refurb's speeds are the ones in its erasure record (bytes / seconds of the write pass and of the
verification); dd's are what dd reports; nwipe's come from its log (start and end of its
pass). dd and nwipe run in every round, alternating with refurb, and the medians are compared.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from refurb.wipe.blockio import CHUNK, AlignedBuffer  # noqa: E402
from refurb.wipe.patterns import AesCtrPattern  # noqa: E402

GB = 1e9


def sh(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kwargs)


def dd_rate(argv: list[str], size: int) -> float:
    """Bytes per second as dd itself reports it (its own clock, without process start)."""
    err = sh(argv).stderr
    match = re.search(r"copied, ([0-9.,]+) s", err)
    if not match:
        raise RuntimeError(f"cannot read dd's time from: {err!r}")
    return size / float(match.group(1).replace(",", "."))


def prng_alone(seconds: float = 2.0) -> float:
    """The keystream generator on one core, into an aligned 4 MiB buffer."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    pattern = AesCtrPattern.random(128)
    buf = AlignedBuffer(CHUNK)
    done, offset = 0, 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        pattern.fill(buf.view, offset)
        offset += CHUNK
        done += CHUNK
    rate = done / (time.perf_counter() - t0)
    buf.close()
    os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    return rate


class Refurb:
    """`refurb wipe run` in a subprocess with its own store; returns the record and peak RSS."""

    def __init__(self, home: Path) -> None:
        self.env = dict(
            os.environ, REFURB_HOME=str(home), PYTHONPATH=str(REPO), REFURB_ACTOR="bench"
        )
        self.cli(["init", "--site", "benchmark"])
        out = self.cli(["intake", "new", "--json"])
        import json

        self.asset = json.loads(out)["asset_id"]

    def cli(self, args: list[str]) -> str:
        return sh([sys.executable, "-m", "refurb", *args], env=self.env).stdout

    def wipe(self, dev: str, method: str, verify: str) -> tuple[dict, int]:
        import json

        argv = [sys.executable, "-m", "refurb", "wipe", "run", dev, "--asset", self.asset,
                "--yes", "--json", "--method", method, "--verify", verify]  # fmt: skip
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(argv, env=self.env, stdout=out, stderr=err)
            _pid, status, usage = os.wait4(proc.pid, 0)  # wait4: the child's peak RSS
            proc.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            if proc.returncode != 0:
                raise RuntimeError(f"refurb wipe run failed: {err.read().decode()[-2000:]}")
            record = json.loads(out.read())["results"][0]["record"]
        return record, usage.ru_maxrss * 1024


def nwipe_rate(dev: str, size: int, workdir: Path) -> float:
    log = workdir / "nwipe.log"
    sh(["nwipe", "--autonuke", "--nogui", "--nowait", "-m", "zero", "--verify=off", "-r", "1",
        "--noblank", "-l", str(log), dev])  # fmt: skip
    text = log.read_text()
    stamps = re.findall(
        r"\[(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d)\]\s+notice: (Starting pass|\d+ bytes written)", text
    )
    if len(stamps) < 2:
        raise RuntimeError(f"cannot read nwipe's pass times from its log:\n{text[-2000:]}")
    fmt = "%Y/%m/%d %H:%M:%S"
    start = time.mktime(time.strptime(stamps[0][0], fmt))
    end = time.mktime(time.strptime(stamps[-1][0], fmt))
    return size / max(end - start, 1.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gib", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", default="/var/tmp", help="a folder on a real disk, not tmpfs")
    parser.add_argument("--no-nwipe", action="store_true")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("needs root (loop devices)", file=sys.stderr)
        return 2
    size = int(args.size_gib * 1024**3) // CHUNK * CHUNK
    fs = sh(["stat", "-f", "-c", "%T", args.dir]).stdout.strip()
    if fs in ("tmpfs", "ramfs"):
        print(f"{args.dir} is {fs}: use a folder on a real disk (--dir)", file=sys.stderr)
        return 2
    count = str(size // CHUNK)
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="refurb-bench-") as tmp:
        work = Path(tmp)
        image = work / "disk.img"
        sh(["dd", "if=/dev/zero", f"of={image}", "bs=4M", f"count={count}", "conv=fsync"])
        dev = sh(["losetup", "-f", "--show", "--direct-io=on", str(image)]).stdout.strip()
        try:
            print(f"loop device {dev} (direct I/O) on {fs} file {image}, {size / 2**30:.2f} GiB")
            refurb = Refurb(work / "home")
            rows: dict[str, list[float]] = {k: [] for k in (
                "dd write", "dd read", "zero write", "prng write", "full verify (zero)",
                "full verify (prng)")}  # fmt: skip
            rss: list[int] = []
            write_argv = ["dd", "if=/dev/zero", f"of={dev}", "bs=4M", f"count={count}",
                          "oflag=direct"]  # fmt: skip
            read_argv = ["dd", f"if={dev}", "iflag=direct", "bs=4M", "of=/dev/null"]

            if not args.no_nwipe:
                rows["nwipe zero write"] = []

            def reference() -> None:
                rows["dd write"].append(dd_rate(write_argv, size))
                rows["dd read"].append(dd_rate(read_argv, size))
                if not args.no_nwipe:  # a reference like dd: every round, in the same order
                    rows["nwipe zero write"].append(nwipe_rate(dev, size, work))

            def ours() -> None:
                for method in ("zero", "prng"):
                    rec, mem = refurb.wipe(dev, method, "full")
                    rows[f"{method} write"].append(rec["write_throughput_bps"])
                    rows[f"full verify ({method})"].append(rec["verification"]["throughput_bps"])
                    rss.append(mem)

            for n in range(args.rounds):
                # Alternate who goes first, so neither always meets a warmed-up device.
                for step in (reference, ours) if n % 2 == 0 else (ours, reference):
                    step()
                print(f"  round {n + 1}: " + ", ".join(
                    f"{k} {v[-1] / GB:.2f}" for k, v in rows.items()) + " GB/s")  # fmt: skip
            med = {k: statistics.median(v) for k, v in rows.items()}
            prng = prng_alone()
            nwipe = med.get("nwipe zero write")
        finally:
            subprocess.run(["losetup", "-d", dev], check=False)

    checks = [
        ("zero write / dd write", med["zero write"] / med["dd write"], 0.9),
        ("prng write / dd write", med["prng write"] / med["dd write"], 0.85),
        ("full verify (zero) / dd read", med["full verify (zero)"] / med["dd read"], 0.9),
        ("full verify (prng) / dd read", med["full verify (prng)"] / med["dd read"], 0.9),
        ("AES-CTR keystream alone, GB/s on one core", prng / GB, 4.0),
    ]
    if nwipe is not None:
        checks.append(("zero write / nwipe -m zero", med["zero write"] / nwipe, 10.0))
    print()
    print(f"{'medians of ' + str(args.rounds) + ' rounds':<44} {'GB/s':>8}")
    for key, value in med.items():
        print(f"{key:<44} {value / GB:>8.3f}")
    print(f"{'peak RSS of refurb wipe run (max)':<44} {max(rss) / 1e6:>7.1f} MB")
    print()
    ok = True
    for name, value, target in checks:
        good = value >= target
        ok &= good
        print(f"{name:<44} {value:>8.2f}  (target >= {target:g})  {'PASS' if good else 'FAIL'}")
    mem_ok = max(rss) < 100e6
    ok &= mem_ok
    print(f"{'peak RSS < 100 MB':<44} {max(rss) / 1e6:>8.1f}  {'PASS' if mem_ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
