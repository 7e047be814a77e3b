"""`refurb probe` speed against lshw and inxi in the same run, and the parsers on every fixture.

Targets (issue 4): live `refurb probe --json` <= 1.0 s, <= 2.5x `lshw -json`, < 0.5x `inxi -Fxz`;
`refurb probe --from DIR --json` <= 0.25 s; parsing any fixture <= 50 ms; no SQLAlchemy, pydantic
or py-cpuinfo imported on the probe path. Run as root (dmidecode and smartctl need it), from the
repository: python benchmarks/probe_speed.py

Python's bytecode cache is on (in a temporary folder) as in an installed package; the first run
of each command is a warm-up.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time

from _common import PY, ROOT, env_with, interleaved

FIXTURES = ROOT / "tests" / "fixtures"
FOLDER = FIXTURES / "probe" / "thinkpad-e480"
HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "pydantic", "cpuinfo", "rich", "jc", "psutil")


def _parse_times() -> list[tuple[str, float]]:
    sys.path.insert(0, str(ROOT))
    from refurb.parsers import (
        battery,
        cpuinfo,
        dmidecode,
        edid,
        lsblk,
        lspci,
        meminfo,
        os_release,
        smartctl,
    )

    jobs = []
    for path in sorted((FIXTURES / "dmi").glob("*.txt")):
        jobs.append((path, dmidecode.parse, path.read_text()))
    for path in sorted((FIXTURES / "smartctl").glob("*.json")):
        jobs.append((path, smartctl.parse, path.read_text()))
    for path in sorted((FIXTURES / "edid").glob("*.txt")):
        jobs.append((path, edid.parse, path.read_bytes()))
    uevents = sorted((FIXTURES / "probe").rglob("power_supply/*/uevent"))
    uevents += sorted((FIXTURES / "probe" / "uevents").glob("*.uevent"))
    for path in uevents:
        jobs.append((path, battery.parse, path.read_text()))
    vm = FIXTURES / "probe" / "vm-no-dmi"
    for name, parse in (
        ("lsblk.json", lsblk.parse),
        ("cpuinfo.txt", cpuinfo.parse),
        ("meminfo.txt", meminfo.parse),
        ("lspci.txt", lspci.parse),
        ("os-release", os_release.parse),
    ):
        jobs.append((vm / name, parse, (vm / name).read_text()))
    edid_bin = FIXTURES / "probe" / "thinkpad-e480" / "edid" / "card0-eDP-1.bin"
    jobs.append((edid_bin, edid.parse, edid_bin.read_bytes()))
    results = []
    for path, parse, data in jobs:
        samples = []
        for _ in range(15):
            t0 = time.perf_counter()
            parse(data)
            samples.append(time.perf_counter() - t0)
        results.append((path.relative_to(FIXTURES).as_posix(), statistics.median(samples)))
    return results


def _imported_on_probe_path(env: dict[str, str]) -> list[str]:
    code = (
        "import sys, io, contextlib\n"
        "from refurb.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['probe', '--json'])\n"
        f"print(' '.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    out = subprocess.run([PY, "-c", code], env=env, capture_output=True, text=True, check=True)
    return out.stdout.split()


def main() -> int:
    ok = True
    if os.geteuid() != 0:
        print("note: not root, so dmidecode and smartctl fail fast; run as root for real figures")
    env = env_with()
    commands = {
        "lshw -json": ["lshw", "-json"],
        "inxi -Fxz": ["inxi", "-Fxz"],
        "refurb probe --json": [PY, "-m", "refurb", "probe", "--json"],
        "refurb probe --from DIR --json": [
            PY,
            "-m",
            "refurb",
            "probe",
            "--from",
            str(FOLDER),
            "--json",
        ],
    }
    missing = [name for name, argv in commands.items() if shutil.which(argv[0]) is None]
    if missing:
        print(f"FAIL: not installed: {', '.join(missing)}")
        return 1
    interleaved(commands, runs=1, env=env)  # warm-up: bytecode cache, page cache
    medians = interleaved(commands, runs=9, env=env)
    for name, value in medians.items():
        print(f"{name:34s} {value * 1000:8.1f} ms")

    live = medians["refurb probe --json"]
    checks = [
        ("live probe <= 1.0 s", live, live <= 1.0),
        (
            "live / lshw -json <= 2.5",
            live / medians["lshw -json"],
            live / medians["lshw -json"] <= 2.5,
        ),
        ("live / inxi -Fxz < 0.5", live / medians["inxi -Fxz"], live / medians["inxi -Fxz"] < 0.5),
        (
            "--from DIR --json <= 0.25 s",
            medians["refurb probe --from DIR --json"],
            medians["refurb probe --from DIR --json"] <= 0.25,
        ),
    ]
    parse_times = _parse_times()
    slowest_name, slowest = max(parse_times, key=lambda item: item[1])
    checks.append((f"slowest parse ({slowest_name}) <= 50 ms", slowest, slowest <= 0.05))
    for label, value, passed in checks:
        print(f"{label:60s} {value:8.3f}  {'ok' if passed else 'FAIL'}")
        ok = ok and passed
    mean = statistics.mean(t for _n, t in parse_times)
    print(
        f"parsed {len(parse_times)} fixtures (median of 15 each): "
        f"slowest {slowest * 1000:.2f} ms, mean {mean * 1000:.2f} ms"
    )

    heavy = _imported_on_probe_path(env)
    print(f"heavy modules imported by `refurb probe --json`: {heavy}")
    ok = ok and not heavy
    rootless = " (ran without root: no serials or SMART read, so the live figures flatter refurb)"
    print(("PASS" if ok else "FAIL") + (rootless if os.geteuid() != 0 else ""))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
