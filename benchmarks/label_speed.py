"""How fast labels are made, against references measured in the same run.

1. A PDF of 2,500 labels on A4 sheets (Avery L7163, 14 a sheet): the whole `refurb label --batch`
   command (store read, layout, 2,500 QR codes, PDF, 2,500 `label` events), and the rendering alone.
   Target: at most 10 s.
2. One label as PNG: `refurb label ASSET -o x.png` as a new process, start-up included, against
   `python -c "import sqlmodel"`. Target: at most 0.2 s more.

Run: python benchmarks/label_speed.py [--labels 2500] [--repeat 7]
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


def _env(home: Path) -> dict[str, str]:
    """As for an installed refurb: bytecode cached (``_common.env_with``), this store only."""
    from _common import env_with

    env = env_with(REFURB_HOME=str(home))
    env.pop("REFURB_DB", None)
    return env


def _timed(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=2500)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="refurb-bench-") as tmp:
        work = Path(tmp)
        home = work / "home"
        env = _env(home)
        py = sys.executable
        subprocess.run(
            [py, "-m", "refurb", "init", "--site", "Bench"],
            env=env,
            check=True,
            capture_output=True,
        )
        os.environ.update({"REFURB_HOME": str(home)})
        sys.path.insert(0, str(ROOT))
        from refurb.env import Env
        from refurb.store import open_store

        with open_store(Env()) as store:
            rows = [
                {
                    "serial": f"PF{n:06d}",
                    "manufacturer": "LENOVO",
                    "model": "ThinkPad T460",
                    "batch": "BENCH",
                }
                for n in range(args.labels)
            ]
            devices = store.intake_many(rows)
            first = devices[0].asset_id

        # 1a. rendering alone, in this process
        from refurb.labels import get_template, label_data_from_device
        from refurb.labels.output import render

        template = get_template("avery-l7163")
        with open_store(Env()) as store:
            labels = [label_data_from_device(store.device_state(d)) for d in store.list_devices()]
        t0 = time.perf_counter()
        rendered = render(labels, template, "pdf")
        render_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        render(labels, template, "pdf", label_url="https://stock.example.org/d/{asset}")
        render_url_s = time.perf_counter() - t0

        # 1b. the whole command, as a user runs it
        pdf = work / "batch.pdf"
        whole_s = _timed(
            [py, "-m", "refurb", "label", "--batch", "BENCH", "-t", "avery-l7163", "-o", str(pdf)],
            env,
            work,
        )
        size_mb = pdf.stat().st_size / 1e6

        # 2. one PNG label vs importing sqlmodel, alternating so both see the same machine load
        ref, one = [], []
        for _ in range(args.repeat):
            ref.append(_timed([py, "-c", "import sqlmodel"], env, work))
            one.append(
                _timed([py, "-m", "refurb", "label", first, "-o", str(work / "one.png")], env, work)
            )
        ref_s, one_s = statistics.median(ref), statistics.median(one)

    print(
        f"labels: {args.labels} on {template.name} ({rendered.pages} sheets, PDF {size_mb:.1f} MB)"
    )
    print(f"  render only (asset id in the code):   {render_s:6.2f} s")
    print(f"  render only (label_url in the code):  {render_url_s:6.2f} s")
    batch_ok = whole_s <= 10.0
    print(
        f"  whole `refurb label --batch` command: {whole_s:6.2f} s   target <= 10 s  "
        + ("PASS" if batch_ok else "FAIL")
    )
    print(f"one PNG label (median of {args.repeat} runs):")
    print(f"  python -c 'import sqlmodel':          {ref_s:6.3f} s")
    print(f"  refurb label ASSET -o x.png:          {one_s:6.3f} s")
    one_ok = one_s - ref_s <= 0.200
    print(
        f"  difference:                           {one_s - ref_s:+6.3f} s   target <= +0.200 s  "
        + ("PASS" if one_ok else "FAIL")
    )
    print("PASS" if batch_ok and one_ok else "FAIL")
    return 0 if batch_ok and one_ok else 1


if __name__ == "__main__":
    sys.exit(main())
