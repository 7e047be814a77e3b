"""`refurb stock`: counts, flow and impact over a store with devices in every status, in every
format, and what bad input gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support_reports import EXPECTED_STATUS, build_store

# each step counted each time it happened: one laptop was erased, graded and made ready again
# after its loan came back
FLOW_ALL = {
    "taken_in": 12,
    "erased": 6,
    "graded": 6,
    "ready": 6,
    "lent": 2,
    "returned": 1,
    "handed_out": 1,
    "recycled": 1,
}


@pytest.fixture
def store_home(initialized: Path) -> tuple[Path, dict]:
    return initialized, build_store(initialized)


def _view(data: dict, name: str) -> dict:
    return {row["value"]: row["devices"] for row in data["views"][name]}


def test_counts_flow_and_impact(run_cli, store_home):
    data = run_cli("stock", "--json", expect=0).json
    assert data["total"] == 12 and not data["empty"]
    assert _view(data, "status") == EXPECTED_STATUS
    assert _view(data, "grade") == {"A": 2, "B": 2, "C": 1, None: 7}
    assert _view(data, "donor") == {"KBC": 7, "City of Ghent": 5}
    assert _view(data, "batch") == {"2026-03": 7, "2026-04": 5}
    assert _view(data, "location") == {"Shelf A": 12}
    assert _view(data, "model") == {"ThinkPad T460": 7, None: 5}
    assert data["flow"] == FLOW_ALL
    impact = {i["name"]: i for i in data["impact"]}
    assert impact["devices_reused"]["value"] == 3  # lent (2, one came back) + handed out (1)
    assert impact["ewaste_avoided_kg"]["value"] == pytest.approx(3 * 1.83, abs=0.05)
    assert impact["co2e_avoided_kg"]["value"] == pytest.approx(3 * 265.32 * 0.5, abs=0.05)
    for item in impact.values():
        assert item["source"], item  # every figure says where its factor comes from
    assert "Restart Project" in impact["co2e_avoided_kg"]["source"]
    assert "displacement 0.5" in impact["co2e_avoided_kg"]["factor"]
    assert "people_reached" not in impact  # reach only when the site sets a factor


def test_filters_select_devices_and_period(run_cli, store_home):
    _home, roles = store_home
    ready = run_cli("stock", "--status", "ready", "--status", "on_loan", "--json", expect=0).json
    assert ready["total"] == 4 and _view(ready, "status") == {"ready": 3, "on_loan": 1}
    kbc = run_cli("stock", "--donor", "KBC", "--json", expect=0).json
    assert kbc["total"] == 7 and kbc["flow"]["lent"] == 1
    batch = run_cli("stock", "--batch", "2026-04", "--json", expect=0).json
    assert batch["total"] == 5 and batch["flow"]["handed_out"] == 1
    april = roles["april"].date().isoformat()
    # devices taken in from April on: none (all came in March); the April flow has no intake
    later = run_cli("stock", "--since", april, "--json", expect=0).json
    assert later["total"] == 0 and later["empty"]
    assert later["flow"] == {**FLOW_ALL, "taken_in": 0}
    march = roles["march"].strftime("%d/%m/%Y")  # day-first, as Belgian spreadsheets write it
    first = run_cli("stock", "--since", march, "--until", march, "--json", expect=0).json
    assert first["total"] == 12 and first["flow"] == {
        k: (12 if k == "taken_in" else 0) for k in FLOW_ALL
    }
    only = run_cli("stock", "--by", "status", "--by", "grade", "--json", expect=0).json
    assert list(only["views"]) == ["status", "grade"]


def test_site_factors_and_reach_estimate(run_cli, store_home):
    home, _roles = store_home
    with (home / "config.toml").open("a", encoding="utf-8") as fh:
        fh.write(
            '\n[impact]\ndisplacement = 1.0\ndisplacement_source = "ADEME 2022, per year"\n'
            '[impact.laptop]\nco2e_kg = 108.0\nsource = "ADEME 2022: 27 kg CO2e a year, 4 years"\n'
            '[impact.reach]\npeople_per_device = 2.5\nsource = "our 2025 survey"\n'
        )
    data = run_cli("stock", "--json", expect=0).json
    impact = {i["name"]: i for i in data["impact"]}
    assert impact["co2e_avoided_kg"]["value"] == pytest.approx(3 * 108.0)
    assert "ADEME 2022: 27 kg" in impact["co2e_avoided_kg"]["source"]
    assert impact["ewaste_avoided_kg"]["value"] == pytest.approx(5.5, abs=0.05)  # weight kept
    assert impact["people_reached"]["value"] == pytest.approx(7.5)
    assert impact["people_reached"]["estimate"] is True
    assert impact["people_reached"]["source"] == "our 2025 survey"
    table = run_cli("stock", expect=0).stdout
    assert "estimate" in table and "our 2025 survey" in table


def test_a_site_factor_without_source_is_refused(run_cli, store_home):
    home, _roles = store_home
    with (home / "config.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n[impact.laptop]\nco2e_kg = 200\n")
    result = run_cli("stock")
    assert result.exit_code == 1 and "impact.laptop" in result.stderr and "source" in result.stderr


def test_table_csv_and_text_file(run_cli, store_home, tmp_path):
    table = run_cli("stock", expect=0).stdout
    for word in (
        "Repair Café Gent",
        "quarantine",
        "Taken in",
        "E-waste avoided",
        "Restart Project",
    ):
        assert word in table
    csv_text = run_cli("stock", "--format", "csv", expect=0).stdout
    assert csv_text.splitlines()[0] == "section,item,value,unit,source"
    assert "status,quarantine,1,devices," in csv_text
    assert "flow,Lent,2,times," in csv_text
    out = tmp_path / "stock.csv"
    run_cli("stock", "--out", str(out), expect=0)  # the format follows the extension
    assert out.read_text(encoding="utf-8") == csv_text.replace("\r\n", "\n").replace(
        _generated(csv_text), _generated(out.read_text(encoding="utf-8"))
    )
    text = tmp_path / "stock.txt"
    run_cli("stock", "--out", str(text), expect=0)
    assert "Taken in" in text.read_text(encoding="utf-8")


def _generated(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("summary,generated,"))


def test_xlsx_sheets_match_the_store(run_cli, store_home, tmp_path):
    from openpyxl import load_workbook

    from refurb.env import Env
    from refurb.store import open_store

    home, _roles = store_home
    out = tmp_path / "stock.xlsx"
    run_cli("stock", "--out", str(out), expect=0)
    wb = load_workbook(out)
    assert wb.sheetnames[:3] == ["Summary", "Status", "Grade"] and "Impact" in wb.sheetnames
    with open_store(Env(environ={"REFURB_HOME": str(home)})) as store:
        devices = store.list_devices()
    counts: dict[str, int] = {}
    for d in devices:
        counts[d.status] = counts.get(d.status, 0) + 1
    sheet = wb["Status"]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    rows = {r[0]: r[1] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows == counts
    assert all(isinstance(v, int) for v in rows.values())  # typed cells, not text
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Devices"] == len(devices)
    impact = list(wb["Impact"].iter_rows(min_row=2, values_only=True))
    assert impact[2][0] == "CO2e avoided" and impact[2][1] == pytest.approx(397.98, abs=0.05)
    assert "Restart Project" in impact[2][4]
    flow = {r[0]: r[1] for r in wb["Flow"].iter_rows(min_row=2, values_only=True)}
    assert flow["Lent"] == 2 and flow["Taken in"] == 12


def test_empty_store_gets_a_report_that_says_so(run_cli, initialized, tmp_path):
    data = run_cli("stock", "--json", expect=0).json
    assert data["empty"] and data["total"] == 0
    assert data["message"] == "There are no devices in this store yet."
    assert "There are no devices in this store yet." in run_cli("stock", expect=0).stdout
    for ext in ("html", "pdf", "xlsx", "csv"):
        out = tmp_path / f"empty.{ext}"
        run_cli("stock", "--out", str(out), expect=0)
        assert out.stat().st_size > 0
    assert "There are no devices in this store yet." in (tmp_path / "empty.html").read_text()
    nl = run_cli("--lang", "nl", "stock", expect=0).stdout
    assert "There are no devices" not in nl and "toestellen" in nl


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--format", "docx"], ["docx", "formats:"]),
        (["--out", "report.docx"], ["report.docx"]),
        (["--by", "colour"], ["colour", "views:"]),
        (["--since", "2026-13-01"], ["--since", "2026-13-01"]),
        (["--until", "yesterday"], ["--until", "yesterday"]),
        (["--since", "2026-05-01", "--until", "2026-04-01"], ["--since"]),
        (["--status", "lost"], ["lost"]),
        (["--format", "xlsx"], ["XLSX", "--out"]),
        (["--out", "no/such/folder/r.pdf"], ["no/such/folder"]),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(run_cli, initialized, tmp_path, args, words):
    import os

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = run_cli("stock", *args)
    finally:
        os.chdir(cwd)
    assert result.exit_code == 1, result
    first = result.stderr.splitlines()[0]
    assert first.startswith("refurb: error:") and all(w in result.stderr for w in words), result
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == [tmp_path / "refurb-home"]  # nothing written


def test_db_url_reads_another_store(run_cli, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    build_store(other)
    url = f"sqlite:///{other / 'refurb.db'}"
    data = run_cli("--db", url, "stock", "--json", expect=0).json
    assert data["total"] == 12


@pytest.fixture
def own_pg_database(pg_server_url):
    """A database of this test's own on the server (other tests share pg_server_url's)."""
    import uuid

    import psycopg

    head, _, _ = pg_server_url.rpartition("/")
    name = f"refurb_reports_{uuid.uuid4().hex[:8]}"
    plain = pg_server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{head}/{name}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.pg
def test_stock_and_exports_on_postgresql(run_cli, own_pg_database, tmp_path):
    home = tmp_path / "pghome"
    home.mkdir()
    url = own_pg_database
    build_store(home, db_url=url)
    data = run_cli("--db", url, "stock", "--json", expect=0).json
    assert data["total"] == 12 and data["flow"] == FLOW_ALL
    assert _view(data, "status") == EXPECTED_STATUS
    text = run_cli("--db", url, "export", "csv", expect=0).stdout
    assert len(text.splitlines()) == 13


def test_devices_out_and_overdue_loans_by_partner(run_cli, store_home):
    """The loan book in the stock report: what is out per partner, and what is overdue."""
    from datetime import UTC, datetime

    from refurb.env import Env

    home, _roles = store_home
    now = run_cli("stock", "--json", expect=0).json
    assert _view(now, "partner") == {"Digi-leen": 2}  # one loan out, one device handed out
    assert _view(now, "overdue") == {}
    late = Env(
        environ={"REFURB_HOME": str(home), "LANG": "C.UTF-8"},
        clock=lambda: datetime(2028, 1, 1, 9, 0, tzinfo=UTC),  # past the loan's due date
    )
    later = run_cli("stock", "--json", env=late, expect=0).json
    assert _view(later, "overdue") == {"Digi-leen": 1}  # a hand-out is never overdue
    assert "Overdue loans by partner" in run_cli("stock", env=late, expect=0).stdout
