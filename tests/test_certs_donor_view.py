"""The certificate as a donor reads it: who issued it, for which donor, which disks, and the
honest result for a device that was never probed (a real loop device erased through the CLI)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from support_certs import event, probe_event, wipe_payload
from support_wipe import loop_device, random_file

from refurb import certificates as certs
from refurb.certificate_pdf import render_pdf
from refurb.certificate_verify import sign
from refurb.i18n import set_language
from refurb.wipe.blockio import MiB

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed"
)


def _text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True)
    return out.stdout


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    return int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[-1])


@pytest.mark.root
@needs_poppler
def test_a_never_probed_device_lists_its_erased_disks_and_says_the_rest_is_unknown(
    run_cli, initialized, tmp_path
):
    asset = run_cli("intake", "new", "--serial", "NP-1", "--json", expect=0).json["asset_id"]
    image = random_file(tmp_path / "donated-disk.img", 8 * MiB)
    with loop_device(image) as dev:
        run_cli("wipe", "run", dev, "--asset", asset, "--yes", "--method", "zero", expect=0)
    out_json, out_pdf = tmp_path / "c.json", tmp_path / "c.pdf"
    result = run_cli("wipe", "certificate", asset, "--json", str(out_json), "--pdf", str(out_pdf))
    assert result.exit_code == 0, result
    assert "not inventoried" in result.stderr and f"refurb probe --save {asset}" in result.stderr
    cert = json.loads(out_json.read_text())["certificate"]
    assert cert["result"] == "disks_not_inventoried" and cert["disks_inventoried"] is False
    (disk,) = cert["disks"]
    assert disk["status"] == "erased" and disk["backing_file"] == str(image)
    text = " ".join(_text(out_pdf).split())
    assert "Every disk of this device was erased" not in text
    assert "The disks listed below were erased" in text and "not inventoried" in text
    assert "1. loop device on the file " in text and f"{image.name} Erased" in text
    assert "DISKS NOT INVENTORIED" in text and _pages(out_pdf) == 1
    run_cli("wipe", "verify-cert", str(out_json), expect=0)
    shown = run_cli("wipe", "certificate", asset, "--json", str(out_json), "--no-pdf")
    assert "listed disks erased, disks not inventoried" in shown.stdout
    assert "NOT erased" not in shown.stdout and "Certificate for" in shown.stdout


@needs_poppler
def test_site_contact_operator_donor_and_batch_are_on_both_files(run_cli, refurb_home, tmp_path):
    run_cli(
        "init",
        "--site",
        "Repair Café Gent",
        "--contact",
        "Kortrijksesteenweg 1, 9000 Gent",
        "--operator",
        "Ann Peeters",
        expect=0,
    )
    asset = run_cli(
        "intake",
        "new",
        "--serial",
        "5CG6301ABC",
        "--manufacturer",
        "HP",
        "--model",
        "HP EliteBook 840 G3",
        "--donor",
        "KBC Bank",
        "--batch",
        "2026-11",
        "--json",
        expect=0,
    ).json["asset_id"]
    out_json, out_pdf = tmp_path / "c.json", tmp_path / "c.pdf"
    args = ("wipe", "certificate", asset, "--json", str(out_json), "--pdf", str(out_pdf))
    result = run_cli(*args, expect=0)
    assert "no operator" not in result.stderr
    cert = json.loads(out_json.read_text())["certificate"]
    assert cert["site"] == "Repair Café Gent"
    assert cert["site_contact"] == "Kortrijksesteenweg 1, 9000 Gent"
    assert cert["operator"] == "Ann Peeters"
    device = cert["device"]
    assert (device["donor"], device["batch"]) == ("KBC Bank", "2026-11")
    assert device["title"] == "HP EliteBook 840 G3"
    text = _text(out_pdf)
    for wanted in (
        "Repair Café Gent",
        "Kortrijksesteenweg 1, 9000 Gent",
        "Operator: Ann Peeters",
        "KBC Bank",
        "2026-11",
        "HP EliteBook 840 G3",
    ):
        assert wanted in text, wanted
    assert "HP HP" not in text
    # --operator names someone else for this certificate
    run_cli(*args, "--operator", "Bart De Smet", expect=0)
    assert json.loads(out_json.read_text())["certificate"]["operator"] == "Bart De Smet"


def test_root_is_never_the_operator(run_cli, initialized, tmp_path, monkeypatch):
    monkeypatch.setenv("REFURB_ACTOR", "root")
    asset = run_cli("intake", "new", "--serial", "R-1", "--json", expect=0).json["asset_id"]
    from support_certs import FIXTURES

    log = FIXTURES / "nwipe" / "zero.log"
    run_cli("wipe", "import-nwipe", str(log), "--asset", asset, expect=0)
    out = tmp_path / "c.json"
    result = run_cli("wipe", "certificate", asset, "--json", str(out), "--no-pdf", expect=0)
    assert "--operator NAME" in result.stderr
    cert = json.loads(out.read_text())["certificate"]
    assert cert["operator"] is None
    assert all(d["operator"] is None for d in cert["disks"])
    run_cli("wipe", "certificate", asset, "--json", str(out), "--no-pdf", "--operator", "Ann")
    assert json.loads(out.read_text())["certificate"]["operator"] == "Ann"


KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def _pdf(tmp_path: Path, lang: str, events: list, name: str = "c.pdf") -> str:
    set_language(lang)
    try:
        body = certs.build_certificate(
            site="Atelier",
            device={"asset_id": "RF-7K3QM-X1234", "manufacturer": "LENOVO", "model": "ThinkPad"},
            events=events,
            issued_at="2026-01-05T11:00:00+00:00",
            public_key=KEY.public_key(),
            operator="Ann",
        )
        path = tmp_path / f"{lang}-{name}"
        render_pdf(sign(body, KEY), path)
        assert _pages(path) == 1
        return " ".join(_text(path).split())
    finally:
        set_language("en")


def _passes(n: int, errors: int) -> dict:
    payload = wipe_payload()
    payload["record"]["technique"] = "overwrite"
    payload["record"]["method"] = "prng"
    payload["record"]["passes"] = n
    payload["record"]["error_count"] = errors
    return payload


@needs_poppler
@pytest.mark.parametrize(
    ("lang", "one", "three", "colon"),
    [
        ("en", ("1 pass", "1 I/O error recorded"), ("3 passes", "3 I/O errors recorded"), "Size:"),
        ("nl", ("1 doorgang", "1 I/O-fout"), ("3 doorgangen", "3 I/O-fouten"), "Grootte:"),
        ("fr", ("1 passe", "1 erreur d’E/S enregistrée"), ("3 passes", "3 erreurs"), "Taille :"),
    ],
)
def test_plural_forms_and_translated_pages(tmp_path, lang, one, three, colon):
    probed = probe_event({"name": "sda", "serial": "S2RLNX0H700433B"})
    text = _pdf(tmp_path, lang, [probed, event("wipe", _passes(1, 1))], "one.pdf")
    assert all(word in text for word in one), text
    assert colon in text
    text = _pdf(tmp_path, lang, [probed, event("wipe", _passes(3, 3))], "three.pdf")
    assert all(word in text for word in three), text
    assert "pass(es)" not in text and "error(s)" not in text
    assert "LENOVO ThinkPad" in text or "Lenovo ThinkPad" in text


@needs_poppler
@pytest.mark.parametrize("lang", ["en", "nl", "fr"])
def test_disks_are_headed_by_model_and_serial(tmp_path, lang):
    payload = wipe_payload(model="WDC WD10EZEX-08WN4A0", serial="WD-WCC6Y1234567")
    payload["disk"]["make"] = "WDC"
    text = _pdf(tmp_path, lang, [event("wipe", payload)])
    serial = {"en": "serial", "nl": "serienummer", "fr": "n° de série"}[lang]
    assert f"1. WDC WD10EZEX-08WN4A0, {serial} WD-WCC6Y1234567" in text
    assert "WDC WDC" not in text
