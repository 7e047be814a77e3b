"""How fast a pallet goes in, against references measured in the same run.

1. `refurb intake import` of a 2,500-row donor sheet (CSV and XLSX), as a new process, start-up
   included, into a fresh store; and the re-import of the same file (nothing to write).
   Target: at most 3 s each. Reference: `refurb list` on the same store (start-up + one read),
   so the ratio shows what the rows themselves cost. Also checks the import is one transaction.
2. `refurb intake scan`: one process reading serials from a pipe, each answered before the next
   is sent (a barcode scanner's pace). Target: at most 0.1 s per device after start-up.
   Reference: `refurb intake new`, one process per device (the way before scan).

Run: python benchmarks/intake_speed.py [--rows 2500] [--scans 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import PY, env_with

IMPORT_BUDGET = 3.0
SCAN_BUDGET = 0.1


def _sheet_csv(path: Path, rows: int) -> None:
    lines = ["Serienummer;Merk;Model;Datum ontvangst;Opmerkingen"]
    lines += [
        f"PF{n:06d};Lenovo;ThinkPad T470;{1 + n % 28:02d}/11/2026;pallet {n // 100}"
        for n in range(rows)
    ]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="cp1252")


def _sheet_xlsx(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet("Toestellen")
    ws.append(["Numéro de série", "Marque", "Modèle", "Date de réception"])
    for n in range(rows):
        ws.append([f"XL{n:06d}", "HP", "EliteBook 840 G3", 46300 + n % 60])
    book.save(path)


def _fresh_home(root: Path, name: str) -> dict[str, str]:
    home = root / name
    env = env_with(REFURB_HOME=str(home), REFURB_ACTOR="bench")
    env.pop("REFURB_DB", None)
    subprocess.run(
        [PY, "-m", "refurb", "init", "--site", "Bench"], env=env, check=True, capture_output=True
    )
    return env


CPU: dict[str, list[float]] = {}


def _timed(argv: list[str], env: dict[str, str], name: str | None = None) -> float:
    """Wall time; the child's CPU time (user + system) is kept under ``name`` to show how
    much of the wall time a loaded machine added."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(argv, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if name:
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        CPU.setdefault(name, []).append(cpu)
    return wall


def _transactions(sheet: Path, home: Path) -> tuple[int, int]:
    """(commits, rows written) of one import, counted in this process."""
    os.environ["REFURB_HOME"] = str(home)
    from sqlalchemy import event

    from refurb.env import Env
    from refurb.intake.importer import import_file, prepare
    from refurb.store import open_store

    commits = 0
    prepared = prepare(sheet)
    with open_store(Env()) as store:

        def count(_conn):
            nonlocal commits
            commits += 1

        event.listen(store.engine, "commit", count)
        result = import_file(store, prepared)
    return commits, len(result.created)


def bench_import(work: Path, rows: int, repeat: int) -> bool:
    ok = True
    csv_path, xlsx_path = work / "pallet.csv", work / "pallet.xlsx"
    _sheet_csv(csv_path, rows)
    _sheet_xlsx(xlsx_path, rows)
    for label, sheet in (("CSV", csv_path), ("XLSX", xlsx_path)):
        first, again, ref = [], [], []
        for n in range(repeat):
            env = _fresh_home(work, f"{label}-{n}")
            argv = [PY, "-m", "refurb", "intake", "import", str(sheet), "--batch", "BENCH"]
            first.append(_timed(argv, env, f"{label} import"))
            again.append(_timed(argv, env, f"{label} re-import"))
            ref.append(_timed([PY, "-m", "refurb", "list", "--limit", "1"], env, f"{label} list"))
        t_first, t_again, t_ref = (statistics.median(x) for x in (first, again, ref))
        cpu_ref = statistics.median(CPU[f"{label} list"])
        for name, value, key in (
            (f"import {rows} rows", t_first, "import"),
            ("re-import", t_again, "re-import"),
        ):
            verdict = "PASS" if value <= IMPORT_BUDGET else "FAIL"
            ok &= value <= IMPORT_BUDGET
            cpu = statistics.median(CPU[f"{label} {key}"])
            print(
                f"{label:4s} {name:18s} {value:6.2f} s wall, {cpu:5.2f} s CPU  "
                f"({value / t_ref:4.1f}x `refurb list` {t_ref:.2f} s wall, {cpu_ref:.2f} s CPU; "
                f"budget {IMPORT_BUDGET:.0f} s)  {verdict}"
            )
    commits, created = _transactions(csv_path, work / "tx-home")
    verdict = "PASS" if commits == 1 and created == rows else "FAIL"
    ok &= verdict == "PASS"
    print(f"one transaction: {commits} commit(s) for {created} new devices  {verdict}")
    return ok


def bench_scan(work: Path, scans: int, repeat: int) -> bool:
    per_device, startups = [], []
    for n in range(repeat):
        env = _fresh_home(work, f"scan-{n}")
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [PY, "-m", "refurb", "intake", "scan", "--batch", "DOOR"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        proc.stdin.write("SC000000\n")
        proc.stdin.flush()
        proc.stdout.readline()
        startups.append(time.perf_counter() - t0)
        times = []
        for i in range(1, scans + 1):
            serial = f"SC{i:06d}" if i % 10 else "SC000000"  # every tenth one already known
            t1 = time.perf_counter()
            proc.stdin.write(serial + "\n")
            proc.stdin.flush()
            answer = proc.stdout.readline()
            times.append(time.perf_counter() - t1)
            assert answer.startswith("RF-"), answer
        proc.stdin.close()
        proc.wait(timeout=60)
        per_device.append(statistics.mean(times))
        ref_env = env
    ref = statistics.median(
        _timed([PY, "-m", "refurb", "intake", "new", "--serial", f"NEW{k}"], ref_env)
        for k in range(5)
    )
    value = statistics.median(per_device)
    verdict = "PASS" if value <= SCAN_BUDGET else "FAIL"
    print(
        f"scan: {value * 1000:6.1f} ms a device over {scans} scans after a "
        f"{statistics.median(startups):.2f} s start  (`intake new` per device {ref:.2f} s: "
        f"{ref / value:4.0f}x faster; budget {SCAN_BUDGET * 1000:.0f} ms)  {verdict}"
    )
    return value <= SCAN_BUDGET


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2500)
    parser.add_argument("--scans", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    with tempfile.TemporaryDirectory(prefix="refurb-bench-") as tmp:
        work = Path(tmp)
        ok = bench_import(work, args.rows, args.repeat)
        ok &= bench_scan(work, args.scans, args.repeat)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
