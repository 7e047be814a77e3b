"""The kind of device in a donor's sheet (a Soort / Genre / Type / Kind column or --kind), bad
files a clerk meets at the door, and the receipt's per-kind weight in the donor's language."""

from __future__ import annotations

import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

# A school's export: cp1252, ';', a title line, blank lines, Dutch headers, kinds written as
# people write them (case, plurals, Dutch and English words), one unknown kind, one blank kind,
# a duplicate serial.
SCHOOL_CSV = (
    "Schenking Sint-Jozefscollege;;;;\r\n"
    "\r\n"
    "Serienummer;Merk;Model;Soort;Datum ontvangst;Opmerkingen\r\n"
    "SJ001;Lenovo;ThinkPad L470;Laptop;02/12/2026;\r\n"
    "SJ002;Dell;OptiPlex 7050;vaste PC;02/12/2026;zonder klavier\r\n"
    "\r\n"
    "SJ003;Samsung;Galaxy Tab A;Tablet ;02/12/2026;\r\n"
    "SJ004;Samsung;Galaxy A12;GSM;02/12/2026;barst in glas\r\n"
    "SJ005;Dell;P2419H;scherm;02/12/2026;\r\n"
    "SJ006;Dell;P2419H;Beeldschermen;02/12/2026;\r\n"
    "SJ007;HP;LaserJet;printer;02/12/2026;\r\n"
    "SJ008;Acer;TravelMate;;02/12/2026;geen soort\r\n"
    "SJ002;Dell;OptiPlex 7050;vaste pc;02/12/2026;dubbel\r\n"
)
WANT = {
    "SJ001": "laptop",
    "SJ002": "desktop",
    "SJ003": "tablet",
    "SJ004": "phone",
    "SJ005": "screen",
    "SJ006": "screen",
    "SJ008": "laptop",
}


def _kinds(run_cli) -> dict[str, str]:
    return {d["serial"]: d["kind"] for d in run_cli("list", "--json", expect=0).json}


def _csv(tmp_path: Path, text: str, name: str = "sheet.csv", encoding: str = "cp1252") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_a_messy_sheet_with_kinds_names_the_unknown_kind_and_writes_nothing(
    run_cli, initialized, tmp_path
):
    path = _csv(tmp_path, SCHOOL_CSV, "school.csv")
    result = run_cli("intake", "import", str(path), "--json", expect=1)
    errors = {e["line"]: e["error"] for e in result.json["errors"]}
    assert sorted(errors) == [11, 13]
    assert errors[11] == (
        "kind 'printer' is not one refurb knows: write laptop, desktop, tablet, phone or screen"
    )
    assert "SJ002 is also on line 5" in errors[13]
    assert result.json["columns"]["Soort"] == "kind"
    assert "2 bad rows in school.csv: nothing was written" in result.stderr
    assert run_cli("list", "--json", expect=0).json == []

    run_cli("intake", "import", str(path), "--skip-bad", "--batch", "SJ", expect=0)
    assert _kinds(run_cli) == WANT
    again = run_cli("intake", "import", str(path), "--skip-bad", "--batch", "SJ", "--json")
    assert (again.json["created"], again.json["updated"], again.json["unchanged"]) == (0, 0, 7)


def test_french_kinds_in_an_xlsx_with_excel_dates_and_a_second_sheet(
    run_cli, initialized, tmp_path
):
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = "Appareils"
    ws.append(["Numéro de série", "Marque", "Modèle", "Genre", "Date de réception"])
    words = ["ordinateur portable", "Portable", "PC fixe", "tablette", "smartphone", "Écran"]
    for n, word in enumerate(words):
        ws.append([f"FR{n}", "HP", "EliteBook", word, 46387 + n])  # Excel serial day numbers
    ws.append([None] * 5)
    ws.append(["FR9", "HP", "EliteBook", "grille-pain", datetime(2026, 12, 31)])
    book.create_sheet("Résumé").append(["total", 7])
    path = tmp_path / "ville.xlsx"
    book.save(path)
    several = run_cli("--lang", "fr", "intake", "import", str(path), expect=1)
    assert "ville.xlsx a 2 feuilles ('Appareils', 'Résumé')" in several.stderr
    bad = run_cli("intake", "import", str(path), "--sheet", "appareils", "--json", expect=1)
    assert [(e["line"], e["error"][:21]) for e in bad.json["errors"]] == [
        (9, "kind 'grille-pain' is")
    ]
    run_cli("intake", "import", str(path), "--sheet", "Appareils", "--skip-bad", expect=0)
    devices = {d["serial"]: d for d in run_cli("list", "--json", expect=0).json}
    assert {s: d["kind"] for s, d in devices.items()} == {
        "FR0": "laptop",
        "FR1": "laptop",
        "FR2": "desktop",
        "FR3": "tablet",
        "FR4": "phone",
        "FR5": "screen",
    }
    assert devices["FR5"]["intake"]["declared"]["received"] == "2027-01-05"


def test_a_type_column_is_the_kind_or_the_model_by_what_it_holds(run_cli, initialized, tmp_path):
    models = _csv(tmp_path, "Serial,Merk,Type\nT1,Lenovo,T460\nT2,Lenovo,X250\n", "m.csv")
    result = run_cli("intake", "import", str(models), "--json", expect=0).json
    assert result["columns"]["Type"] == "model"
    kinds = _csv(tmp_path, "Serial,Model,Type\nT3,P2419H,monitor\nT4,iPad 6,tablet\n", "k.csv")
    assert run_cli("intake", "import", str(kinds), "--json", expect=0).json["columns"] == {
        "Serial": "serial",
        "Model": "model",
        "Type": "kind",
    }
    mixed = _csv(tmp_path, "Serial,Type\nT5,laptop\nT6,laptop\nT7,toaster\n", "x.csv")
    assert run_cli("intake", "import", str(mixed), "--json", expect=1).json["errors"] == [
        {
            "line": 4,
            "error": "kind 'toaster' is not one refurb knows: write laptop, desktop, tablet, "
            "phone or screen",
        }
    ]
    kinds_list = _kinds(run_cli)
    assert kinds_list["T1"] == "laptop" and kinds_list["T3"] == "screen"
    assert kinds_list["T4"] == "tablet" and "T5" not in kinds_list


def test_kind_for_the_whole_file_wins_and_an_update_changes_it(run_cli, initialized, tmp_path):
    path = _csv(tmp_path, "Serial;Soort\nW1;laptop\nW2;\n", "w.csv")
    run_cli("intake", "import", str(path), "--kind", "écran", expect=0)
    assert _kinds(run_cli) == {"W1": "screen", "W2": "screen"}
    assert (
        run_cli("intake", "import", str(path), "--kind", "screen", "--json").json["unchanged"] == 2
    )
    refused = run_cli("intake", "import", str(path), "--kind", "frigo", expect=1)
    assert "--kind 'frigo' is not a kind refurb knows" in refused.stderr
    assert "kinds: laptop, desktop, tablet, phone, screen" in refused.stderr
    changed = run_cli("intake", "import", str(path), "--json", expect=0).json
    assert changed["updated"] == 1  # the sheet says laptop; a blank cell says nothing
    assert _kinds(run_cli) == {"W1": "laptop", "W2": "screen"}
    events = run_cli("show", _asset(run_cli, "W1"), "--json", expect=0).json["events"]
    [update] = [e for e in events if e["kind"] == "update"]
    assert update["payload"]["kind"] == "laptop" and update["payload"]["source"] == "import"


def _asset(run_cli, serial: str) -> str:
    return next(d["asset_id"] for d in run_cli("list", "--json").json if d["serial"] == serial)


def _ods(path: Path, rows: list[list[str]]) -> None:
    from tests.test_intake_import import _write_ods

    _write_ods(path, rows)


def test_an_ods_with_a_kind_column(run_cli, initialized, tmp_path):
    path = tmp_path / "repair.ods"
    _ods(path, [["Serienummer", "Soort"], ["OD1", "desktop"], ["OD2", "tablets"]])
    run_cli("intake", "import", str(path), expect=0)
    assert _kinds(run_cli) == {"OD1": "desktop", "OD2": "tablet"}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("header.csv", b"Serienummer;Merk\r\n", "header.csv has a header (line 1) but no rows"),
        (
            "quote.csv",
            b'Serial,Model\nA1,"ThinkPad T460\nA2,X250\n',
            'quote.csv line 2: a quoted cell begins here and its closing quote (") is missing',
        ),
        ("doc.xlsx", None, "doc.xlsx is a ZIP archive, not a spreadsheet"),
        ("scan.csv", bytes(range(256)) * 8, "scan.csv is not a spreadsheet: it holds binary"),
    ],
    ids=["header-only", "unclosed-quote", "zip-not-a-workbook", "binary"],
)
def test_bad_files_at_the_door_are_one_line_and_write_nothing(
    run_cli, initialized, tmp_path, name, content, message
):
    path = tmp_path / name
    if content is None:
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("word/document.xml", "<w:document/>")
    else:
        path.write_bytes(content)
    result = run_cli("intake", "import", str(path), expect=1)
    assert message in result.stderr
    assert result.stderr.count("\n") <= 2 and "Traceback" not in result.stderr
    assert run_cli("list", "--json", expect=0).json == []


def test_a_quote_inside_a_cell_is_read_as_excel_does(run_cli, initialized, tmp_path):
    path = _csv(tmp_path, 'Serial,Model\nQ1,"15"" screen"\nQ2,"ThinkPad" T460\nQ3,"two\nlines"\n')
    assert run_cli("intake", "import", str(path), "--json", expect=0).json["created"] == 3
    models = {d["serial"]: d["model"] for d in run_cli("list", "--json").json}
    assert models == {"Q1": '15" screen', "Q2": "ThinkPad T460", "Q3": "two lines"}


def test_receipt_weighs_each_kind_and_writes_numbers_the_donors_way(run_cli, initialized, tmp_path):
    path = _csv(tmp_path, SCHOOL_CSV, "school.csv")
    run_cli("intake", "import", str(path), "--skip-bad", "--batch", "SJ-12", expect=0)
    data = run_cli("intake", "receipt", "--batch", "SJ-12", "--json", expect=0).json
    assert data["kinds"] == [
        {"kind": "laptop", "count": 2, "kg_each": 2.3, "kg": 4.6},
        {"kind": "desktop", "count": 1, "kg_each": 7.5, "kg": 7.5},
        {"kind": "tablet", "count": 1, "kg_each": 0.6, "kg": 0.6},
        {"kind": "phone", "count": 1, "kg_each": 0.25, "kg": 0.25},
        {"kind": "screen", "count": 2, "kg_each": 5.0, "kg": 10.0},
    ]
    assert data["weight_kg"] == 23.0
    english = run_cli("intake", "receipt", "--batch", "SJ-12", expect=0).stdout
    assert "Weight: ≈ 23 kg" in english and "1 phone × 0.25 kg" in english
    assert "Received: 2 Dec 2026" in english
    dutch = run_cli("--lang", "nl", "intake", "receipt", "--batch", "SJ-12", expect=0).stdout
    assert "Toestellen: 7 (2 laptops, 1 vaste pc, 1 tablet, 1 smartphone, 2 schermen)" in dutch
    assert "1 smartphone × 0,25 kg" in dutch and "2 laptops × 2,3 kg" in dutch
    pdf = tmp_path / "recu.pdf"
    french = run_cli(
        "--lang", "fr", "intake", "receipt", "--batch", "SJ-12", "--pdf", str(pdf), expect=0
    ).stdout
    assert "2 écrans × 5 kg" in french and "Reçu le : 2 déc. 2026" in french
    paper = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "0,25 kg" in paper and "0,6 kg" in paper and "23 kg" in paper


def test_receipt_groups_thousands_the_donors_way():
    from refurb.i18n import set_language
    from refurb.intake.receipt import number

    set_language("nl")
    try:
        assert number(1234.5) == "1.234,5"
    finally:
        set_language("fr")
    try:
        assert number(1234.5).replace("\u202f", " ").replace("\xa0", " ") == "1 234,5"
    finally:
        set_language("en")
    assert number(1234.5) == "1,234.5"
