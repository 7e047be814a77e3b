"""What a verification can prove is said in the record and on the certificate, in nl/fr/en:
a sampled read-back cannot catch a write lost silently below refurb; only a full one can."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from support_certs import event, wipe_payload

from refurb import certificates as certs
from refurb.i18n import set_language
from refurb.wipe.verdict import scope, scope_code

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
DEVICE = {"asset_id": "RF-7K3QM-X1234", "manufacturer": "LENOVO", "model": "ThinkPad T460"}
# The phrase of each language that says what only a full read-back catches.
ONLY_FULL = {
    "en": "caught only by a full read-back",
    "nl": "alleen door volledig teruglezen gevonden",
    "fr": "n'est détectée que par une relecture complète",
}
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed"
)


def sampled(name: str = "sda", serial: str = "S2RLNX0H700433B") -> dict:
    verification = {"mode": "sample", "result": "passed", "fraction": 0.0123}
    verification["scope"] = scope(verification)
    return wipe_payload(name=name, serial=serial, verification=verification)


def certificate(events: list) -> dict:
    body = certs.build_certificate(
        site="Repair Café Gent",
        device=DEVICE,
        events=events,
        issued_at="2026-01-05T11:00:00+00:00",
        public_key=KEY.public_key(),
    )
    return certs.sign(body, KEY)


@pytest.fixture
def lang(request):
    set_language(request.param)
    yield request.param
    set_language("en")


def test_the_record_states_the_scope_in_english_whatever_the_language():
    set_language("fr")
    try:
        entry = scope({"mode": "sample", "result": "passed", "fraction": 0.01})
    finally:
        set_language("en")
    assert entry["code"] == "sample" and entry["catches_silent_write_loss"] is False
    assert ONLY_FULL["en"] in entry["statement"] and "1.0 %" in entry["statement"]
    full = scope({"mode": "full", "result": "passed", "fraction": 1.0})
    assert full["code"] == "full" and full["catches_silent_write_loss"] is True
    assert scope_code("sample (before/after firmware erase)") == "firmware_sample"
    assert scope_code("full", "not done") == "not_done"
    assert scope_code("off", "not done") == "off"


@pytest.mark.parametrize("lang", ["en", "nl", "fr"], indirect=True)
def test_the_certificate_json_says_what_a_sample_cannot_prove(lang):
    cert = certificate([event("wipe", sampled())])["certificate"]
    (disk,) = cert["disks"]
    assert disk["verification"]["scope"] == "sample"
    statement = disk["verification"]["scope_statement"]
    assert ONLY_FULL[lang] in statement and "1.2 %" in statement
    full = certificate([event("wipe", wipe_payload())])["certificate"]["disks"][0]
    assert full["verification"]["scope"] == "full"
    assert ONLY_FULL[lang] not in full["verification"]["scope_statement"]


@needs_poppler
@pytest.mark.parametrize("lang", ["en", "nl", "fr"], indirect=True)
def test_the_certificate_pdf_says_it_too(tmp_path: Path, lang):
    events = [event("wipe", sampled(f"sd{i}", f"SER{i:03d}"), i) for i in range(4)]
    pdf = tmp_path / "cert.pdf"
    certs.render_pdf(certificate(events), pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    # Said once below the disks, not four times; every disk still on the one page.
    assert flat.count(ONLY_FULL[lang]) == 1
    assert all(f"SER{i:03d}" in text for i in range(4))
    assert "\f" not in text.rstrip("\f")
    signature = flat.index("Ed25519")
    assert flat.index(ONLY_FULL[lang]) < signature and flat.index("SER003") < signature
