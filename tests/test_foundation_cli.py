"""The foundation through the CLI: init, intake, show, list, status, admin, errors."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from refurb import __version__, ids


def intake(run_cli, *args):
    result = run_cli("intake", "new", *args, "--json", expect=0)
    return result.json["asset_id"]


def test_init_creates_store_and_private_config(run_cli, refurb_home):
    result = run_cli("init", "--site", "Repair Café Gent", "--json", expect=0)
    data = result.json
    assert data["site"] == "Repair Café Gent"
    config = refurb_home / "config.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert (refurb_home / "refurb.db").exists()
    # Running it again keeps the data and the workstation.
    again = run_cli("init", "--json", expect=0).json
    assert again["workstation"] == data["workstation"]
    assert again["site"] == "Repair Café Gent"


def test_intake_show_list_status_flow(run_cli, initialized):
    a = intake(
        run_cli,
        "--serial",
        "PF0ABC12",
        "--model",
        "ThinkPad T460",
        "--donor",
        "KBC",
        "--batch",
        "B-17",
        "--location",
        "shelf 3",
    )
    b = intake(run_cli, "--serial", "5CG1234", "--batch", "B-18")
    assert ids.is_valid(a) and ids.is_valid(b) and a != b

    shown = run_cli("show", a, "--json", expect=0).json
    assert shown["device"]["serial"] == "PF0ABC12"
    assert shown["device"]["status"] == "intake"
    assert [e["kind"] for e in shown["events"]] == ["intake"]
    assert shown["events"][0]["actor"] == "tester"

    text = run_cli("show", a.lower().replace("-", ""), expect=0).stdout
    assert "ThinkPad T460" in text and "registered" in text

    listed = run_cli("list", "--batch", "B-17", "--json", expect=0).json
    assert [d["asset_id"] for d in listed] == [a]
    assert len(run_cli("list", "--json", expect=0).json) == 2

    moved = run_cli("status", a, "parts", "--reason", "broken hinge", "--json", expect=0).json
    assert moved == {"asset_id": a, "from": "intake", "to": "parts", "reason": "broken hinge"}
    assert run_cli("list", "--status", "parts", "--json", expect=0).json[0]["asset_id"] == a
    events = run_cli("show", a, "--json", expect=0).json["events"]
    assert [e["kind"] for e in events] == ["intake", "status"]


def test_plain_intake_prints_only_the_id_on_stdout(run_cli, initialized):
    result = run_cli("intake", "new", "--serial", "X1", expect=0)
    assert ids.is_valid(result.stdout.strip())


def test_duplicate_serial_is_refused_unless_forced(run_cli, initialized):
    a = intake(run_cli, "--serial", "PF0ABC12")
    result = run_cli("intake", "new", "--serial", "PF0ABC12")
    assert result.exit_code == 1
    assert a in result.stderr and "Traceback" not in result.stderr
    assert len(run_cli("list", "--json").json) == 1
    b = intake(run_cli, "--serial", "PF0ABC12", "--force")
    assert b != a


def test_refused_move_says_why_and_writes_nothing(run_cli, initialized):
    a = intake(run_cli, "--serial", "S1")
    run_cli("status", a, "in_progress", expect=0)
    result = run_cli("status", a, "ready")
    assert result.exit_code == 1
    assert "probe" in result.stderr and "grade" in result.stderr and "OS" in result.stderr
    run_cli("status", a, "recycled", expect=0)
    final = run_cli("status", a, "in_progress")
    assert final.exit_code == 1 and "final" in final.stderr
    assert len(run_cli("show", a, "--json").json["events"]) == 3


def test_unknown_and_mistyped_ids(run_cli, initialized):
    a = intake(run_cli, "--serial", "S1")
    body = a.replace("-", "")[2:]
    # a swap of two adjacent characters is caught, and the real id is suggested
    i = next(i for i in range(9) if body[i] != body[i + 1])
    typo = body[:i] + body[i + 1] + body[i] + body[i + 2 :]
    result = run_cli("show", typo)
    assert result.exit_code == 1
    assert "check character" in result.stderr and a in result.stderr
    # a valid id that is not in the store: suggests ids of the same workbench
    other = ids.format_id(int.from_bytes(os.urandom(5), "big") >> 3)
    result = run_cli("show", other)
    assert result.exit_code == 1 and "no device" in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2
    result = run_cli("show", "hello")
    assert result.exit_code == 1 and "not an asset id" in result.stderr
    result = run_cli("status", a, "sold")
    assert result.exit_code == 1 and "unknown status" in result.stderr


def test_tampering_is_detected(run_cli, initialized, refurb_home):
    a = intake(run_cli, "--serial", "S1", "--donor", "KBC")
    intake(run_cli, "--serial", "S2")
    run_cli("status", a, "parts", expect=0)
    assert run_cli("admin", "check", "--json", expect=0).json["ok"] is True
    db = sqlite3.connect(refurb_home / "refurb.db")
    db.execute("UPDATE events SET payload = replace(payload, 'KBC', 'XYZ') WHERE kind='intake'")
    db.commit()
    result = run_cli("admin", "check", "--json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)["problems"]
    assert any("changed" in p for p in problems)


def test_deleted_event_is_detected(run_cli, initialized, refurb_home):
    a = intake(run_cli, "--serial", "S1")
    run_cli("status", a, "parts", expect=0)
    db = sqlite3.connect(refurb_home / "refurb.db")
    db.execute("DELETE FROM events WHERE kind='status'")
    db.commit()
    result = run_cli("admin", "check")
    assert result.exit_code == 1 and "missing" in result.stderr


def test_rebuild_reproduces_the_projection(run_cli, initialized, refurb_home):
    a = intake(run_cli, "--serial", "S1", "--model", "X230")
    run_cli("status", a, "in_progress", expect=0)
    before = run_cli("show", a, "--json", expect=0).json["device"]
    db = sqlite3.connect(refurb_home / "refurb.db")
    db.execute("UPDATE devices SET status='recycled', model='wrong'")
    db.commit()
    rebuilt = run_cli("admin", "rebuild", "--json", expect=0).json
    assert rebuilt == {"devices": 1, "chain_ok": True, "problems": []}
    assert run_cli("show", a, "--json", expect=0).json["device"] == before


def test_corrupt_database_is_a_clear_error(run_cli, tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    before = bad.read_bytes()
    result = run_cli("--db", f"sqlite:///{bad}", "list")
    assert result.exit_code == 1
    assert "not a usable refurb store" in result.stderr and "Traceback" not in result.stderr
    assert bad.read_bytes() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_store_path_non_root(run_cli, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    result = run_cli("--db", f"sqlite:///{locked}/sub/refurb.db", "intake", "new")
    assert result.exit_code == 1 and "cannot" in result.stderr


def test_unwritable_store_path(run_cli, tmp_path):
    # A path under a regular file can never be created, not even by root.
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run_cli("--db", f"sqlite:///{blocker}/refurb.db", "intake", "new", "--serial", "A")
    assert result.exit_code == 1
    assert "does not exist" in result.stderr
    result = run_cli("--db", f"sqlite:///{blocker}/refurb.db", "init")
    assert result.exit_code == 1
    assert "cannot create the store folder" in result.stderr
    assert blocker.read_text() == "x"


def test_debug_shows_traceback_and_normal_mode_does_not(tmp_path):
    env = dict(os.environ, REFURB_HOME=str(tmp_path / "h"))
    root = Path(__file__).resolve().parents[1]
    env["PYTHONPATH"] = str(root)
    plain = subprocess.run(
        [sys.executable, "-m", "refurb", "show", "nope"], env=env, capture_output=True, text=True
    )
    assert plain.returncode == 1 and "Traceback" not in plain.stderr
    assert plain.stderr.startswith("refurb: error:")
    debug = subprocess.run(
        [sys.executable, "-m", "refurb", "--debug", "show", "nope"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_dutch_and_french_messages(run_cli, initialized):
    a = intake(run_cli, "--serial", "S1")
    nl = run_cli("--lang", "nl", "status", a, "ready")
    assert nl.exit_code == 1 and nl.stderr.startswith("refurb: fout:")
    fr = run_cli("--lang", "fr", "show", "nope")
    assert fr.exit_code == 1 and fr.stderr.startswith("refurb : erreur :")


def test_usage_error_exits_2(run_cli):
    assert run_cli("status").exit_code == 2
    assert run_cli("--lang", "xx", "list").exit_code == 2


def test_every_command_has_help_with_an_example(run_cli):
    from typer.main import get_command

    from refurb.cli import app

    root = get_command(app)

    def walk(cmd, path):
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                yield from walk(sub, [*path, name])
        else:
            yield path

    for path in walk(root, []):
        result = run_cli(*path, "--help", expect=0)
        assert "Example" in result.stdout, path


def test_show_reports_a_wipe_whose_process_died_as_interrupted(run_cli, initialized):
    from refurb.env import Env
    from refurb.store import open_store

    a = intake(run_cli, "--serial", "K9")
    disk = {"name": "sda", "serial": "D1", "model": "M"}
    with open_store(Env()) as store:
        owner = {"workstation": store.workstation, "boot_id": "an-earlier-boot", "pid": 1}
        store.append(a, "wipe_started", {"wipe_id": "w", "disk": disk, "owner": owner})
    shown = run_cli("show", a, "--json", expect=0).json
    assert shown["device"]["disks"]["D1"]["erasure"] == "interrupted"
    # nothing was written by looking
    assert [e["kind"] for e in shown["events"]] == ["intake", "wipe_started"]


def test_groups_without_a_command_show_help(run_cli):
    for group in ("intake", "admin", "wipe", "os", "grade", "labels"):
        result = run_cli(group)
        assert result.exit_code == 2, (group, result)
        assert "Usage:" in result.stdout + result.stderr
        assert "unexpected" not in result.stderr


def test_ready_refusal_names_a_dead_wipe_as_interrupted(run_cli, initialized):
    from refurb.env import Env
    from refurb.store import open_store

    a = intake(run_cli, "--serial", "K10")
    disk = {"name": "sda", "serial": "D2", "model": "M"}
    with open_store(Env()) as store:
        owner = {"workstation": store.workstation, "boot_id": "an-earlier-boot", "pid": 1}
        store.append(a, "wipe_started", {"wipe_id": "w", "disk": disk, "owner": owner})
    result = run_cli("status", a, "ready")
    assert result.exit_code == 1 and "(interrupted)" in result.stderr


def test_a_crash_fails_the_test_but_a_user_sees_one_line(run_cli, initialized, monkeypatch):
    """Tests run with tracebacks on; a user still gets one line, exit 1, and no traceback."""
    from refurb import store as store_module
    from refurb.cli import main

    def crash(self, asset):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(store_module.Store, "get_device", crash)
    with pytest.raises(ZeroDivisionError):
        run_cli("show", "RF-00000-00000")
    code = main(["show", "RF-00000-00000"])
    assert code == 1


def test_store_file_and_folder_are_private(run_cli, initialized, refurb_home):
    db = refurb_home / "refurb.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(refurb_home.stat().st_mode) == 0o700


def test_a_db_path_in_a_missing_folder_is_an_error_naming_it(run_cli, initialized, tmp_path):
    url = f"sqlite:///{tmp_path}/no-such-folder/refurb.db"
    result = run_cli("--db", url, "list")
    assert result.exit_code == 1
    assert "no-such-folder" in result.stderr and "does not exist" in result.stderr
    assert not (tmp_path / "no-such-folder").exists()
    run_cli("--db", url, "init", expect=0)  # init is the command that creates a store
    assert (tmp_path / "no-such-folder" / "refurb.db").exists()


def test_init_lang_is_kept_for_the_workbench(run_cli, refurb_home):
    run_cli("init", "--site", "Repair Café Gent", "--lang", "nl", expect=0)
    assert 'lang = "nl"' in (refurb_home / "config.toml").read_text()
    missing = run_cli("show", ids.make_id(1, 1))  # a later command speaks Dutch
    assert missing.exit_code == 1 and "geen toestel" in missing.stderr
    assert run_cli("init", "--lang", "de").exit_code == 2


def test_a_row_that_no_longer_decodes_points_at_rebuild(run_cli, initialized, refurb_home):
    asset = run_cli("intake", "new", "--serial", "ROW1", expect=0).stdout.strip()
    with sqlite3.connect(refurb_home / "refurb.db") as conn:
        conn.execute("UPDATE devices SET disks = '{not json' WHERE asset_id = ?", (asset,))
    result = run_cli("show", asset)
    assert result.exit_code == 1 and "admin rebuild" in result.stderr
    run_cli("admin", "rebuild", expect=0)
    run_cli("show", asset, expect=0)


def test_the_refurb_command_answers_version_without_building_the_cli():
    """`refurb --version` (the console script's entry) needs neither Typer nor a command module."""
    code = (
        "import sys; sys.argv = ['refurb', '--version']\n"
        "from refurb.__main__ import main\n"
        "status = main()\n"
        "print(status, sorted(m for m in sys.modules if m in ('typer', 'refurb.cli')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines() == [f"refurb {__version__}", "0 []"]
