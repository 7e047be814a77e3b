"""The inventory as a store (`refurb --db URL ...`) and as a sync target: what it is refused,
what its projections hold after a sync, and large pushes through COPY."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from support_sync import (
    Bench,
    RefusingServer,
    devices,
    events,
    grow,
    one_line,
    pg_database,
    plain,
    rows,
)

from refurb.store import open_store

ROOT = Path(__file__).resolve().parent
E480 = ROOT / "fixtures" / "probe" / "thinkpad-e480"
UUID = "4c4c4544-0042-3510-8052-b4c04f4a4d32"


def public_tables(url: str) -> list[str]:
    import psycopg

    with psycopg.connect(plain(url)) as conn:
        found = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return sorted(name for (name,) in found)


def test_db_of_another_program_is_refused_and_left_alone(run_cli, pg_server_url, tmp_path):
    import psycopg

    a = Bench(tmp_path, "a")
    with pg_database(pg_server_url) as url:
        with psycopg.connect(plain(url), autocommit=True) as conn:
            conn.execute("CREATE TABLE customers (id int)")
        for args in (["list"], ["stock"], ["show", "RF-00000-0000X"]):
            line = one_line(run_cli("--db", url, *args, env=a.env()))
            assert "not a refurb inventory" in line and "customers" in line
        assert public_tables(url) == ["customers"]
        # and so a sync to it after that is still refused
        line = one_line(run_cli("sync", "--to", url, env=a.env()))
        assert "not a refurb inventory" in line
        assert public_tables(url) == ["customers"]
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE photos (id)")
    line = one_line(run_cli("--db", f"sqlite:///{other}", "list", env=a.env()))
    assert "not a refurb inventory" in line and "photos" in line
    tables = sqlite3.connect(other).execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == [("photos",)]


def test_db_of_a_newer_schema_is_refused_naming_it(run_cli, inventory, tmp_path):
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
    before = devices(inventory), events(inventory)
    result = run_cli("--db", inventory, "list", env=a.env())
    assert "0042_future" in one_line(result) and "refurb 9.3.0" in result.stderr
    assert (devices(inventory), events(inventory)) == before


def test_db_with_a_refused_login_is_exit_1_and_hides_the_password(run_cli, tmp_path):
    server = RefusingServer()
    try:
        url = server.url.replace("bench@", "bench:s3cret-pw@")
        result = run_cli("--db", url, "list", env=Bench(tmp_path, "a").env())
        line = one_line(result, 1)
        assert "refused the login" in line
        assert "s3cret-pw" not in result.stderr + result.stdout
    finally:
        server.close()


def _capture_with_uuid(tmp_path: Path) -> Path:
    """The ThinkPad capture with a firmware UUID (the captured one is blank), so the probe
    gives a machine fact for the ``device_facts`` index."""
    cap = tmp_path / "capture"
    shutil.copytree(E480, cap)
    dmi = cap / "dmidecode.txt"
    text = dmi.read_text()
    assert "\tUUID: --" in text
    dmi.write_text(text.replace("\tUUID: --", f"\tUUID: {UUID}", 1))
    return cap


def test_the_inventory_shows_and_recognises_devices_as_the_bench_does(run_cli, inventory, tmp_path):
    a, b = Bench(tmp_path, "a"), Bench(tmp_path, "b")
    with open_store(a.env()) as s:
        asset = s.intake({"serial": "PF0XYZ", "donor": "KBC"}).asset_id
    run_cli("probe", "--from", str(_capture_with_uuid(tmp_path)), "--save", asset, env=a.env())
    run_cli("sync", "--to", inventory, env=a.env(), expect=0)
    run_cli("sync", "--to", inventory, env=b.env(), expect=0)  # b pulls a's device
    facts = rows(a.url, "device_facts", "kind, value")
    assert {(f["kind"], f["value"], f["asset_id"]) for f in facts} >= {("system_uuid", UUID, asset)}
    for where in (inventory, b.url):
        assert rows(where, "device_facts", "kind, value") == facts, where
        assert rows(where, "device_disks", "serial") == rows(a.url, "device_disks", "serial")

    def shown(*db: str) -> dict:
        return run_cli(*db, "show", asset, "--json", env=a.env(), expect=0).json

    def stock(*db: str) -> dict:
        report = run_cli(*db, "stock", "--json", env=a.env(), expect=0).json
        report.pop("generated_at")
        return report

    assert shown("--db", inventory) == shown()
    assert stock("--db", inventory) == stock()


def test_a_large_push_projects_as_the_bench_does(run_cli, pg_server_url, tmp_path):
    a = Bench(tmp_path, "a")
    grow(a, 2500, devices=60)
    with pg_database(pg_server_url) as url:
        result = run_cli("sync", "--to", url, "--json", env=a.env(), expect=0).json
        assert result["pushed"] == 2500 + 60
        assert devices(url) == devices(a.url) and events(url) == events(a.url)
        assert len(devices(url)) == 60


def test_a_tampered_event_deep_in_a_large_push_aborts_the_copy(run_cli, pg_server_url, tmp_path):
    a = Bench(tmp_path, "a")
    grow(a, 2500, devices=10)
    with sqlite3.connect(a.home / "refurb.db") as db:
        db.execute(
            "UPDATE events SET payload = ? WHERE ws_seq = 1500", (json.dumps({"text": "forged"}),)
        )
    with pg_database(pg_server_url) as url:
        run_cli("--db", url, "list", env=a.env(), expect=0)  # an empty inventory, made
        before = devices(url), events(url)
        line = one_line(run_cli("sync", "--to", url, env=a.env()))
        assert "the inventory refuses" in line and "#1500 " in line
        assert "content was changed" in line
        assert (devices(url), events(url)) == before


def test_a_uuid_the_inventory_holds_under_another_number_is_not_doubled(
    run_cli, inventory, tmp_path
):
    """A forged chain reusing another bench's event id (its hashes made to fit): the COPY meets
    the unique id, steps back to its savepoint and the push goes the careful way."""
    from support_sync import rows as table

    a, b = Bench(tmp_path, "a"), Bench(tmp_path, "b")
    with open_store(a.env()) as s:
        s.intake({"serial": "A1"})
    run_cli("sync", "--to", inventory, env=a.env(), expect=0)
    taken = table(a.url, "events", "ws_seq")[0]["id"]
    with open_store(b.env()) as s:
        s.intake_many([{"serial": f"B{i}"} for i in range(3)])
    with sqlite3.connect(b.home / "refurb.db") as db:
        db.execute("UPDATE events SET id = ? WHERE ws_seq = 2", (taken,))
        _rehash(db)
    result = run_cli("sync", "--to", inventory, "--json", env=b.env(), expect=0).json
    assert result["pushed"] == 3
    held = events(inventory)
    assert [e["id"] for e in held].count(taken) == 1
    assert {e["hash"] for e in held} >= {e["hash"] for e in events(a.url)}
    assert len(held) == 3  # a's event, and b's #1 and #3


def _rehash(db: sqlite3.Connection) -> None:
    from refurb.store import event_hash

    cols = "id, asset_id, kind, payload, actor, workstation, ws_seq, created_at, prev_hash"
    names = [c.strip() for c in cols.split(",")]
    digest = ""
    for row in db.execute(f"SELECT {cols} FROM events ORDER BY ws_seq").fetchall():
        fields = dict(zip(names, row, strict=True))
        fields["prev_hash"] = digest
        digest = event_hash(**fields)
        db.execute(
            "UPDATE events SET prev_hash = ?, hash = ? WHERE ws_seq = ?",
            (fields["prev_hash"], digest, fields["ws_seq"]),
        )
    db.execute("UPDATE workstations SET last_hash = ?", (digest,))
