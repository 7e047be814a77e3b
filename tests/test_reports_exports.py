"""`refurb export ords|snipeit|csv|xlsx`: ORDS checked against the standard's table schema,
Snipe-IT headers against its importer's field names, every field of every device."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.support_reports import build_store


@pytest.fixture
def store_home(initialized: Path) -> tuple[Path, dict]:
    return initialized, build_store(initialized)


def _enum(constraint: object) -> list[str]:
    if isinstance(constraint, list):
        return [str(v) for v in constraint]
    return [v.strip() for v in str(constraint).strip("[]").split(",")]


def validate_table(schema: dict, rows: list[dict[str, str]], header: list[str]) -> list[str]:
    """Problems found checking CSV rows against a Frictionless table schema (the field types,
    patterns, enums, uniqueness and missing values the ORDS schema uses)."""
    fields = schema["fields"]
    problems = []
    if header != [f["name"] for f in fields]:
        problems.append(f"header {header} is not {[f['name'] for f in fields]}")
    seen: dict[str, set[str]] = {}
    for n, row in enumerate(rows, start=2):
        for field in fields:
            name, value = field["name"], row.get(field["name"], "")
            if value in field.get("missingValues", [""]):
                continue
            where = f"row {n} {name}={value!r}"
            kind = field["type"]
            try:
                if kind == "integer":
                    int(value)
                elif kind == "number":
                    float(value)
                elif kind == "date":
                    datetime.strptime(value, "%Y-%m-%d")
            except ValueError:
                problems.append(f"{where}: not a {kind}")
            constraints = field.get("constraints", {})
            if "pattern" in constraints and not re.fullmatch(constraints["pattern"], value):
                problems.append(f"{where}: does not match {constraints['pattern']}")
            if "enum" in constraints and value not in _enum(constraints["enum"]):
                problems.append(f"{where}: not one of {_enum(constraints['enum'])}")
            if str(constraints.get("unique")).lower() == "true":
                if value in seen.setdefault(name, set()):
                    problems.append(f"{where}: not unique")
                seen[name].add(value)
    return problems


def _ords_schema() -> dict:
    package = json.loads((FIXTURES / "ords" / "tableschema.json").read_text(encoding="utf-8"))
    return package["resources"][0]["schema"]


def test_ords_export_validates_against_the_standard(run_cli, store_home, tmp_path):
    out = tmp_path / "ords.csv"
    result = run_cli("export", "ords", "--country", "BEL", "--out", str(out), expect=0)
    assert "Wrote 9 devices" in result.stderr  # the 3 only taken in are no repair attempt yet
    with out.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        header = list(reader.fieldnames or [])
    assert validate_table(_ords_schema(), rows, header) == []
    categories = dict(csv.reader((FIXTURES / "ords" / "product_categories.csv").open()))
    for row in rows:
        assert categories[row["product_category_id"]] == row["product_category"]
    statuses = sorted(r["repair_status"] for r in rows)
    assert statuses == ["End of life"] * 2 + ["Fixed"] * 5 + ["Repairable"] * 2
    assert {r["product_category"] for r in rows} == {"Laptop"}
    assert {r["data_provider"] for r in rows} == {"Repair Café Gent"}
    assert {r["country"] for r in rows} == {"BEL"}
    assert all(r["id"].startswith("repaircafegent-") for r in rows)  # accents folded
    problems = {r["problem"] for r in rows if r["repair_status"] == "End of life"}
    assert problems == {"broken hinge", "water damage"}
    # the checker itself refuses what the standard refuses
    bad = [dict(rows[0], id="RF-1", country="Belgium", repair_status="Done", event_date="1/2/26")]
    assert len(validate_table(_ords_schema(), bad, header)) == 4


def test_ords_json_and_its_settings(run_cli, store_home, tmp_path):
    home, _roles = store_home
    missing = run_cli("export", "ords")
    assert missing.exit_code == 1 and "country" in missing.stderr
    wrong = run_cli("export", "ords", "--country", "Belgium")
    assert wrong.exit_code == 1 and "BELGIUM" in wrong.stderr
    with (home / "config.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[ords]\ncountry = "BEL"\ndata_provider = "Digipunt Gent"\n')
    data = run_cli("export", "ords", "--format", "json", expect=0).json
    assert len(data) == 9 and data[0]["data_provider"] == "Digipunt Gent"
    assert all(re.fullmatch(r"digipuntgent-[0-9]+", r["id"]) for r in data)
    only = run_cli("export", "ords", "--format", "json", "--status", "intake", expect=0).json
    assert {r["repair_status"] for r in only} == {"Unknown"} and len(only) == 3


def test_snipeit_columns_are_the_importers(run_cli, store_home):
    text = run_cli("export", "snipeit", expect=0).stdout
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    lines = (FIXTURES / "snipeit" / "importer_asset_fields.txt").read_text().splitlines()
    known = {line.lower() for line in lines if line and not line.startswith("#")}
    from refurb.reports.exports import SNIPEIT_CUSTOM

    standard = [h for h in reader.fieldnames or [] if h not in SNIPEIT_CUSTOM]
    assert standard and all(h.lower() in known for h in standard), standard
    for required in ("Asset Tag", "Serial Number", "Model Name", "Category", "Status"):
        assert required in (reader.fieldnames or [])
    assert len(rows) == 12 and len({r["Asset Tag"] for r in rows}) == 12
    ready = [r for r in rows if r["Grade"] == "A"]
    assert ready and ready[0]["Status"] in ("Ready to Deploy",) and ready[0]["RAM"] == "8 GB"
    assert ready[0]["Erasure Date"][:4] == "2026" and ready[0]["Category"] == "Laptops"
    statuses = {r["Status"] for r in rows}
    assert statuses <= {
        "Pending",
        "Ready to Deploy",
        "Archived",
        "Broken - Not Fixable",
        "Out for Diagnostics",
    }


def test_every_device_every_field_csv_and_xlsx(run_cli, store_home, tmp_path):
    from openpyxl import load_workbook

    from refurb.models import Device

    fields = list(Device.model_fields)
    text = run_cli("export", "csv", expect=0).stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 12 and set(rows[0]) == set(fields)
    out = tmp_path / "devices.xlsx"
    run_cli("export", "xlsx", "--out", str(out), expect=0)
    ws = load_workbook(out)["Devices"]
    header = [c.value for c in ws[1]]
    assert set(header) == set(fields) and ws.freeze_panes == "A2"
    values = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(values) == 12
    by = [dict(zip(header, v, strict=True)) for v in values]
    ready = next(d for d in by if d["grade"] == "A")
    assert isinstance(ready["ram_bytes"], int) and ready["ram_bytes"] == 8 * 2**30
    assert isinstance(ready["created_at"], datetime) and isinstance(ready["event_count"], int)
    csv_ready = next(r for r in rows if r["asset_id"] == ready["asset_id"])
    assert csv_ready["serial"] == ready["serial"] and json.loads(csv_ready["disks"])
    filtered = run_cli("export", "csv", "--status", "ready", expect=0).stdout
    assert len(filtered.splitlines()) == 1 + 3


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["export", "xlsx"], ["XLSX", "--out"]),
        (["export", "csv", "--out", "devices.xlsx"], ["devices.xlsx"]),
        (["export", "ords", "--country", "BEL", "--format", "xml"], ["xml"]),
        (["export", "csv", "--out", "nowhere/devices.csv"], ["nowhere"]),
        (["export", "csv", "--since", "31/02/2026"], ["31/02/2026"]),
    ],
)
def test_export_bad_input(run_cli, initialized, tmp_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    result = run_cli(*args)
    assert result.exit_code == 1 and all(w in result.stderr for w in words), result
    assert list(tmp_path.iterdir()) == [tmp_path / "refurb-home"]


def test_empty_store_exports_a_header(run_cli, initialized):
    from refurb.reports.exports import SNIPEIT_FIELDS

    text = run_cli("export", "snipeit", expect=0).stdout
    assert text.splitlines() == [",".join(SNIPEIT_FIELDS)]
