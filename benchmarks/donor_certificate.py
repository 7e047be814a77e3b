"""How fast a donor's certificate is made, against a single device's certificate in the same run.

A company that donated 600 laptops gets one signed certificate (JSON + PDF) listing every device
and disk. Figures:

1. The whole `refurb wipe certificate --donor NAME` command for 600 devices (start-up, reading
   600 devices' events, signing, the PDF): at most 5 s of CPU time. The
   machine the tests run on is shared, so wall time is printed too but CPU time (user + system
   of the process) is what is compared; with an idle machine the two are the same.
2. The PDF alone (in this process, fpdf2 already loaded): at most 5 s (CPU time, as in 1).
3. The ratio of (1) to a single device's `refurb wipe certificate ASSET` command, measured in
   turns with it so machine noise hits both alike: printed, for regressions (600 devices for
   less than 4 single certificates' time is the goal).

Run: python benchmarks/donor_certificate.py [--devices 600] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the seeded pallet of the donor-certificate tests

CPU_TARGET_S = 5.0
PDF_TARGET_S = 5.0
RATIO_TARGET = 4.0


def _env(home: Path) -> dict[str, str]:
    """As for an installed refurb: bytecode cached (``_common.env_with``), this store only."""
    from _common import env_with

    env = env_with(REFURB_HOME=str(home))
    env.pop("REFURB_DB", None)
    return env


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one command: CPU is the child's user + system time."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"FAIL: {' '.join(argv)} exited {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="refurb-bench-") as tmp:
        work = Path(tmp)
        home = work / "home"
        env = _env(home)
        subprocess.run([py, "-m", "refurb", "init", "--site", "Bench"], env=env, check=True,
                       capture_output=True)  # fmt: skip
        os.environ["REFURB_HOME"] = str(home)
        from support_donor import seed_donor

        from refurb.env import Env

        assets = seed_donor(Env(), args.devices, donor="Bench Donor")

        donor_cmd = [py, "-m", "refurb", "wipe", "certificate", "--donor", "Bench Donor",
                     "--json", str(work / "donor.json")]  # fmt: skip
        single_cmd = [py, "-m", "refurb", "wipe", "certificate", assets[0],
                      "--json", str(work / "one.json")]  # fmt: skip
        donor, single = [], []
        for _ in range(args.repeat):
            single.append(_run(single_cmd, env, work))
            donor.append(_run(donor_cmd, env, work))
        donor_wall = statistics.median(w for w, _c in donor)
        donor_cpu = statistics.median(c for _w, c in donor)
        single_wall = statistics.median(w for w, _c in single)
        single_cpu = statistics.median(c for _w, c in single)

        # the PDF alone, from the signed file the command wrote
        import json

        from refurb.donor_certificate_pdf import render_donor_pdf

        envelope = json.loads((work / "donor.json").read_text(encoding="utf-8"))
        render_donor_pdf(envelope, work / "warm.pdf")  # fonts parsed once, as in one command
        pdf_times, pdf_walls = [], []
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            render_donor_pdf(envelope, work / "again.pdf")
            pdf_times.append(time.process_time() - c0)
            pdf_walls.append(time.perf_counter() - t0)
        pdf_s = statistics.median(pdf_times)
        pdf_wall = statistics.median(pdf_walls)
        pages = (work / "donor.pdf").read_bytes().count(b"/Type /Page\n")
        size_mb = (work / "donor.json").stat().st_size / 1e6

    ratio = donor_cpu / single_cpu if single_cpu else float("inf")
    rows = [
        (f"donor certificate, {args.devices} devices, CPU s", donor_cpu, CPU_TARGET_S, "<="),
        (f"  (wall s on this machine: {donor_wall:.2f})", None, None, ""),
        (f"PDF alone, {args.devices} devices, CPU s", pdf_s, PDF_TARGET_S, "<="),
        (f"  (wall s on this machine: {pdf_wall:.2f})", None, None, ""),
        ("ratio to one device's certificate (CPU)", ratio, RATIO_TARGET, "<="),
    ]
    print(f"single device certificate: {single_cpu:.2f} s CPU, {single_wall:.2f} s wall")
    print(f"donor certificate JSON {size_mb:.1f} MB, PDF {pages or '?'} pages")
    ok = True
    for name, value, target, _op in rows:
        if value is None:
            print(name)
            continue
        good = value <= target
        ok &= good
        print(f"{name:<48} {value:>7.2f}  (target <= {target:g})  {'PASS' if good else 'FAIL'}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
