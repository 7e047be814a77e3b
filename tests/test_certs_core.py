"""Certificates: canonical signing, tamper detection on every byte, honest results, the PDF."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from support_certs import event, probe_event, wipe_payload

from refurb import certificates as certs
from refurb import keys
from refurb.env import Env
from refurb.errors import InvalidInput, NotFound

DEVICE = {
    "asset_id": "RF-7K3QM-X1234",
    "manufacturer": "LENOVO",
    "model": "ThinkPad T460",
    "serial": "PF0ABC12",
}
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
# The probe that inventoried the disk wipe_payload() erases.
PROBED = probe_event({"name": "sda", "serial": "S2RLNX0H700433B", "model": "Samsung SSD 850 EVO"})


def signed(events, key=KEY, site="Repair Café Gent") -> dict:
    body = certs.build_certificate(
        site=site,
        device=DEVICE,
        events=events,
        issued_at="2026-01-05T11:00:00+00:00",
        public_key=key.public_key(),
        certificate_id="00000000-0000-4000-8000-000000000001",
    )
    return certs.sign(body, key)


def test_site_key_is_created_once_private_and_loadable(tmp_path):
    env = Env(environ={"REFURB_HOME": str(tmp_path / "home")})
    path = keys.ensure_site_key(env)
    assert path == tmp_path / "home" / "keys" / "site-ed25519.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    pub = path.with_suffix(".pub")
    assert pub.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    first = path.read_bytes()
    path.chmod(0o644)
    assert keys.ensure_site_key(env) == path and path.read_bytes() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    private = keys.load_private_key(path)
    public = keys.load_public_key(pub)
    assert keys.fingerprint(public) == keys.fingerprint(private.public_key())
    assert keys.fingerprint(public).startswith("SHA256:") and len(keys.fingerprint(public)) == 71


def test_public_key_formats(tmp_path):
    pub = KEY.public_key()
    ssh = tmp_path / "k.ssh"
    ssh.write_bytes(
        pub.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    )
    raw = tmp_path / "k.hex"
    raw.write_text(keys.raw_public_bytes(pub).hex())
    for path in (ssh, raw):
        assert keys.fingerprint(keys.load_public_key(path)) == keys.fingerprint(pub)
    bad = tmp_path / "bad.pub"
    bad.write_text("not a key")
    with pytest.raises(InvalidInput, match="bad.pub"):
        keys.load_public_key(bad)
    with pytest.raises(NotFound):
        keys.load_public_key(tmp_path / "none.pub")


def test_canonical_form():
    assert certs.canonical_bytes({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()


def test_fully_erased_device():
    envelope = signed([PROBED, event("wipe", wipe_payload())])
    cert = envelope["certificate"]
    assert cert["schema"] == "refurb.erasure-certificate/1"
    assert cert["result"] == "erased"
    (disk,) = cert["disks"]
    assert disk["status"] == "erased" and disk["serial"] == "S2RLNX0H700433B"
    assert disk["nist_level"] == "Clear" and disk["verification"]["mode"] == "full"
    assert disk["started_at"].startswith("2026-01-05T10:00")
    assert cert["signer"]["key_fingerprint"] == keys.fingerprint(KEY.public_key())
    result = certs.verify(certs.file_bytes(envelope))
    assert result.key_source == "embedded" and result.certificate == cert


@pytest.mark.parametrize(
    ("events", "result", "statuses"),
    [
        ([], "not_erased", []),
        (
            [probe_event({"name": "sda", "serial": "S1", "model": "A"})],
            "not_erased",
            ["not_erased"],
        ),
        (
            [
                probe_event(
                    {"name": "sda", "serial": "S2RLNX0H700433B"}, {"name": "sdb", "serial": "W2"}
                ),
                event("wipe", wipe_payload(), 1),
            ],
            "not_erased",
            ["erased", "not_erased"],
        ),
        ([event("wipe", wipe_payload(status="failed"))], "not_erased", ["failed"]),
        (
            [event("wipe_started", {"wipe_id": "w1", "disk": {"name": "sda", "serial": "S9"}})],
            "not_erased",
            ["interrupted"],
        ),
        (
            [
                PROBED,
                event(
                    "wipe",
                    wipe_payload(
                        status="erased_with_exceptions", exceptions=["3 sectors remapped"]
                    ),
                ),
            ],
            "erased_with_exceptions",
            ["erased_with_exceptions"],
        ),
        (
            [
                event("wipe", wipe_payload(), 1),
                event("wipe", wipe_payload(status="interrupted"), 2),
            ],
            "not_erased",
            ["interrupted"],
        ),
        (
            [
                PROBED,
                event("wipe", wipe_payload(status="failed"), 1),
                event("wipe", wipe_payload(), 2),
            ],
            "erased",
            ["erased"],
        ),
        ([event("wipe", wipe_payload())], "disks_not_inventoried", ["erased"]),
        (
            [event("wipe", wipe_payload(status="erased_with_exceptions"))],
            "disks_not_inventoried",
            ["erased_with_exceptions"],
        ),
        (
            [
                event("wipe", wipe_payload(), 1),
                event("wipe", wipe_payload(name="sdb", serial="W2", status="failed"), 2),
            ],
            "not_erased",
            ["erased", "failed"],
        ),
    ],
    ids=[
        "nothing",
        "probed-only",
        "one-of-two",
        "failed",
        "killed",
        "exceptions",
        "later-interrupted",
        "retried",
        "never-probed",
        "never-probed-exceptions",
        "never-probed-failed",
    ],
)
def test_certificate_never_claims_erased_when_not(events, result, statuses):
    cert = signed(events)["certificate"]
    assert cert["result"] == result
    assert [d["status"] for d in cert["disks"]] == statuses


def test_records_with_missing_keys_are_tolerated():
    payload = {"wipe_id": "x", "disk": {"name": "sdb"}, "status": "erased", "record": {}}
    cert = signed([event("wipe", payload), event("wipe", {"disk": "junk"}, 2)])["certificate"]
    assert cert["disks"][0]["status"] == "erased"
    assert cert["disks"][0]["verification"] == {"mode": None, "fraction": None, "passed": None}
    assert certs.verify(certs.file_bytes(signed([event("wipe", payload)]))).certificate


SMALL = certs.file_bytes(signed([event("wipe", wipe_payload())]))


def test_every_single_byte_change_is_detected():
    assert certs.verify(SMALL).fingerprint
    for i in range(len(SMALL)):
        for delta in (1, 0x20):
            data = bytearray(SMALL)
            data[i] = (data[i] + delta) % 256
            with pytest.raises(certs.CertificateInvalid):
                certs.verify(bytes(data))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(SMALL) - 1), st.integers(1, 255))
def test_any_byte_replacement_is_detected(index, xor):
    data = bytearray(SMALL)
    data[index] ^= xor
    with pytest.raises(certs.CertificateInvalid):
        certs.verify(bytes(data))


def test_crlf_and_missing_final_newline_are_still_intact():
    assert certs.verify(SMALL.replace(b"\n", b"\r\n")).certificate
    assert certs.verify(SMALL.rstrip(b"\n")).certificate


def test_reformatted_file_and_resigned_content():
    envelope = json.loads(SMALL)
    with pytest.raises(certs.CertificateInvalid, match="file was edited"):
        certs.verify(json.dumps(envelope).encode())
    # someone changes the result and signs with their own key: the embedded key check passes
    # only if they also replace the signer, and then --key (the site's key) catches it
    other = Ed25519PrivateKey.generate()
    forged = signed([event("wipe", wipe_payload())], key=other)
    assert certs.verify(certs.file_bytes(forged)).key_source == "embedded"
    with pytest.raises(certs.CertificateInvalid, match="signed by another key"):
        certs.verify(certs.file_bytes(forged), key=KEY.public_key())
    # a signature copied from another certificate does not fit
    envelope["certificate"]["site"] = "Elsewhere"
    with pytest.raises(certs.CertificateInvalid, match="changed"):
        certs.verify(certs.file_bytes(envelope))


@pytest.mark.parametrize(
    "data", [b"", b"\xff\xfe", b"[]", b'{"certificate": {}, "signature": {}}', b'{"a": 1}']
)
def test_not_a_certificate(data):
    with pytest.raises(certs.CertificateInvalid):
        certs.verify(data)


needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed"
)


def _render(pdf: Path, tmp_path: Path):
    from PIL import Image

    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")],
        check=True,
        capture_output=True,
    )
    pages = sorted(tmp_path.glob("page*.png"))
    return pages, Image.open(pages[0]).convert("RGB")


def _text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


@needs_poppler
@pytest.mark.parametrize(
    ("events", "banner", "colour"),
    [
        ([PROBED, event("wipe", wipe_payload())], "ERASED", (22, 120, 60)),
        ([event("wipe", wipe_payload())], "DISKS NOT INVENTORIED", (190, 120, 0)),
        ([event("wipe", wipe_payload(status="failed"))], "NOT ERASED", (180, 30, 30)),
        ([], "NOT ERASED", (180, 30, 30)),
    ],
)
def test_pdf_is_one_readable_page(tmp_path, events, banner, colour):
    envelope = signed(events)
    pdf = tmp_path / "cert.pdf"
    certs.render_pdf(envelope, pdf, json_name="cert.json")
    pages, image = _render(pdf, tmp_path)
    assert len(pages) == 1
    # the result banner across the page is drawn in the result's colour
    band = [image.getpixel((x, y)) for y in range(40, 90) for x in (60, 100, 200)]
    assert colour in band
    text = _text(pdf)
    assert banner in text and "Repair Café Gent" in text and "RF-7K3QM-X1234" in text
    assert "refurb wipe verify-cert cert.json --key site-ed25519.pub" in " ".join(text.split())
    fp = keys.fingerprint(KEY.public_key()).split(":")[1]
    assert fp[:4] + " " + fp[4:8] in text


@needs_poppler
@pytest.mark.parametrize("count", [4, 12, 40])
def test_pdf_with_many_disks_stays_on_one_page(tmp_path, count):
    events = [
        event("wipe", wipe_payload(name=f"sd{i}", serial=f"SER{i:03d}"), i) for i in range(count)
    ]
    pdf = tmp_path / "many.pdf"
    certs.render_pdf(signed(events), pdf)
    pages, _image = _render(pdf, tmp_path)
    assert len(pages) == 1
    text = _text(pdf)
    shown = [i for i in range(count) if f"SER{i:03d}" in text]
    assert shown == list(range(len(shown)))
    if count <= 12:
        assert len(shown) == count and "more disks" not in text
    else:
        assert f"and {count - len(shown)} more disks" in text
    assert "Key fingerprint" in text  # the signature block is never pushed off the page


def test_record_in_the_wipe_engines_shape():
    # The keys refurb/wipe/record.py writes (operator object, tool under sanitization, ...).
    payload = {
        "wipe_id": "w1",
        "disk": {"name": "nvme0n1", "path": "/dev/nvme0n1", "serial": "1951B3444502"},
        "status": "erased",
        "record": {
            "media": {
                "manufacturer": "WDC",
                "model": "PC SN730",
                "serial": "1951B3444502",
                "type": "ssd",
                "size_bytes": 256060514304,
            },
            "method": "firmware",
            "nist_method": "Purge",
            "technique": "NVMe Sanitize Crypto Erase",
            "passes": 1,
            "sanitization": {"tool": {"name": "refurb", "version": "0.1.0"}},
            "verification": {
                "mode": "sample (before/after firmware erase)",
                "result": "passed",
                "fraction": 0.0123,
            },
            "operator": {"name": "ann", "workstation": "w"},
            "start": "2026-01-05T10:00:00+00:00",
            "end": "2026-01-05T10:00:09+00:00",
            "errors": [],
            "error_count": 0,
        },
    }
    (disk,) = signed([event("wipe", payload)])["certificate"]["disks"]
    assert (disk["make"], disk["model"], disk["type"]) == ("WDC", "PC SN730", "ssd")
    assert disk["nist_level"] == "Purge" and disk["tool"] == "refurb"
    assert disk["tool_version"] == "0.1.0" and disk["operator"] == "ann"
    assert disk["verification"]["passed"] is True and disk["verification"]["fraction"] == 0.0123
    assert certs.verification_text(disk["verification"]) == "sampled read-back (1.2 %), passed"


@needs_poppler
def test_pdf_keeps_names_outside_latin1(tmp_path):
    # A donor site or a model with letters beyond Latin-1 must not turn into question marks.
    envelope = signed([event("wipe", wipe_payload())], site="Atelier Œuvre — Ünal & Łukasz")
    pdf = tmp_path / "cert.pdf"
    certs.render_pdf(envelope, pdf)
    text = _text(pdf)
    assert "Atelier Œuvre — Ünal & Łukasz" in text
    assert "?" not in text.split("Signature")[0]


def test_a_number_too_large_for_a_float_is_not_a_certificate():
    text = SMALL.decode()
    at = text.index('"size_bytes":') + len('"size_bytes":')
    end = at + next(i for i, ch in enumerate(text[at:]) if ch in ",}")
    broken = (text[:at] + "1e999" + text[end:]).encode()
    with pytest.raises(certs.CertificateInvalid):
        certs.verify(broken)
