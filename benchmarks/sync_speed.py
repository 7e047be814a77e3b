"""How fast `refurb sync` pushes to PostgreSQL, and what a sync with nothing to do costs.

Run from the repository, with the PostgreSQL server of the tests (REFURB_TEST_PG_URL, default
postgresql://postgres@127.0.0.1:5432/test; a scratch database is made and dropped per round):

    python benchmarks/sync_speed.py [--events 10000] [--noop-events 100000] [--rounds 5]

- push: a bench with ``--events`` new events (a batch intake of one device per ten events, the
  rest notes and updates) synced into an empty inventory, timed in-process around the whole
  ``refurb.sync.sync`` call (connect, read, check every hash, insert, advance the mark, fold the
  devices on both sides), against ``psql -c "\\copy events ... FROM file CSV"`` of the same rows
  into the same empty schema. psql's own start-up (``psql -c "SELECT 1"`` on that database, right
  after) is taken off the COPY: the push is timed in-process, so leaving psql's start-up in
  would give refurb about 60 ms it never has to earn. Target: ≤ 2 × COPY (medians of the rounds).
- no-op: ``refurb sync`` (a subprocess, as a user runs it) of a bench holding ``--noop-events``
  events, all already in the inventory, against the start-up of a refurb command that talks to the
  same PostgreSQL (``refurb --db INVENTORY show ASSET``: Python, refurb, SQLAlchemy and psycopg
  imported, one connection, one indexed look-up), run in turns. Target: ≤ start-up + 0.3 s.
  ``python -c "import sqlmodel"`` (the reference of benchmarks/foundation_show.py) is printed too.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import PY, ROOT, env_with, interleaved

sys.path.insert(0, str(ROOT))

from refurb import ids  # noqa: E402
from refurb.env import Env  # noqa: E402
from refurb.store import canonical_json, event_hash, open_store  # noqa: E402
from refurb.sync_db import (  # noqa: E402
    COLUMNS,
    STATIONS,
    _insert_events,
    heads,
    open_engine,
    parse_url,
    prepare,
    refold,
    writing,
)

SERVER = os.environ.get("REFURB_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def make_bench(home: Path, n: int) -> list[dict]:
    """A bench store holding ``n`` chained events of this workstation (one device per ten)."""
    from sqlalchemy import update

    env = Env(environ={"REFURB_HOME": str(home), "REFURB_ACTOR": "bench"})
    with open_store(env) as store:
        ws = store.workstation
        code = store._lock_workstation().station_code
        store.session.commit()
    engine = open_engine(parse_url(env.database_url), shared=False)
    start = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    rows: list[dict] = []
    digest = ""
    asset = ""
    for i in range(n):
        if i % 10 == 0:
            asset = ids.make_id(code, i // 10)
            kind, payload = "intake", {"serial": f"SN{i:07d}", "batch": "bench", "donor": "KBC"}
        elif i % 10 == 5:
            kind, payload = "update", {"location": f"shelf {i % 7}"}
        else:
            kind, payload = "note", {"text": f"checked part {i % 10}"}
        fields = {
            "id": str(uuid.uuid4()),
            "asset_id": asset,
            "kind": kind,
            "payload": canonical_json(payload),
            "actor": "bench",
            "workstation": ws,
            "ws_seq": i + 1,
            "created_at": (start + timedelta(milliseconds=i)).isoformat(timespec="microseconds"),
            "prev_hash": digest,
        }
        fields["hash"] = digest = event_hash(**fields)
        rows.append(fields)
    with writing(engine) as conn:
        _insert_events(conn, rows, None)
        conn.execute(
            update(STATIONS)
            .where(STATIONS.c.id == ws)
            .values(last_ws_seq=n, last_hash=digest, counter=n // 10 + 1)
        )
        refold(conn, rows)
        assert heads(conn)[ws].seq == n
    engine.dispose()
    return rows


def scratch_db() -> str:
    import psycopg

    name = f"refurb_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(SERVER.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return SERVER.rpartition("/")[0] + "/" + name


def drop_db(url: str) -> None:
    import psycopg

    name = url.rpartition("/")[2]
    with psycopg.connect(SERVER.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def empty_inventory() -> str:
    url = scratch_db()
    engine = open_engine(parse_url(url), shared=True)
    prepare(engine, parse_url(url))
    engine.dispose()
    return url


def time_copy(csv_path: Path) -> tuple[float, float]:
    """(psql COPY of the file, psql's start-up: connecting and one SELECT) on a new inventory."""
    url = empty_inventory()
    try:
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        cmd = f"\\copy events ({', '.join(COLUMNS)}) FROM '{csv_path}' CSV"
        t0 = time.perf_counter()
        subprocess.run(["psql", "-q", "-X", plain, "-c", cmd], check=True)
        t1 = time.perf_counter()
        subprocess.run(
            ["psql", "-q", "-X", plain, "-c", "SELECT 1"], check=True, stdout=subprocess.DEVNULL
        )
        return t1 - t0, time.perf_counter() - t1
    finally:
        drop_db(url)


def time_push(home: Path, n: int) -> float:
    from refurb.sync import sync

    url = empty_inventory()
    try:
        env = Env(environ={"REFURB_HOME": str(home), "REFURB_ACTOR": "bench"})
        t0 = time.perf_counter()
        result = sync(env, url)
        took = time.perf_counter() - t0
        assert result["pushed"] == n, result
        return took
    finally:
        drop_db(url)


def bench_push(n: int, rounds: int) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "bench"
        rows = make_bench(home, n)
        csv_path = Path(tmp) / "events.csv"
        with csv_path.open("w", newline="") as fh:
            writer = csv.writer(fh, quoting=csv.QUOTE_ALL)  # "" is text, not NULL
            for row in rows:
                writer.writerow([row[c] for c in COLUMNS])
        copies, starts, pushes = [], [], []
        for _ in range(rounds):
            took, start = time_copy(csv_path)
            copies.append(took)
            starts.append(start)
            pushes.append(time_push(home, n))
    gross, start = statistics.median(copies), statistics.median(starts)
    copy, push = gross - start, statistics.median(pushes)
    ratio = push / copy
    ok = ratio <= 2.0
    print(f"psql COPY of {n} events      {gross * 1000:8.1f} ms (median of {rounds})")
    print(f"  less psql's start-up        {start * 1000:8.1f} ms  = COPY {copy * 1000:.1f} ms")
    print(f"refurb sync push of {n}     {push * 1000:8.1f} ms  = {ratio:.2f} x COPY (≤ 2.0)")
    print(f"  ({push / gross:.2f} x the COPY with psql's start-up left in)")
    print(f"  push {'PASS' if ok else 'FAIL'}")
    return ok


def make_id_of_first(home: Path) -> str:
    env = Env(environ={"REFURB_HOME": str(home), "REFURB_ACTOR": "bench"})
    with open_store(env) as store:
        return store.list_devices(limit=1)[0].asset_id


def bench_noop(n: int, rounds: int) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "bench"
        t0 = time.perf_counter()
        make_bench(home, n)
        url = empty_inventory()
        try:
            from refurb.sync import sync

            env = Env(environ={"REFURB_HOME": str(home), "REFURB_ACTOR": "bench"})
            assert sync(env, url)["pushed"] == n
            print(f"built a bench of {n} events, synced once, in {time.perf_counter() - t0:.1f} s")
            asset = make_id_of_first(home)
            show = [PY, "-m", "refurb", "--db", url, "show", asset, "--json"]
            medians = interleaved(
                {
                    "import sqlmodel": [PY, "-c", "import sqlmodel"],
                    "start-up": show,
                    "refurb sync (no-op)": [PY, "-m", "refurb", "sync", "--to", url],
                },
                runs=rounds * 2 + 1,
                env=env_with(REFURB_HOME=str(home)),
            )
        finally:
            drop_db(url)
    base, noop = medians["start-up"], medians["refurb sync (no-op)"]
    extra = noop - base
    ok = extra <= 0.3
    print(f"python -c 'import sqlmodel'  {medians['import sqlmodel'] * 1000:8.1f} ms")
    print(f"start-up: refurb --db PG show {base * 1000:7.1f} ms")
    print(f"no-op sync of {n} events {noop * 1000:8.1f} ms  (+{extra * 1000:.0f} ms, ≤ +300)")
    print(f"  no-op {'PASS' if ok else 'FAIL'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--noop-events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    ok = bench_push(args.events, args.rounds)
    ok = bench_noop(args.noop_events, args.rounds) and ok
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
