"""The same store behaviour on SQLite and on the real PostgreSQL server; concurrent writers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support_events import erased_record

from refurb import ids
from refurb.env import Env
from refurb.store import SCHEMA_HEAD, open_store

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_server_url")


def test_full_flow_on_each_backend(run_cli, db_url):
    run_cli("--db", db_url, "init", "--site", "Backend test", expect=0)
    a = run_cli("--db", db_url, "intake", "new", "--serial", "PG1", "--json", expect=0).json
    asset = a["asset_id"]
    dup = run_cli("--db", db_url, "intake", "new", "--serial", "PG1")
    assert dup.exit_code == 1 and asset in dup.stderr
    run_cli("--db", db_url, "status", asset, "in_progress", expect=0)
    refused = run_cli("--db", db_url, "status", asset, "ready")
    assert refused.exit_code == 1
    shown = run_cli("--db", db_url, "show", asset, "--json", expect=0).json
    assert [e["kind"] for e in shown["events"]] == ["intake", "status"]
    assert run_cli("--db", db_url, "admin", "check", "--json", expect=0).json["ok"]
    assert run_cli("--db", db_url, "admin", "rebuild", "--json", expect=0).json["devices"] >= 1
    again = run_cli("--db", db_url, "show", asset, "--json", expect=0).json
    assert again["device"] == shown["device"]


def test_projection_of_steps(db_url, refurb_home):
    """Probe, erasure, OS and grade events drive the device to something that may be ready."""
    env = Env(db_url=db_url)
    probe = {
        "schema": "refurb.probe/1",
        "system": {"manufacturer": "LENOVO", "model": "ThinkPad T460", "serial": "PC0XYZ"},
        "cpu": {"model": "Intel(R) Core(TM) i5-6300U CPU @ 2.40GHz"},
        "memory": {"installed_bytes": 8 * 2**30},
        "disks": [
            {
                "name": "sda",
                "model": "SAMSUNG MZ7LN256",
                "serial": "S2ABC",
                "size_bytes": 256e9,
                "protocol": "ATA",
                "rotational": False,
            },
            {"name": "sdb", "model": "USB stick", "serial": "U1", "protocol": "USB"},
        ],
        "batteries": [{"health_pct": 81.5}],
        "displays": [{"diagonal_inches": 13.9, "native_resolution": "1920x1080"}],
    }
    with open_store(env) as store:
        dev = store.intake({"donor": "KBC"})
        store.append(dev.asset_id, "probe", {"probe": probe})
        state = store.device_state(store.get_device(dev.asset_id))
        assert state["status"] == "in_progress"
        assert state["model"] == "ThinkPad T460" and state["serial"] == "PC0XYZ"
        assert list(state["disks"]) == ["S2ABC"]  # the USB boot stick is not the laptop's disk
        assert store.find_by_disk_serial("S2ABC").asset_id == dev.asset_id
        assert store.find_by_serial("PC0XYZ").asset_id == dev.asset_id
        missing = store.readiness(dev.asset_id)
        assert len(missing) == 3  # erasure, OS, grade
        disk = {"name": "sda", "serial": "S2ABC", "model": "SAMSUNG MZ7LN256"}
        store.append(dev.asset_id, "wipe_started", {"wipe_id": "w1", "disk": disk})
        store.append(
            dev.asset_id, "wipe", {"wipe_id": "w1", "disk": disk, "status": "failed", "record": {}}
        )
        assert store.get_device(dev.asset_id).status == "quarantine"
        store.append(
            dev.asset_id,
            "wipe",
            {
                "wipe_id": "w2",
                "disk": disk,
                "status": "erased",
                "record": erased_record(),
            },
        )
        store.append(dev.asset_id, "os_install", {"image": "Linux Mint", "version": "22.1"})
        store.append(dev.asset_id, "grade", {"grade": "B"})
        assert store.readiness(dev.asset_id) == []
        store.set_status(dev.asset_id, "ready")
        device = store.get_device(dev.asset_id)
        assert (device.status, device.erasure, device.os) == ("ready", "erased", "Linux Mint 22.1")
        assert device.erased_at == "2026-11-23T10:00"


def test_schema_head_matches_the_migrations():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "refurb" / "migrations"))
    assert ScriptDirectory.from_config(cfg).get_current_head() == SCHEMA_HEAD


def test_migrations_match_the_models(db_url, refurb_home):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from refurb.models import SQLModel

    with open_store(Env(db_url=db_url)) as store, store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_concurrent_writers_keep_one_chain(tmp_path, refurb_home):
    """Four processes on one workstation add devices at once: no lost or duplicated event."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    env = dict(os.environ, REFURB_HOME=str(refurb_home), REFURB_DB=url, PYTHONPATH=str(ROOT))
    subprocess.run(
        [sys.executable, "-m", "refurb", "init"], env=env, check=True, capture_output=True
    )
    script = (
        "from refurb.env import Env\nfrom refurb.store import open_store\n"
        "for i in range(25):\n"
        "    with open_store(Env()) as s:\n"
        "        s.intake({'batch': 'race'})\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script], env=env) for _ in range(4)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    with open_store(Env(db_url=url)) as store:
        devices = store.list_devices(batch="race")
        assert len(devices) == 100
        assert len({d.asset_id for d in devices}) == 100
        assert all(ids.is_valid(d.asset_id) for d in devices)
        count, problems = store.check_chain()
        assert count == 100 and problems == []


def test_append_many_is_all_or_nothing(db_url, refurb_home):
    from refurb.errors import NotFound

    with open_store(Env(db_url=db_url)) as store:
        a, b = store.intake_many([{"serial": "M1"}, {"serial": "M2"}])
        store.append_many(
            [(a.asset_id, "label", {"template": "t"}), (b.asset_id, "label", {"template": "t"})]
        )
        assert [e.kind for e in store.events(b.asset_id)] == ["intake", "label"]
        missing = ids.make_id(1, 1)
        with pytest.raises(NotFound):
            store.append_many(
                [(a.asset_id, "note", {"text": "x"}), (missing, "note", {"text": "y"})]
            )
        assert [e.kind for e in store.events(a.asset_id)] == ["intake", "label"]
        assert store.check_chain()[1] == []
