"""`refurb sync` between benches and a shared inventory: a SQLite file and the real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from support_sync import Bench, devices, events

from refurb.store import SCHEMA_HEAD, open_store


def sync(run_cli, bench: Bench, inventory: str, *args: str):
    return run_cli("sync", "--to", inventory, "--json", *args, env=bench.env(), expect=0).json


def same_everywhere(benches: list[Bench], inventory: str) -> list[dict]:
    want = devices(inventory)
    log = events(inventory)
    for bench in benches:
        assert devices(bench.url) == want, bench.name
        assert events(bench.url) == log, bench.name
    return want


def test_three_benches_end_with_identical_projections(run_cli, inventory, tmp_path):
    a, b, c = (Bench(tmp_path, n) for n in ("a", "b", "c"))
    with open_store(a.env()) as s:
        x = s.intake({"serial": "X1", "donor": "KBC"}).asset_id
        s.append(x, "note", {"text": "from a"})
    with open_store(c.env()) as s:
        s.intake_many([{"serial": f"C{i}"} for i in range(5)])
    first = sync(run_cli, a, inventory)
    assert (first["pushed"], first["pulled"]) == (2, 0)
    [receipt] = first["receipts"]
    assert (receipt["first"], receipt["last"], receipt["count"]) == (1, 2, 2)
    assert sync(run_cli, b, inventory)["pulled"] == 2
    with open_store(b.env()) as s:  # b works on a's device
        s.append(x, "update", {"location": "shelf 3"})
        s.set_status(x, "parts", "broken hinge")
    assert sync(run_cli, c, inventory)["pushed"] == 5
    assert sync(run_cli, b, inventory)["pushed"] == 2
    for bench in (a, b, c):
        sync(run_cli, bench, inventory)
    final = same_everywhere([a, b, c], inventory)
    assert len(final) == 6
    row = next(d for d in final if d["asset_id"] == x)
    assert (row["status"], row["location"], row["event_count"]) == ("parts", "shelf 3", 4)

    before = events(inventory)
    again = [sync(run_cli, bench, inventory) for bench in (a, b, c)]
    assert all((r["pushed"], r["pulled"]) == (0, 0) for r in again)
    assert events(inventory) == before
    assert run_cli("admin", "check", env=a.env(), expect=0)


def test_interleaved_events_fold_in_one_order(run_cli, inventory, tmp_path):
    """b's clock runs behind: its later edit sorts before a's; both sides fold by time."""
    a = Bench(tmp_path, "a", datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    b = Bench(tmp_path, "b", datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    with open_store(a.env()) as s:
        x = s.intake({"serial": "X1"}).asset_id
    sync(run_cli, a, inventory)
    sync(run_cli, b, inventory)
    with open_store(a.env()) as s:
        s.append(x, "update", {"location": "shelf A"})  # 10:00:02
    with open_store(b.env()) as s:
        s.append(x, "update", {"location": "shelf B"})  # 09:00:0x, written later
    sync(run_cli, a, inventory)
    sync(run_cli, b, inventory)
    sync(run_cli, a, inventory)
    final = same_everywhere([a, b], inventory)
    assert final[0]["location"] == "shelf A"  # a's edit is the later one by time
    shown = run_cli("show", x, "--json", env=a.env(), expect=0).json
    assert shown["device"]["location"] == "shelf A"


def test_contradicting_moves_are_kept_and_listed(run_cli, inventory, tmp_path):
    a = Bench(tmp_path, "a")
    b = Bench(tmp_path, "b", datetime(2026, 12, 1, 11, 0, tzinfo=UTC))  # b moves it later
    with open_store(a.env()) as s:
        x = s.intake({"serial": "X1"}).asset_id
    sync(run_cli, a, inventory)
    sync(run_cli, b, inventory)
    run_cli("status", x, "parts", env=a.env(), expect=0)
    run_cli("status", x, "recycled", env=b.env(), expect=0)
    sync(run_cli, a, inventory)
    result = sync(run_cli, b, inventory)
    assert len(result["conflicts"]) == 1
    sync(run_cli, a, inventory)
    same_everywhere([a, b], inventory)
    for bench in (a, b):
        [c] = run_cli("sync", "conflicts", "--json", env=bench.env(), expect=0).json
        assert (c["asset_id"], c["overrides"], c["status"]) == (x, "parts", "recycled")
        assert {c["first"]["actor"], c["second"]["actor"]} == {"a", "b"}
        shown = run_cli("show", x, env=bench.env(), expect=0)
        assert "contradiction" in shown.stdout and "recycled" in shown.stdout
    listed = run_cli("sync", "conflicts", env=a.env(), expect=0)
    assert x in listed.stdout
    kinds = [e["kind"] for e in run_cli("show", x, "--json", env=b.env(), expect=0).json["events"]]
    assert kinds.count("status") == 2  # nothing overwritten


def test_the_office_reads_the_inventory_directly(run_cli, inventory, tmp_path):
    a = Bench(tmp_path, "a")
    with open_store(a.env()) as s:
        x = s.intake({"serial": "X1", "batch": "office"}).asset_id
    sync(run_cli, a, inventory)
    office = Bench(tmp_path, "office")
    listed = run_cli("--db", inventory, "list", "--json", env=office.env(), expect=0).json
    assert [d["asset_id"] for d in listed] == [x]
    shown = run_cli("--db", inventory, "show", x, "--json", env=office.env(), expect=0).json
    assert shown["device"]["batch"] == "office" and shown["conflicts"] == []


def test_status_and_verify(run_cli, inventory, tmp_path):
    a, b = Bench(tmp_path, "a"), Bench(tmp_path, "b")
    run_cli("config", "inventory", inventory, env=a.env(), expect=0)
    with open_store(a.env()) as s:
        x = s.intake({"serial": "X1"}).asset_id
    status = run_cli("sync", "--status", "--json", env=a.env(), expect=0).json
    assert (status["waiting"], status["last_receipt"]) == (1, None)
    run_cli("sync", env=a.env(), expect=0)
    with open_store(a.env()) as s:
        s.append(x, "note", {"text": "later"})
        s.append(x, "note", {"text": "later still"})
    status = run_cli("sync", "--status", "--json", env=a.env(), expect=0).json
    assert status["waiting"] == 2 and status["last_receipt"]["last"] == 1
    text = run_cli("sync", "--status", env=a.env(), expect=0).stdout
    assert "2 waiting" in text

    checked = run_cli("sync", "--verify", "--json", env=a.env(), expect=0).json
    [chain] = checked["chains"]
    assert chain["missing_in_inventory"] == [[2, 3]] and not checked["in_step"]
    sync(run_cli, b, inventory)
    with open_store(b.env()) as s:
        s.append(x, "note", {"text": "from b"})
    sync(run_cli, b, inventory)
    shown = run_cli("sync", "--verify", env=a.env(), expect=0).stdout
    assert "#2..3 only on this bench" in shown and "#1..1 only in the inventory" in shown
    run_cli("sync", env=a.env(), expect=0)
    assert run_cli("sync", "--verify", "--json", env=a.env(), expect=0).json["in_step"]


def test_migrates_an_inventory_of_the_previous_schema(run_cli, inventory, tmp_path):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    from refurb.store import MIGRATIONS

    office = Bench(tmp_path, "office")  # the office wrote to it directly with --db
    run_cli("--db", inventory, "intake", "new", "--serial", "O1", env=office.env(), expect=0)
    engine = create_engine(inventory)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:  # back to the schema of the refurb before sync existed
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
    a = Bench(tmp_path, "a")
    with open_store(a.env()) as s:
        s.intake({"serial": "A1"})
    result = sync(run_cli, a, inventory)
    assert (result["pushed"], result["pulled"]) == (1, 1)  # the office's device came down
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_HEAD
        made = conn.execute(text("SELECT value FROM sync_info WHERE key = 'refurb_version'"))
        assert made.scalar()
    engine.dispose()
    same_everywhere([a], inventory)


def test_an_empty_database_becomes_an_inventory(run_cli, inventory, tmp_path):
    a = Bench(tmp_path, "a")
    with open_store(a.env()) as s:
        s.intake({"serial": "A1"})
    assert sync(run_cli, a, inventory)["pushed"] == 1
    same_everywhere([a], inventory)


def test_partners_and_loans_travel_between_benches(run_cli, inventory, tmp_path):
    """A loan made on one bench is in the other bench's loan book after both synced."""
    a = Bench(tmp_path, "a")
    b = Bench(tmp_path, "b", start=datetime(2026, 12, 2, 9, 0, tzinfo=UTC))  # the day after

    def cli(bench, *args):
        return run_cli(*args, env=bench.env(), expect=0)

    asset = cli(a, "intake", "new", "--kind", "screen", "--model", "Dell P2419H", "--json").json[
        "asset_id"
    ]
    checks = ["--check=power=ok", "--check=panel=ok", "--check=dead_pixels=ok", "--check=cables=ok"]
    cli(a, "grade", asset, "--cosmetic", "A", *checks)
    cli(a, "status", asset, "ready")
    cli(a, "partner", "add", "Digi-leen", "--lang", "nl")
    cli(a, "loan", "out", asset, "--to", "Digi-leen", "--ref", "DL-0042", "--due", "2027-06-30")
    sync(run_cli, a, inventory)
    sync(run_cli, b, inventory)
    assert [p["name"] for p in cli(b, "partner", "list", "--json").json] == ["Digi-leen"]
    [loan] = cli(b, "loan", "list", "--json").json
    assert loan["asset_id"] == asset and loan["due"] == "2027-06-30"
    assert cli(b, "show", asset, "--json").json["device"]["status"] == "on_loan"
    assert not any(d["asset_id"].startswith("PT-") for d in devices(inventory))
    cli(b, "loan", "return", asset, "--condition", "ok")
    sync(run_cli, b, inventory)
    sync(run_cli, a, inventory)
    assert cli(a, "loan", "list", "--json").json == []
    assert cli(a, "show", asset, "--json").json["device"]["status"] == "in_progress"
