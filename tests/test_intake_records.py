"""Sheet versus probe, correcting records, notes, bulk status moves and the donor's receipt."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest
from support_probe import E480
from test_probe_cli import _with_serial


def _import(run_cli, tmp_path: Path, text: str, *args: str) -> dict:
    path = tmp_path / "sheet.csv"
    path.write_text(text, encoding="utf-8")
    return run_cli("intake", "import", str(path), "--json", *args, expect=0).json


def test_probe_save_finds_the_placeholder_and_shows_where_the_sheet_differs(
    run_cli, initialized, tmp_path
):
    _import(run_cli, tmp_path, "Serial;Brand;Model\nPF0ABC12;Dell;ThinkPad T460\n", "--batch", "B")
    folder = _with_serial(tmp_path, "PF0ABC12")
    saved = run_cli("probe", "--from", str(folder), "--save", "--json", expect=0).json["saved"]
    assert saved["matched_by"] == "system_serial" and saved["created"] is False
    assert saved["mismatch"] == {
        "manufacturer": {"intake": "Dell", "probe": "Lenovo"},
        "model": {"intake": "ThinkPad T460", "probe": "ThinkPad E480"},
    }
    asset = saved["asset_id"]
    text = run_cli("probe", "--from", str(folder), "--save", expect=0).stdout
    assert "The intake record says model ThinkPad T460, the probe found ThinkPad E480." in text

    shown = run_cli("show", asset, expect=0).stdout
    assert "The intake record says manufacturer Dell, the probe found Lenovo." in shown
    assert f"refurb intake edit {asset} --confirm" in shown
    device = run_cli("show", asset, "--json", expect=0).json["device"]
    assert (device["manufacturer"], device["model"]) == ("Lenovo", "ThinkPad E480")

    # Re-importing the donor's unchanged sheet changes nothing, nor hides the difference.
    again = _import(run_cli, tmp_path, "Serial;Brand;Model\nPF0ABC12;Dell;ThinkPad T460\n")
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 1)

    # Correcting one field settles it; --confirm settles the rest in the probe's favour.
    run_cli("intake", "edit", asset, "--manufacturer", "Lenovo", expect=0)
    state = run_cli("show", asset, "--json", expect=0).json["device"]
    assert list(state["intake"]["mismatch"]) == ["model"]
    run_cli("intake", "edit", asset, "--confirm", expect=0)
    shown = run_cli("show", asset, "--json", expect=0).json
    assert shown["device"]["intake"]["mismatch"] == {}
    assert shown["device"]["model"] == "ThinkPad E480"
    assert [e["kind"] for e in shown["events"]][-2:] == ["confirm", "confirm"]
    assert "The intake record says" not in run_cli("show", asset, expect=0).stdout
    nothing = run_cli("intake", "edit", asset, "--confirm", expect=1)
    assert "no difference" in nothing.stderr


def test_probe_save_finds_a_placeholder_by_its_disk_serial(run_cli, initialized, tmp_path):
    _import(run_cli, tmp_path, "Serienummer;Model\nS3YZNB0KB00864E;ThinkPad E480\n")
    saved = run_cli("probe", "--from", str(E480), "--save", "--json", expect=0).json["saved"]
    assert saved["matched_by"] == "disk_serial" and saved["mismatch"] == {}


def test_edit_fields_and_note_are_events(run_cli, initialized):
    asset = run_cli("intake", "new", "--serial", "PF0E1", "--json", expect=0).json["asset_id"]
    done = run_cli(
        "intake",
        "edit",
        asset,
        "--model",
        "Latitude 7390",
        "--received",
        "31.12.26",
        "--json",
        expect=0,
    ).json
    assert done["changed"] == {"model": "Latitude 7390", "received": "2026-12-31"}
    run_cli("note", asset, "charger", "missing", expect=0)
    shown = run_cli("show", asset, "--json", expect=0).json
    assert [e["kind"] for e in shown["events"]] == ["intake", "update", "note"]
    assert shown["events"][2]["payload"] == {"text": "charger missing"}
    assert "charger missing" in run_cli("show", asset, expect=0).stdout
    assert (
        "nothing to change"
        in run_cli("intake", "edit", asset, "--model", "Latitude 7390", expect=1).stderr
    )
    bad = run_cli("intake", "edit", asset, "--received", "32/12/2026", expect=1)
    assert "--received: '32/12/2026' is not a real date" in bad.stderr


def test_bulk_status_is_all_or_nothing(run_cli, initialized, tmp_path):
    result = _import(run_cli, tmp_path, "Serial\nPF0B1\nPF0B2\nPF0B3\n", "--batch", "BULK")
    assets = [d["asset_id"] for d in result["created_devices"]]
    moved = run_cli("status", "--batch", "BULK", "in_progress", "--json", expect=0).json
    assert [m["to"] for m in moved] == ["in_progress"] * 3
    run_cli("status", assets[0], "recycled", expect=0)
    refused = run_cli("status", "--batch", "BULK", "ready")
    assert refused.exit_code == 1
    assert f"{assets[0]}: {assets[0]} cannot move from recycled to ready" in refused.stderr
    assert f"{assets[1]}: {assets[1]} cannot be ready yet" in refused.stderr
    assert "3 of 3 moves refused; nothing was changed" in refused.stderr

    listing = tmp_path / "ids.txt"
    listing.write_text(f"# two of them\n{assets[1]}\n\n{assets[2]}\nRF-BOGUS\n")
    partly = run_cli("status", "--from-file", str(listing), "parts", expect=1)
    assert "1 of 3 moves refused" in partly.stderr and "RF-BOGUS" in partly.stderr
    states = {d["asset_id"]: d["status"] for d in run_cli("list", "--json", expect=0).json}
    assert states[assets[1]] == states[assets[2]] == "in_progress"
    listing.write_text(f"{assets[1]}\n{assets[2]}\n")
    run_cli("status", "--from-file", str(listing), "parts", expect=0)
    states = {d["asset_id"]: d["status"] for d in run_cli("list", "--json", expect=0).json}
    assert states[assets[1]] == states[assets[2]] == "parts"
    assert run_cli("status", "--batch", "BULK", expect=2).exit_code == 2
    assert run_cli("status", "--batch", "NONE", "parts", expect=1)


def test_receipt_in_the_donors_language(run_cli, initialized, tmp_path):
    _import(
        run_cli,
        tmp_path,
        "Numéro de série;Marque;Modèle;Donateur;Date de réception\n"
        "A1;HP;ProBook 450 G5;Ville de Liège;02/11/2026\n"
        "A2;HP;ProBook 450 G5;Ville de Liège;03/11/2026\n"
        "A3;Lenovo;ThinkPad T480;Ville de Liège;03/11/2026\n",
        "--batch",
        "LG-11",
    )
    data = run_cli("intake", "receipt", "--batch", "LG-11", "--json", expect=0).json
    assert data["count"] == 3 and data["donors"] == ["Ville de Liège"]
    assert (data["received_from"], data["received_to"]) == ("2026-11-02", "2026-11-03")
    assert data["models"] == [
        {"model": "HP ProBook 450 G5", "count": 2},
        {"model": "Lenovo ThinkPad T480", "count": 1},
    ]
    assert data["weight_kg"] == 6.9 and "3 laptops × 2.3 kg" in data["weight_basis"]
    pdf = tmp_path / "recu.pdf"
    text = run_cli(
        "intake", "receipt", "--batch", "LG-11", "--lang", "fr", "--pdf", str(pdf), expect=0
    ).stdout
    assert "Reçu pour des appareils donnés" in text and "Donateur : Ville de Liège" in text
    assert pdf.read_bytes().startswith(b"%PDF")
    paper = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Reçu pour des appareils donnés" in paper
    assert "Ville de Liège" in paper and "HP ProBook 450 G5" in paper and "6,9 kg" in paper


def test_receipt_of_an_unknown_batch(run_cli, initialized):
    assert "no device in batch X" in run_cli("intake", "receipt", "--batch", "X", expect=1).stderr


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def db_url(request, tmp_path):
    """A store of this test's own: the session's PostgreSQL database is shared by other tests
    that expect it empty, so this one makes (and drops) a database of its own beside it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    import psycopg

    shared = request.getfixturevalue("pg_server_url")
    head, _, _ = shared.rpartition("/")
    name = f"refurb_intake_{uuid.uuid4().hex[:10]}"
    plain = shared.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{head}/{name}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_import_update_bulk_status_and_rebuild_on_each_backend(run_cli, db_url, tmp_path):
    run_cli("--db", db_url, "init", "--site", "Backend", expect=0)
    sheet = tmp_path / "b.csv"
    serials = [f"BK{db_url[:2]}{uuid.uuid4().hex[:8]}-{n}" for n in range(300)]
    sheet.write_text("Serial;Model\n" + "".join(f"{s};T460\n" for s in serials))
    first = run_cli(
        "--db", db_url, "intake", "import", str(sheet), "--batch", serials[0], "--json", expect=0
    ).json
    assert first["created"] == 300
    sheet.write_text("Serial;Model\n" + "".join(f"{s};T470\n" for s in serials[:5]))
    second = run_cli("--db", db_url, "intake", "import", str(sheet), "--json", expect=0).json
    assert (second["created"], second["updated"]) == (0, 5)
    moved = run_cli("--db", db_url, "status", "--batch", serials[0], "parts", "--json", expect=0)
    assert len(moved.json) == 300
    assert run_cli("--db", db_url, "admin", "check", "--json", expect=0).json["ok"]
    before = run_cli("--db", db_url, "show", first["created_devices"][0]["asset_id"], "--json").json
    run_cli("--db", db_url, "admin", "rebuild", expect=0)
    after = run_cli("--db", db_url, "show", first["created_devices"][0]["asset_id"], "--json").json
    assert after["device"] == before["device"]
    assert after["device"]["model"] == "T470" and after["device"]["status"] == "parts"
