"""`refurb show` on a store of 100,000 devices against `python -c "import sqlmodel"`.

Target: show ≤ reference + 0.3 s (indexed look-ups, no full scans).
Run: python benchmarks/foundation_show.py [--devices N]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from _common import PY, env_with, interleaved


def build(home: Path, n: int) -> list[str]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from refurb.env import Env
    from refurb.store import open_store

    env = Env(environ={"REFURB_HOME": str(home)})
    t0 = time.perf_counter()
    with open_store(env) as store:
        rows = [
            {"serial": f"SN{i:08d}", "batch": f"B{i // 300}", "donor": "bench", "model": "T460"}
            for i in range(n)
        ]
        devices = store.intake_many(rows)
        picked = [d.asset_id for d in random.sample(devices, 5)]
        for asset in picked:
            for k in range(20):
                store.append(asset, "note", {"text": f"note {k}"})
    print(f"built {n} devices in {time.perf_counter() - t0:.1f} s")
    return picked


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        picked = build(home, args.devices)
        env = env_with(REFURB_HOME=str(home))
        medians = interleaved(
            {
                "reference: import sqlmodel": [PY, "-c", "import sqlmodel"],
                "refurb show": [PY, "-m", "refurb", "show", picked[0]],
                "refurb show --json": [PY, "-m", "refurb", "show", picked[1], "--json"],
            },
            runs=11,
            env=env,
        )
    ref = medians["reference: import sqlmodel"]
    ok = True
    for name, value in medians.items():
        extra = value - ref
        print(f"{name:28s} {value * 1000:7.1f} ms  (+{extra * 1000:6.1f} ms)")
        if name != "reference: import sqlmodel" and extra > 0.3:
            ok = False
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
