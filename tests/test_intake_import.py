"""`refurb intake import`: messy donor sheets, row errors by line, re-import and updates."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

# A Belgian donor's export from Excel on Windows: cp1252, ';', CRLF, Dutch headers, a title
# line, blank lines, a duplicate serial, an impossible date, a model longer than the column.
KBC_CSV = (
    "Inventaris schenking KBC;;;;\r\n"
    "\r\n"
    "Serienummer;Merk;Model;Datum ontvangst;Opmerkingen;Kostenplaats\r\n"
    "PF0KBC01;Lenovo;ThinkPad T460;31/12/2026;geen lader – scherm gekrast;4711\r\n"
    "PF0KBC02;Lenovo;ThinkPad T470;31-12-2026;;4711\r\n"
    "\r\n"
    "PF0KBC03;HP;EliteBook 840 G3;31.12.26;Café-beschadiging;4712\r\n"
    "PF0KBC02;Lenovo;ThinkPad T470;01/01/2027;dubbel;4711\r\n"
    "PF0KBC04;Dell;Latitude 7390;31/02/2026;;4712\r\n"
    "PF0KBC05;Dell;" + "L" * 201 + ";2026-12-30;;4712\r\n"
    ";Dell;Latitude 5490;2026-12-30;;4712\r\n"
    "PF0KBC06;Fujitsu;Lifebook A532;2026-12-30;;\r\n"
)
# A French-speaking donor: UTF-16 with BOM (Excel's "Unicode text"), tabs, French headers.
VILLE_TSV = (
    "Numéro de série\tMarque\tModèle\tDonateur\tDate de réception\tRemarques\n"
    "CND1234567\tHP\tProBook 450 G5\tVille de Liège\t2026-11-03\tsans chargeur\n"
    "CND1234568\tHP\tProBook 450 G5\tVille de Liège\t03/11/2026\t\n"
)
# English headers, ',' and UTF-8 with BOM, quoted fields holding the delimiter.
EN_CSV = (
    "\ufeffSerial,Brand,Model,Donor,Received,Notes\n"
    'SN-EN-1,Apple,"MacBook Pro 11,5",Acme NV,2026-10-01,"scratched, works"\n'
)


def _bad_lines(result) -> dict[int, str]:
    return {e["line"]: e["error"] for e in result.json["errors"]}


def _write(tmp_path: Path, name: str, text: str, encoding: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_messy_dutch_sheet_names_every_bad_row_and_writes_nothing(run_cli, initialized, tmp_path):
    path = _write(tmp_path, "kbc.csv", KBC_CSV, "cp1252")
    result = run_cli("intake", "import", str(path), "--batch", "KBC-1", "--json")
    assert result.exit_code == 1
    assert "4 bad rows in kbc.csv: nothing was written" in result.stderr
    bad = _bad_lines(result)
    assert sorted(bad) == [8, 9, 10, 11]
    assert "PF0KBC02 is also on line 5" in bad[8]
    assert "'31/02/2026' is not a real date" in bad[9]
    assert "model is 201 characters long: at most 200 fit" in bad[10]
    assert "no serial number" in bad[11]
    summary = result.json
    assert summary["encoding"] == "cp1252" and summary["delimiter"] == ";"
    assert summary["ignored_columns"] == ["Kostenplaats"]
    assert run_cli("list", "--json", expect=0).json == []


def test_skip_bad_imports_the_good_rows_with_their_dates_and_text(run_cli, initialized, tmp_path):
    path = _write(tmp_path, "kbc.csv", KBC_CSV, "cp1252")
    result = run_cli(
        "intake",
        "import",
        str(path),
        "--batch",
        "KBC-1",
        "--donor",
        "KBC",
        "--skip-bad",
        "--json",
        expect=0,
    )
    assert result.json["created"] == 4 and result.json["written"] is True
    devices = {d["serial"]: d for d in run_cli("list", "--json", expect=0).json}
    assert sorted(devices) == ["PF0KBC01", "PF0KBC02", "PF0KBC03", "PF0KBC06"]
    first = devices["PF0KBC01"]
    assert first["notes"] == "geen lader – scherm gekrast"  # cp1252's en dash, read right
    assert first["donor"] == "KBC" and first["batch"] == "KBC-1"
    declared = {s: d["intake"]["declared"]["received"] for s, d in devices.items()}
    assert declared == {
        "PF0KBC01": "2026-12-31",
        "PF0KBC02": "2026-12-31",
        "PF0KBC03": "2026-12-31",
        "PF0KBC06": "2026-12-30",
    }
    assert devices["PF0KBC03"]["notes"] == "Café-beschadiging"


def test_french_utf16_and_english_utf8_sheets(run_cli, initialized, tmp_path):
    ville = _write(tmp_path, "ville.txt", VILLE_TSV, "utf-16")
    result = run_cli("intake", "import", str(ville), "--json", expect=0).json
    assert result["delimiter"] == "\t" and result["created"] == 2
    assert result["columns"]["Numéro de série"] == "serial"
    english = tmp_path / "en.csv"
    english.write_text(EN_CSV, encoding="utf-8")
    run_cli("intake", "import", str(english), expect=0)
    devices = {d["serial"]: d for d in run_cli("list", "--json", expect=0).json}
    assert devices["CND1234567"]["donor"] == "Ville de Liège"
    assert devices["CND1234568"]["intake"]["declared"]["received"] == "2026-11-03"
    assert devices["SN-EN-1"]["model"] == "MacBook Pro 11,5"
    assert devices["SN-EN-1"]["notes"] == "scratched, works"


def test_xlsx_with_excel_serial_dates_and_numbers_as_serials(run_cli, initialized, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = "Toestellen"
    ws.append(["Serienummer", "Merk", "Model", "Datum ontvangst"])
    ws.append(["PF0X1", "Lenovo", "ThinkPad X230", 46387])  # an Excel serial day number
    ws.append(["PF0X2", "Lenovo", "ThinkPad X230", datetime(2026, 12, 30)])  # a date cell
    ws.append([12345678, "Acer", "TravelMate P214", "29/12/2026"])  # a serial typed as a number
    ws.append([None, None, None, None])
    ws.append(["PF0X4", "Acer", "Aspire", "not a date"])
    path = tmp_path / "pallet.xlsx"
    book.save(path)
    result = run_cli("intake", "import", str(path), "--json")
    assert result.exit_code == 1
    assert _bad_lines(result) == {
        6: "unreadable date: 'not a date' is not a date refurb can read: write 2026-12-31 or "
        "31/12/2026"
    }
    run_cli("intake", "import", str(path), "--skip-bad", expect=0)
    devices = {d["serial"]: d for d in run_cli("list", "--json", expect=0).json}
    received = {s: d["intake"]["declared"]["received"] for s, d in devices.items()}
    assert received == {"PF0X1": "2026-12-31", "PF0X2": "2026-12-30", "12345678": "2026-12-29"}


def test_xlsx_with_several_sheets_needs_sheet(run_cli, initialized, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Uitleg"
    book.active.append(["Dit blad legt uit hoe je het andere invult."])
    data = book.create_sheet("Laptops")
    data.append(["Serial", "Model"])
    data.append(["PF0S1", "ThinkPad T480"])
    path = tmp_path / "two.xlsx"
    book.save(path)
    result = run_cli("intake", "import", str(path), expect=1)
    assert result.stderr.count("\n") <= 2
    assert "two.xlsx has 2 sheets ('Uitleg', 'Laptops'): choose one with --sheet" in result.stderr
    run_cli("intake", "import", str(path), "--sheet", "laptops", expect=0)
    assert [d["serial"] for d in run_cli("list", "--json", expect=0).json] == ["PF0S1"]
    missing = run_cli("intake", "import", str(path), "--sheet", "Desktops", expect=1)
    assert "two.xlsx has no sheet 'Desktops': it has 'Uitleg', 'Laptops'" in missing.stderr
    assert "cannot be read" not in missing.stderr


def test_ods_is_read(run_cli, initialized, tmp_path):
    path = tmp_path / "schenking.ods"
    _write_ods(path, [["Serienummer", "Merk", "Datum ontvangst"], ["PF0OD1", "HP", "2026-12-01"]])
    result = run_cli("intake", "import", str(path), "--json", expect=0).json
    assert result["created"] == 1
    device = run_cli("list", "--json", expect=0).json[0]
    assert device["manufacturer"] == "HP"
    assert device["intake"]["declared"]["received"] == "2026-12-01"


def _write_ods(path: Path, rows: list[list[str]]) -> None:
    """A minimal OpenDocument spreadsheet, as LibreOffice's format defines it."""
    cells = "".join(
        "<table:table-row>"
        + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{c}</text:p></table:table-cell>'
            for c in row
        )
        + "</table:table-row>"
        for row in rows
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Blad1">{cells}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", content)
        zf.writestr("META-INF/manifest.xml", manifest)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty.csv is empty"),
        (b"\r\n  \r\n;;;\r\n", "empty.csv is empty"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00", "binary data"),
        (
            b"Naam;Adres;Telefoon\r\nJan;Kerkstraat 1;0470\r\n",
            "no column refurb recognises as the serial number (headers found: 'Naam', "
            "'Adres', 'Telefoon')",
        ),
    ],
    ids=["empty", "blank-lines", "binary", "no-header"],
)
def test_bad_files_say_one_line_and_write_nothing(run_cli, initialized, tmp_path, content, message):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    result = run_cli("intake", "import", str(path), expect=1)
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert run_cli("list", "--json", expect=0).json == []


def test_no_header_lists_the_expected_ones(run_cli, initialized, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("Naam,Adres\nJan,Kerkstraat\n")
    result = run_cli("intake", "import", str(path), expect=1)
    assert "hint: expected headers such as Serial, Serienummer, Numéro de série" in result.stderr
    assert "--map 'COLUMN=serial'" in result.stderr


def test_map_names_a_column(run_cli, initialized, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("Code fabrikant,Toestel,Merk\nAB12,T460,Lenovo\n")
    result = run_cli(
        "intake",
        "import",
        str(path),
        "--map",
        "Code fabrikant=serial",
        "--map",
        "toestel=model",
        "--map",
        "Merk=-",
        "--json",
        expect=0,
    ).json
    assert result["columns"] == {"Code fabrikant": "serial", "Toestel": "model"}
    device = run_cli("list", "--json", expect=0).json[0]
    assert (device["serial"], device["model"], device["manufacturer"]) == ("AB12", "T460", None)
    bad = run_cli("intake", "import", str(path), "--map", "Merk=colour", expect=1)
    assert "unknown field 'colour'" in bad.stderr


def _big_sheet(path: Path, rows: int, changed: set[int] = frozenset()) -> None:
    lines = ["Serienummer;Merk;Model;Datum ontvangst;Opmerkingen"]
    for n in range(rows):
        model = "ThinkPad T480" if n in changed else "ThinkPad T470"
        lines.append(f"PF{n:06d};Lenovo;{model};{1 + n % 28:02d}/11/2026;pallet {n // 100}")
    path.write_text("\r\n".join(lines) + "\r\n", encoding="cp1252")


def test_2500_rows_reimport_and_update(run_cli, initialized, tmp_path):
    path = tmp_path / "big.csv"
    _big_sheet(path, 2500)
    first = run_cli("intake", "import", str(path), "--batch", "BIG", "--json", expect=0).json
    assert (first["created"], first["updated"], first["unchanged"]) == (2500, 0, 0)
    again = run_cli("intake", "import", str(path), "--batch", "BIG", "--json", expect=0).json
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2500)
    assert again["written"] is False

    _big_sheet(path, 2500, changed={7, 1999})
    dry = run_cli("intake", "import", str(path), "--batch", "BIG", "--dry-run", expect=0)
    assert "would update" in dry.stdout and "nothing written" in dry.stderr
    updated = run_cli("intake", "import", str(path), "--batch", "BIG", "--json", expect=0).json
    assert (updated["created"], updated["updated"], updated["unchanged"]) == (0, 2, 2498)
    changes = {u["line"]: u["changes"] for u in updated["updated_devices"]}
    assert changes[9] == {"model": {"from": "ThinkPad T470", "to": "ThinkPad T480"}}
    asset = updated["updated_devices"][0]["asset_id"]
    shown = run_cli("show", asset, "--json", expect=0).json
    assert [e["kind"] for e in shown["events"]] == ["intake", "update"]
    assert shown["events"][0]["payload"]["model"] == "ThinkPad T470"  # the first word is kept
    assert shown["device"]["model"] == "ThinkPad T480"
    assert len(run_cli("list", "--json", expect=0).json) == 2500


def test_dry_run_shows_what_it_would_do_and_writes_nothing(run_cli, initialized, tmp_path):
    path = _write(tmp_path, "kbc.csv", KBC_CSV, "cp1252")
    result = run_cli("intake", "import", str(path), "--dry-run", "--skip-bad", expect=0)
    assert "line 4: would register serial PF0KBC01" in result.stdout
    assert "line 9: " in result.stderr
    assert run_cli("list", "--json", expect=0).json == []


def test_import_in_dutch(run_cli, initialized, tmp_path):
    path = _write(tmp_path, "kbc.csv", KBC_CSV, "cp1252")
    result = run_cli("--lang", "nl", "intake", "import", str(path), expect=1)
    assert "regel 9:" in result.stderr
    assert "niets geschreven" in result.stderr


def test_import_json_is_one_document(run_cli, initialized, tmp_path):
    path = _write(tmp_path, "v.txt", VILLE_TSV, "utf-16")
    out = run_cli("intake", "import", str(path), "--json", expect=0).stdout
    assert json.loads(out)["created_devices"][0]["serial"] == "CND1234567"


def test_xlsx_without_calamine_reads_through_openpyxl(run_cli, initialized, tmp_path, monkeypatch):
    from openpyxl import Workbook

    from refurb.intake import sheet

    monkeypatch.setattr(sheet, "_has_calamine", lambda: False)
    book = Workbook()
    book.active.append(["Serienummer", "Datum ontvangst"])
    book.active.append([12345678, 46387])
    book.active.append(["PF0OP2", datetime(2026, 12, 30, 9, 15)])
    path = tmp_path / "p.xlsx"
    book.save(path)
    run_cli("intake", "import", str(path), expect=0)
    devices = {d["serial"]: d for d in run_cli("list", "--json", expect=0).json}
    received = {s: d["intake"]["declared"]["received"] for s, d in devices.items()}
    assert received == {"12345678": "2026-12-31", "PF0OP2": "2026-12-30"}


def test_a_damaged_xlsx_is_one_line(run_cli, initialized, tmp_path):
    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("xl/workbook.xml", "<not really")
    result = run_cli("intake", "import", str(path), expect=1)
    assert "broken.xlsx cannot be read as XLSX" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_import_is_one_transaction_and_a_few_statements(initialized, tmp_path):
    from sqlalchemy import event

    from refurb.env import Env
    from refurb.intake.importer import import_file, prepare
    from refurb.store import open_store

    path = tmp_path / "big.csv"
    _big_sheet(path, 600)
    prepared = prepare(path)
    counts = {"commit": 0, "statements": 0}
    with open_store(Env()) as store:
        event.listen(
            store.engine, "commit", lambda _c: counts.__setitem__("commit", 1 + counts["commit"])
        )
        event.listen(
            store.engine,
            "before_cursor_execute",
            lambda *a: counts.__setitem__("statements", 1 + counts["statements"]),
        )
        result = import_file(store, prepared)
    assert len(result.created) == 600
    assert counts["commit"] == 1
    assert counts["statements"] < 40  # no round trip per row
