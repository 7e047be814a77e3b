"""The loan book through the CLI: partners, the whole loan cycle on a laptop erased on a loop
device and on a screen, refused references, overdue loans, retention, the agreement PDF."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support_events import erased_record
from support_wipe import loop_device, random_file

from refurb.wipe.blockio import MiB

TODAY = datetime.now(UTC).date()
DUE = (TODAY + timedelta(days=180)).isoformat()


def _save_probe(asset: str, *disks: dict) -> None:
    from refurb.env import Env
    from refurb.store import open_store

    with open_store(Env()) as store:
        store.append(asset, "probe", {"probe": {"disks": list(disks)}})


def _grade_laptop(run_cli, asset: str) -> None:
    checks = [f"--check={c}=ok" for c in ("screen", "keyboard", "touchpad", "webcam", "wifi")]
    checks += [f"--check={c}=ok" for c in ("audio", "usb", "hinges", "case")]
    run_cli("grade", asset, "--cosmetic", "A", *checks, expect=0)


def _ready_screen(run_cli) -> str:
    asset = run_cli(
        "intake", "new", "--kind", "screen", "--model", "Dell P2419H", "--json", expect=0
    ).json["asset_id"]
    run_cli(
        "grade", asset, "--cosmetic", "B", "--check", "power=ok", "--check", "panel=ok",
        "--check", "dead_pixels=worn", "--check", "cables=ok", expect=0,
    )  # fmt: skip
    run_cli("status", asset, "ready", expect=0)
    return asset


@pytest.fixture
def partner(run_cli, initialized) -> str:
    run_cli("partner", "add", "Digi-leen", "--contact", "info@digileen.example", "--lang", "nl",
            expect=0)  # fmt: skip
    return "Digi-leen"


def _event_count(run_cli) -> int:
    from refurb.env import Env
    from refurb.store import open_store

    with open_store(Env()) as store:
        return store.check_chain()[0]


@pytest.mark.root
def test_whole_loan_cycle_on_a_laptop_erased_on_a_loop_device(tmp_path, run_cli, partner):
    from refurb.probe import _disk

    asset = run_cli("intake", "new", "--serial", "LOAN-1", "--json", expect=0).json["asset_id"]
    image = random_file(tmp_path / "disk.img", 8 * MiB)
    with loop_device(image) as dev:
        _save_probe(asset, _disk(Path(dev).name, {"size_bytes": 8 * MiB, "protocol": None}, {}))
        run_cli("wipe", "run", dev, "--asset", asset, "--yes", "--method", "zero", expect=0)
        run_cli("os", "record", asset, "--image", "Linux Mint", "--version", "22.1", expect=0)
        _grade_laptop(run_cli, asset)
        run_cli("status", asset, "ready", expect=0)

        out = run_cli("loan", "out", asset, "--to", "digileen", "--ref", "DL-2026-0147",
                      "--due", DUE, "--json", expect=0).json  # fmt: skip
        assert out["due"] == DUE and out["asset_id"] == asset
        assert run_cli("show", asset, "--json", expect=0).json["device"]["status"] == "on_loan"
        listed = run_cli("loan", "list", "--json", expect=0).json
        assert [(x["asset_id"], x["ref"], x["partner"]) for x in listed] == [
            (asset, "DL-2026-0147", "Digi-leen")
        ]
        later = (TODAY + timedelta(days=365)).isoformat()
        run_cli("loan", "extend", asset, "--due", later, expect=0)
        assert run_cli("loan", "list", "--json", expect=0).json[0]["due"] == later

        back = run_cli("loan", "return", asset, "--condition", "damaged", "--note", "hinge",
                       "--json", expect=0).json  # fmt: skip
        assert back["condition"] == "damaged"
        shown = run_cli("show", asset, "--json", expect=0).json
        assert shown["device"]["status"] == "in_progress"
        missing = " ".join(shown["missing_for_ready"])
        assert "erasure of disk" in missing and "OS install" in missing and "grade" in missing
        refused = run_cli("loan", "out", asset, "--to", partner, "--ref", "DL-2", "--due", DUE)
        assert refused.exit_code == 1 and "not ready" in refused.stderr

        # Erased and checked again, it can go out again.
        run_cli("wipe", "run", dev, "--asset", asset, "--yes", "--method", "zero", expect=0)
        run_cli("os", "record", asset, "--image", "Linux Mint", "--version", "22.1", expect=0)
        _grade_laptop(run_cli, asset)
        run_cli("status", asset, "ready", expect=0)
        run_cli("loan", "out", asset, "--to", partner, "--ref", "DL-2", "--due", DUE, expect=0)
    run_cli("admin", "check", expect=0)
    partners = run_cli("partner", "list", "--json", expect=0).json
    assert (partners[0]["loans"], partners[0]["on_loan"]) == (2, 1)


def test_loan_cycle_on_a_screen_and_a_handout(run_cli, partner):
    asset = _ready_screen(run_cli)
    run_cli("loan", "out", asset, "--to", partner, "--ref", "DL-7", "--due", DUE, expect=0)
    run_cli("loan", "return", asset, "--condition", "ok", expect=0)
    shown = run_cli("show", asset, "--json", expect=0).json
    assert shown["missing_for_ready"] == ["a grade (refurb grade)"]  # no erasure for a screen
    other = _ready_screen(run_cli)
    run_cli("handout", other, "--to", partner, expect=0)
    assert run_cli("show", other, "--json", expect=0).json["device"]["status"] == "handed_out"
    kinds = sorted(x["kind"] for x in run_cli("loan", "list", "--all", "--json", expect=0).json)
    assert kinds == ["handout", "loan"]


@pytest.mark.parametrize(
    "ref, why",
    [
        ("jan.peeters@telenet.be", "e-mail"),
        ("85.07.30-033.28", "national register"),
        ("85073003328", "national register"),
        ("850730 033 28", "national register"),
        ("0471 12 34 56", "phone"),
        ("0471/12.34.56", "phone"),
        ("+32 471 12 34 56", "phone"),
        ("0032 9 123 45 67", "phone"),
        ("+33 6 12 34 56 78", "phone"),
        ("Jan Peeters", "name"),
        ("Kerkstraat 12", "address"),
    ],
)
def test_personal_references_are_refused_saying_why(run_cli, partner, ref, why):
    asset = _ready_screen(run_cli)
    before = _event_count(run_cli)
    result = run_cli("loan", "out", asset, "--to", partner, "--ref", ref, "--due", DUE)
    assert result.exit_code == 1, result
    assert why in result.stderr.splitlines()[0] and "Traceback" not in result.stderr
    assert _event_count(run_cli) == before


def test_opaque_references_pass_and_wrong_check_digits_are_not_a_national_number():
    from refurb.loan_refs import check_ref, national_number_valid

    for ref in ("DL-2026-0147", "2026/00417", "CPAS-GENT 4471", "85073003329"):
        assert check_ref(ref) == ref
    assert national_number_valid("85073003328")
    assert national_number_valid("00010100105")  # born in 2000: a 2 goes before the nine digits


def test_overdue_as_of_a_date(run_cli, partner):
    a, b = _ready_screen(run_cli), _ready_screen(run_cli)
    soon = (TODAY + timedelta(days=10)).isoformat()
    run_cli("loan", "out", a, "--to", partner, "--ref", "DL-1", "--due", soon, expect=0)
    run_cli("loan", "out", b, "--to", partner, "--ref", "DL-2", "--due", DUE, expect=0)
    assert run_cli("loan", "list", "--overdue", "--json", expect=0).json == []
    as_of = (TODAY + timedelta(days=12)).strftime("%d/%m/%Y")
    late = run_cli("loan", "list", "--overdue", "--as-of", as_of, "--json", expect=0).json
    assert [(x["asset_id"], x["days_overdue"]) for x in late] == [(a, 2)]
    csv = run_cli("loan", "list", "--overdue", "--as-of", as_of, "--csv", expect=0).stdout
    assert csv.splitlines()[0].startswith("loan_id,asset_id") and a in csv.splitlines()[1]

    from refurb.env import Env
    from refurb.loans import overdue
    from refurb.store import open_store

    with open_store(Env()) as store:
        assert [v.asset_id for v in overdue(store, TODAY + timedelta(days=12))] == [a]


def test_purge_drops_the_reference_keeps_the_count_and_the_chain(run_cli, partner, monkeypatch):
    asset = _ready_screen(run_cli)
    run_cli("loan", "out", asset, "--to", partner, "--ref", "DL-9", "--due", DUE, expect=0)
    run_cli("loan", "return", asset, "--condition", "ok", expect=0)
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    assert run_cli("loan", "purge", "--before", TODAY.isoformat(), "--json").json == {"purged": 0}
    from refurb.env import Env

    later = datetime.now(UTC) + timedelta(days=2)
    env = Env(clock=lambda: later)
    assert run_cli("loan", "purge", "--before", tomorrow, "--json", env=env).json == {"purged": 1}
    loans = run_cli("loan", "list", "--all", "--json", expect=0).json
    assert len(loans) == 1 and loans[0]["ref"] is None
    run_cli("admin", "check", expect=0)
    run_cli("admin", "rebuild", expect=0)
    assert run_cli("loan", "list", "--all", "--json", expect=0).json[0]["ref"] is None
    assert run_cli("partner", "list", "--json", expect=0).json[0]["loans"] == 1


def test_bad_input_is_one_line_exit_1_and_nothing_written(run_cli, partner):
    asset = _ready_screen(run_cli)
    fresh = run_cli("intake", "new", "--kind", "screen", "--json", expect=0).json["asset_id"]
    past = (TODAY - timedelta(days=1)).isoformat()
    cases = [
        (("loan", "out", fresh, "--to", partner, "--ref", "DL-1", "--due", DUE), "not ready"),
        (("loan", "out", asset, "--to", "Digi-lean", "--ref", "DL-1", "--due", DUE),
         "did you mean Digi-leen"),
        (("loan", "out", asset, "--to", partner, "--ref", "DL-1", "--due", past), "in the past"),
        (("loan", "out", asset, "--to", partner, "--ref", "DL-1", "--due", "next june"),
         "not a date"),
        (("loan", "out", asset, "--to", partner, "--ref", "DL-1", "--due", "31/02/2027"),
         "not a real date"),
        (("loan", "return", asset, "--condition", "ok"), "not on loan"),
        (("loan", "extend", asset, "--due", DUE), "not on loan"),
        (("handout", fresh, "--to", partner), "not ready"),
    ]  # fmt: skip
    for args, words in cases:
        before = _event_count(run_cli)
        result = run_cli(*args)
        assert result.exit_code == 1, (args, result)
        assert words in result.stderr, (args, result.stderr)
        assert result.stderr.startswith("refurb: error: ") and len(result.stderr.splitlines()) <= 2
        assert _event_count(run_cli) == before, args
    run_cli("loan", "out", asset, "--to", partner, "--ref", "DL-1", "--due", DUE, expect=0)
    again = run_cli("loan", "out", asset, "--to", partner, "--ref", "DL-2", "--due", DUE)
    assert again.exit_code == 1 and "already on loan" in again.stderr
    dup = run_cli("partner", "add", "DIGI LEEN")
    assert dup.exit_code == 1 and "already a partner" in dup.stderr


@pytest.mark.parametrize(
    "lang, words",
    [
        ("nl", ("Bruikleenovereenkomst", "Toestel", "Voorwaarden", "blijft eigendom")),
        ("fr", ("Contrat de prêt", "Appareil", "Conditions", "reste la propriété")),
        ("en", ("Loan agreement", "Device", "Conditions", "remains the property")),
    ],
)
def test_agreement_pdf_in_the_partners_language(tmp_path, run_cli, initialized, lang, words):
    run_cli("partner", "add", f"Partner {lang}", "--lang", lang, expect=0)
    asset = _ready_screen(run_cli)
    pdf = tmp_path / f"agreement-{lang}.pdf"
    run_cli("loan", "out", asset, "--to", f"Partner {lang}", "--ref", "P-17", "--due", DUE,
            "--accessories", "HDMI", "--pdf", str(pdf), expect=0)  # fmt: skip
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    for word in (*words, asset, "P-17", "HDMI"):
        assert word in text, (word, text)
    png = tmp_path / f"agreement-{lang}"
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-singlefile", str(pdf), str(png)], check=True)
    assert png.with_suffix(".png").stat().st_size > 10_000


def test_a_site_template_with_an_unknown_field_stops_the_loan(tmp_path, run_cli, partner):
    from refurb.env import Env

    (Env().config_dir / "loan_conditions.nl.txt").write_text("Terug op {datum}.\n")
    asset = _ready_screen(run_cli)
    result = run_cli("loan", "out", asset, "--to", partner, "--ref", "DL-1", "--due", DUE,
                     "--pdf", str(tmp_path / "a.pdf"))  # fmt: skip
    assert result.exit_code == 1 and "{datum}" in result.stderr
    assert run_cli("show", asset, "--json").json["device"]["status"] == "ready"
    assert not (tmp_path / "a.pdf").exists()


def test_kinds_readiness_and_labels(tmp_path, run_cli, initialized):
    tablet = run_cli("intake", "new", "--kind", "tablet", "--json", expect=0).json["asset_id"]
    shown = run_cli("show", tablet, "--json", expect=0).json
    assert shown["device"]["kind"] == "tablet"
    assert shown["missing_for_ready"] == [
        "a factory-reset record (refurb os record ASSET --factory-reset)",
        "a grade (refurb grade)",
    ]
    run_cli("os", "record", tablet, "--factory-reset", "--image", "Android", "--version", "14",
            expect=0)  # fmt: skip
    graded = run_cli("grade", tablet, "--cosmetic", "A", "--check", "touchscreen=faulty",
                     "--json", expect=0).json  # fmt: skip
    assert graded["grade"] == "D" and "keyboard" not in graded["answers"]
    run_cli("status", tablet, "ready", expect=0)
    bad = run_cli("intake", "new", "--kind", "fridge")
    assert bad.exit_code == 1 and "unknown kind" in bad.stderr

    from refurb.labels.data import label_data_from_device

    data = label_data_from_device({"asset_id": "RF-X", "kind": "screen", "cpu": "Intel Core i5",
                                   "ram_bytes": 8 * 2**30, "grade": "B"})  # fmt: skip
    assert data.spec_line() == "" and data.model == "Monitor" and data.grade == "B"
    laptop = label_data_from_device({"asset_id": "RF-Y", "cpu": "Intel Core i5",
                                     "ram_bytes": 8 * 2**30})  # fmt: skip
    assert laptop.spec_line() == "Core i5 · 8 GB"
    out = tmp_path / "screen.png"
    screen = _ready_screen(run_cli)
    run_cli("label", screen, "--out", str(out), expect=0)
    assert out.stat().st_size > 0
    assert json.loads(json.dumps(shown))  # the show JSON stays plain JSON


def test_show_names_the_loan_and_status_by_hand_is_refused(run_cli, partner):
    asset = _ready_screen(run_cli)
    by_hand = run_cli("status", asset, "on_loan")
    assert by_hand.exit_code == 1 and "refurb loan out" in by_hand.stderr
    run_cli("loan", "out", asset, "--to", partner, "--ref", "DL-5", "--due", DUE, expect=0)
    shown = run_cli("show", asset, "--json", expect=0).json
    assert (shown["loan"]["partner"], shown["loan"]["ref"]) == ("Digi-leen", "DL-5")
    text = run_cli("--lang", "nl", "show", asset, expect=0).stdout
    assert "uitgeleend aan Digi-leen tot " + DUE + " (DL-5)" in text
    back = run_cli("status", asset, "ready")
    assert back.exit_code == 1 and "refurb loan return" in back.stderr


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """SQLite, or a PostgreSQL database of this test's own (the session's one stays as the
    other tests expect it)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    import psycopg

    shared = request.getfixturevalue("pg_server_url")
    head, _, name = shared.rpartition("/")
    own = f"{name}_loans"
    plain = shared.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{own}"')
    try:
        yield f"{head}/{own}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)')


def test_loans_on_each_backend_with_rebuild_and_purge(run_cli, db_url, tmp_path):
    import uuid

    from refurb.env import Env

    def cli(*args, **kw):
        return run_cli("--db", db_url, *args, **kw)

    cli("init", "--site", "Backend loans", expect=0)
    name = f"Partner {uuid.uuid4().hex[:6]}"
    cli("partner", "add", name, "--lang", "fr", expect=0)
    asset = cli("intake", "new", "--kind", "phone", "--json", expect=0).json["asset_id"]
    cli("os", "record", asset, "--factory-reset", expect=0)
    cli("grade", asset, "--cosmetic", "A", "--check", "touchscreen=ok", expect=0)
    cli("status", asset, "ready", expect=0)
    cli("loan", "out", asset, "--to", name, "--ref", "X-1", "--due", DUE, expect=0)
    cli("loan", "agreement", asset, "--pdf", str(tmp_path / "again.pdf"), expect=0)
    assert (tmp_path / "again.pdf").read_bytes().startswith(b"%PDF")
    cli("loan", "return", asset, "--condition", "incomplete", "--note", "no charger", expect=0)
    missing = cli("show", asset, "--json", expect=0).json["missing_for_ready"]
    assert len(missing) == 2 and "factory-reset" in missing[0]
    later = Env(db_url=db_url, clock=lambda: datetime.now(UTC) + timedelta(days=3))
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    purged = run_cli("loan", "purge", "--before", tomorrow, "--json", env=later, expect=0)
    assert purged.json["purged"] >= 1
    assert cli("admin", "check", "--json", expect=0).json["ok"]
    cli("admin", "rebuild", expect=0)
    mine = [
        x for x in cli("loan", "list", "--all", "--json", expect=0).json if x["asset_id"] == asset
    ]
    assert [(x["ref"], x["condition"], x["note"]) for x in mine] == [
        (None, "incomplete", "no charger")
    ]
    partners = {p["name"]: p for p in cli("partner", "list", "--json", expect=0).json}
    assert partners[name]["loans"] == 1 and partners[name]["on_loan"] == 0


def test_a_store_from_before_kinds_is_upgraded_and_its_devices_are_laptops(tmp_path):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    from refurb.env import Env
    from refurb.store import MIGRATIONS, open_store

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(
            text(
                "INSERT INTO devices (asset_id, status, created_at, updated_at, event_count) "
                "VALUES ('RF-OLD', 'intake', 'x', 'x', 0)"
            )
        )
    engine.dispose()
    from refurb.models import Device

    with open_store(Env(db_url=url)) as store:
        assert store.session.get(Device, "RF-OLD").kind == "laptop"


def test_a_ready_laptop_probed_again_with_a_new_disk_is_not_lent(run_cli, partner):
    asset = run_cli("intake", "new", "--json", expect=0).json["asset_id"]
    _save_probe(asset, {"name": "sda", "serial": "S1", "size_bytes": 10**11, "protocol": "ATA"})
    from refurb.env import Env
    from refurb.store import open_store

    disk = {"name": "sda", "serial": "S1", "size_bytes": 10**11}
    with open_store(Env()) as store:
        store.append(asset, "wipe", {"wipe_id": "w1", "disk": disk, "status": "erased",
                                     "record": erased_record(10**11, method="zero")})  # fmt: skip
    run_cli("os", "record", asset, "--image", "Linux Mint", "--version", "22.1", expect=0)
    _grade_laptop(run_cli, asset)
    run_cli("status", asset, "ready", expect=0)
    second = {"name": "sdb", "serial": "S2", "size_bytes": 10**11, "protocol": "ATA"}
    _save_probe(asset, {**disk, "protocol": "ATA"}, second)
    result = run_cli("loan", "out", asset, "--to", partner, "--ref", "DL-1", "--due", DUE)
    assert result.exit_code == 1 and "erasure of disk sdb" in result.stderr
