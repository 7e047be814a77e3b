"""`refurb sync` under stress: tampering, a dead inventory, bad input, kill -9, benches at once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support_sync import (
    Bench,
    RefusingServer,
    devices,
    events,
    grow,
    one_line,
    pg_database,
    plain,
)

from refurb.store import event_hash, open_store
from refurb.sync_db import LOCK_KEY

ROOT = Path(__file__).resolve().parents[1]


def snapshot(url: str) -> tuple[list, list]:
    return events(url), devices(url)


def _rehash_from(db: sqlite3.Connection, first: int) -> None:
    """Forge a consistent chain from event #first on, as someone covering their tracks would."""
    cols = "id, asset_id, kind, payload, actor, workstation, ws_seq, created_at, prev_hash"
    rows = db.execute(f"SELECT {cols} FROM events ORDER BY ws_seq").fetchall()
    names = [c.strip() for c in cols.split(",")]
    digest = ""
    for row in rows:
        fields = dict(zip(names, row, strict=True))
        if fields["ws_seq"] >= first:
            fields["prev_hash"] = digest
            new = event_hash(**fields)
            db.execute(
                "UPDATE events SET prev_hash = ?, hash = ? WHERE ws_seq = ?",
                (digest, new, fields["ws_seq"]),
            )
        digest = db.execute(
            "SELECT hash FROM events WHERE ws_seq = ?", (fields["ws_seq"],)
        ).fetchone()[0]
    db.execute("UPDATE workstations SET last_hash = ?", (digest,))


@pytest.mark.parametrize("how", ["changed", "gap", "relinked"])
def test_a_tampered_bench_is_refused_and_nothing_written(run_cli, inventory, tmp_path, how):
    a = Bench(tmp_path, "a")
    with open_store(a.env()) as s:
        x = s.intake({"serial": "X1", "donor": "KBC"}).asset_id
    run_cli("sync", "--to", inventory, env=a.env(), expect=0)
    with open_store(a.env()) as s:
        for i in range(3):
            s.append(x, "note", {"text": f"n{i}"})
    before = snapshot(inventory)
    with sqlite3.connect(a.home / "refurb.db") as db:
        if how == "changed":
            db.execute("UPDATE events SET payload = replace(payload, 'n1', 'forged')")
        elif how == "gap":
            db.execute("DELETE FROM events WHERE ws_seq = 3")
        else:  # the already pushed intake rewritten, and every hash after it made to fit
            db.execute("UPDATE events SET payload = replace(payload, 'KBC', 'ACME')")
            _rehash_from(db, 1)
    line = one_line(run_cli("sync", "--to", inventory, env=a.env()))
    assert "the inventory refuses" in line
    expected = {
        "changed": "#3 (" + x + " note): its content was changed",
        "gap": "#4 (" + x + " note): events 3..3 are missing",
        "relinked": "#2 (" + x + " note): does not follow event #1, which the inventory",
    }[how]
    assert expected in line
    assert snapshot(inventory) == before


def test_a_tampered_inventory_is_refused_by_the_bench(run_cli, inventory, tmp_path):
    a, b = Bench(tmp_path, "a"), Bench(tmp_path, "b")
    with open_store(b.env()) as s:
        s.intake({"serial": "B1", "donor": "KBC"})
    run_cli("sync", "--to", inventory, env=b.env(), expect=0)
    from sqlalchemy import create_engine, text

    engine = create_engine(inventory)
    with engine.begin() as conn:
        conn.execute(text("UPDATE events SET payload = replace(payload, 'KBC', 'ACME')"))
    engine.dispose()
    with open_store(a.env()) as s:
        s.intake({"serial": "A1"})
    before = snapshot(a.url)
    line = one_line(run_cli("sync", "--to", inventory, env=a.env()))
    assert "this bench refuses" in line and "#1" in line and "changed" in line
    assert snapshot(a.url) == before
    for bench in (a, b):
        checked = run_cli("sync", "--to", inventory, "--verify", "--json", env=bench.env())
        assert checked.exit_code == 1 and checked.json["tampered"]
        assert "#1" in checked.json["inventory_problems"][0]


@pytest.mark.parametrize("where", ["server", "share"])
def test_inventory_down_is_exit_4_and_local_work_goes_on(run_cli, tmp_path, where):
    a = Bench(tmp_path, "a")
    url = {
        "server": "postgresql+psycopg://postgres@127.0.0.1:1/inventory",
        "share": f"sqlite:///{tmp_path / 'not-mounted' / 'inventory.db'}",
    }[where]
    run_cli("config", "inventory", url, env=a.env(), expect=0)
    with open_store(a.env()) as s:
        x = s.intake({"serial": "A1"}).asset_id
    before = events(a.url)
    line = one_line(run_cli("sync", env=a.env()), status=4)
    assert "inventory" in line
    assert events(a.url) == before
    run_cli("status", x, "parts", env=a.env(), expect=0)  # work goes on
    assert run_cli("sync", "--status", "--json", env=a.env(), expect=0).json["waiting"] == 2
    one_line(run_cli("sync", "--verify", env=a.env()), status=4)
    assert not (tmp_path / "not-mounted").exists()


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "mysql://u@h/db",
        "sqlite://",
        "postgresql+psycopg://u@localhost:port/db",
        "postgresql+psycopg://u@localhost",
    ],
)
def test_malformed_urls_are_one_line_and_exit_1(run_cli, tmp_path, url):
    a = Bench(tmp_path, "a")
    one_line(run_cli("sync", "--to", url, env=a.env()))
    one_line(run_cli("config", "inventory", url, env=a.env()))
    one_line(run_cli("init", "--inventory", url, env=a.env()))


def test_wrong_password_is_refused_and_never_shown(run_cli, tmp_path):
    server = RefusingServer()
    try:
        a = Bench(tmp_path, "a")
        line = one_line(run_cli("sync", "--to", server.url, env=a.env()))
        assert "refused the login" in line
        wrong = server.url.replace("bench@", "bench:s3cret-pw@")
        result = run_cli("sync", "--to", wrong, env=a.env())
        assert "refused the login" in one_line(result)
        assert "s3cret-pw" not in result.stderr + result.stdout
        assert "s3cret-pw" in server.passwords
        asked = run_cli(
            "sync", "--to", server.url, input="typed-pw\n", env=a.env(stdin_isatty=True)
        )
        assert asked.exit_code == 1 and "Password for the inventory" in asked.stderr
        assert "typed-pw" not in asked.stderr + asked.stdout
        assert server.passwords[-1] == "typed-pw"
    finally:
        server.close()


def test_credentials_are_never_printed_or_stored(run_cli, pg_server_url, tmp_path):
    a = Bench(tmp_path, "a")
    with pg_database(pg_server_url) as url:
        secret = url.replace("postgres@", "postgres:s3cret-pw@")  # trust auth: any password
        with open_store(a.env()) as s:
            s.intake({"serial": "A1"})
        shown = run_cli("config", "inventory", secret, env=a.env(), expect=0)
        assert "was not stored" in shown.stderr and "s3cret" not in shown.stdout
        run_cli("init", "--inventory", secret, env=a.env(), expect=0)
        config = (a.home / "config.toml").read_text()
        assert "s3cret" not in config and url.split("//")[1] in config
        for args in (["sync"], ["sync", "--to", secret, "--json"], ["sync", "--status"]):
            result = run_cli(*args, env=a.env(), expect=0)
            assert "s3cret" not in result.stdout + result.stderr
        receipts = sqlite3.connect(a.home / "refurb.db").execute("SELECT * FROM sync_receipts")
        assert "s3cret" not in repr(receipts.fetchall())


def test_a_database_that_is_not_an_inventory_is_left_alone(run_cli, pg_server_url, tmp_path):
    import psycopg

    a = Bench(tmp_path, "a")
    with open_store(a.env()) as s:
        s.intake({"serial": "A1"})
    with pg_database(pg_server_url) as url:
        with psycopg.connect(plain(url), autocommit=True) as conn:
            conn.execute("CREATE TABLE customers (id int)")
        line = one_line(run_cli("sync", "--to", url, env=a.env()))
        assert "not a refurb inventory" in line and "customers" in line
        with psycopg.connect(plain(url)) as conn:
            tables = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        assert tables == [("customers",)]
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 200)
    line = one_line(run_cli("sync", "--to", f"sqlite:///{junk}", env=a.env()))
    assert "not a refurb inventory" in line
    assert junk.read_bytes() == b"not a database at all" * 200
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE photos (id)")
    one_line(run_cli("sync", "--to", f"sqlite:///{other}", env=a.env()))
    tables = sqlite3.connect(other).execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == [("photos",)]


def test_a_newer_schema_is_refused_naming_the_version(run_cli, inventory, tmp_path):
    from sqlalchemy import create_engine, text

    a = Bench(tmp_path, "a")
    with open_store(a.env()) as s:
        s.intake({"serial": "A1"})
    run_cli("sync", "--to", inventory, env=a.env(), expect=0)
    engine = create_engine(inventory)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0042_future'"))
        conn.execute(text("UPDATE sync_info SET value = '9.3.0' WHERE key = 'refurb_version'"))
    engine.dispose()
    with open_store(a.env()) as s:
        s.intake({"serial": "A2"})
    before = snapshot(inventory)
    result = run_cli("sync", "--to", inventory, env=a.env())
    assert "0042_future" in one_line(result) and "refurb 9.3.0" in result.stderr
    assert snapshot(inventory) == before


def _cli(bench: Bench, *args: str) -> list[str]:
    return [sys.executable, "-m", "refurb", *args]


def _proc_env(bench: Bench) -> dict[str, str]:
    return dict(
        os.environ, REFURB_HOME=str(bench.home), REFURB_ACTOR=bench.name, PYTHONPATH=str(ROOT)
    )


def _writing_now(inventory: str) -> bool:
    """Whether a sync holds the inventory's write lock at this moment."""
    if inventory.startswith("sqlite"):
        db = sqlite3.connect(inventory.split("///", 1)[1], timeout=0)
        try:
            db.execute("BEGIN IMMEDIATE")
            db.rollback()
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            db.close()
    import psycopg

    with psycopg.connect(plain(inventory), autocommit=True) as conn:
        held = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND granted",
            (LOCK_KEY,),
        ).fetchone()
    return bool(held and held[0])


def test_killed_mid_push_then_rerun_loses_and_doubles_nothing(run_cli, inventory, tmp_path):
    b = Bench(tmp_path, "b")  # the inventory exists already: the only write below is the push
    with open_store(b.env()) as s:
        s.intake({"serial": "B1"})
    run_cli("sync", "--to", inventory, env=b.env(), expect=0)
    a = Bench(tmp_path, "a")
    grow(a, 30_000)
    before = events(inventory)
    proc = subprocess.Popen(
        _cli(a, "sync", "--to", inventory), env=_proc_env(a), stderr=subprocess.DEVNULL
    )
    caught = False
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        if _writing_now(inventory):
            proc.send_signal(signal.SIGKILL)
            caught = True
            break
        time.sleep(0.005)
    proc.wait(timeout=60)
    assert caught, "the sync finished before it could be killed mid-push"
    time.sleep(0.5)
    assert events(inventory) == before  # one transaction: nothing of it arrived
    result = run_cli("sync", "--to", inventory, "--json", env=a.env(), expect=0).json
    assert result["pushed"] == 30_020
    mine = events(a.url)
    inv = events(inventory)
    assert len(inv) == 30_021 and len({e["id"] for e in inv}) == 30_021
    assert [e for e in inv if e["actor"] == "b"] == before
    assert mine == inv  # a pulled b's event: both hold the same log
    run_cli("sync", "--to", inventory, env=b.env(), expect=0)
    assert devices(inventory) == devices(a.url) == devices(b.url)


def test_eight_benches_syncing_at_once_all_succeed(run_cli, inventory, tmp_path):
    benches = [Bench(tmp_path, f"bench{i}") for i in range(8)]
    for bench in benches:
        grow(bench, 990, devices=10)  # 10 intakes + 990 notes = 1,000 new events each
    procs = [
        subprocess.Popen(
            _cli(bench, "sync", "--to", inventory, "--json"),
            env=_proc_env(bench),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for bench in benches
    ]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [err for _out, err in outputs]
    log = events(inventory)
    assert len(log) == 8000 and len({e["id"] for e in log}) == 8000
    for bench in benches:
        run_cli("sync", "--to", inventory, env=bench.env(), expect=0)
    want = devices(inventory)
    assert len(want) == 80
    for bench in benches:
        assert devices(bench.url) == want
        assert events(bench.url) == log
