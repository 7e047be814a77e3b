"""`verify-cert` accepts only certificates signed by a key refurb trusts; `refurb keys`."""

from __future__ import annotations

import base64
import io
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from support_certs import FIXTURES, event, wipe_payload

from refurb import certificates as certs
from refurb import keys
from refurb.certificate_verify import CertificateInvalid, check, sign
from refurb.env import Env


def _certificate(run_cli, tmp_path, name="c.json") -> tuple[str, object]:
    asset = run_cli("intake", "new", "--serial", "PF0ABC12", "--json", expect=0).json["asset_id"]
    log = FIXTURES / "nwipe" / "zero.log"
    run_cli("wipe", "import-nwipe", str(log), "--asset", asset, expect=0)
    path = tmp_path / name
    run_cli("wipe", "certificate", asset, "--json", str(path), "--no-pdf", expect=0)
    return asset, path


def _switch_site(monkeypatch, run_cli, home, site="Other Workshop"):
    monkeypatch.setenv("REFURB_HOME", str(home))
    run_cli("init", "--site", site, expect=0)


def test_a_certificate_from_another_site_needs_its_key(run_cli, initialized, tmp_path, monkeypatch):
    _asset, cert = _certificate(run_cli, tmp_path)
    exported = tmp_path / "gent.pub"
    run_cli("keys", "export", "--out", str(exported), expect=0)
    site_fp = keys.fingerprint(keys.load_public_key(exported))
    assert run_cli("keys", "list", "--json", expect=0).json[0]["fingerprint"] == site_fp

    _switch_site(monkeypatch, run_cli, tmp_path / "elsewhere")
    refused = run_cli("wipe", "verify-cert", str(cert))
    assert refused.exit_code == 1 and refused.stdout == ""
    first = refused.stderr.splitlines()[0]
    assert first == f"refurb: error: {cert}: signed by an unknown key {site_fp}"
    assert "refurb keys export" in refused.stderr and "refurb keys trust" in refused.stderr
    verdict = run_cli("wipe", "verify-cert", str(cert), "--json")
    assert verdict.exit_code == 1
    assert verdict.json["ok"] is False and verdict.json["reason"] == "unknown_key"
    assert verdict.json["key_fingerprint"] == site_fp

    # --key for one check, then trusted for good
    ok = run_cli("wipe", "verify-cert", str(cert), "--key", str(exported), "--json", expect=0)
    assert ok.json["trusted_as"] == "given" and ok.json["signed_by_this_site"] is False
    text = run_cli("keys", "trust", str(exported), expect=0).stdout
    assert "Test Workshop" in text and site_fp in text  # the name comes from the exported file
    ok = run_cli("wipe", "verify-cert", str(cert), "--json", expect=0).json
    assert ok["ok"] is True and ok["trusted_as"] == "trusted"
    listed = run_cli("keys", "list", "--json", expect=0).json
    assert [(k["source"], k["name"]) for k in listed] == [
        ("site", None),
        ("trusted", "Test Workshop"),
    ]
    again = run_cli("keys", "trust", str(exported), expect=0).stdout
    assert "already trusted" in again
    run_cli("keys", "untrust", site_fp, expect=0)
    assert run_cli("wipe", "verify-cert", str(cert)).exit_code == 1
    assert run_cli("keys", "untrust", site_fp).exit_code == 1


def test_a_forged_certificate_with_a_fresh_key_is_refused(run_cli, initialized, tmp_path):
    _asset, cert = _certificate(run_cli, tmp_path)
    genuine = json.loads(cert.read_text())["certificate"]
    forger = Ed25519PrivateKey.generate()
    body = dict(genuine)
    body["result"] = "erased"
    body["signer"] = {
        "algorithm": "Ed25519",
        "key_fingerprint": keys.fingerprint(forger.public_key()),
        "public_key": base64.b64encode(keys.raw_public_bytes(forger.public_key())).decode(),
    }
    forged = tmp_path / "forged.json"
    forged.write_bytes(certs.file_bytes(sign(body, forger)))
    refused = run_cli("wipe", "verify-cert", str(forged))
    assert refused.exit_code == 1
    assert f"signed by an unknown key {keys.fingerprint(forger.public_key())}" in refused.stderr
    # the site's own key given with --key is not the forger's either
    pub = initialized / "keys" / "site-ed25519.pub"
    wrong = run_cli("wipe", "verify-cert", str(forged), "--key", str(pub), "--json")
    assert wrong.exit_code == 1 and wrong.json["reason"] == "wrong_key"
    assert run_cli("wipe", "verify-cert", str(cert), expect=0)


def test_every_tamper_is_detected_by_the_trusted_check(initialized, tmp_path):
    env = Env(environ={"REFURB_HOME": str(initialized)})
    private = keys.load_private_key(keys.private_key_path(env))
    body = certs.build_certificate(
        site="Test Workshop",
        device={"asset_id": "RF-7K3QM-X1234", "model": "ThinkPad T460", "serial": "PF0ABC12"},
        events=[event("wipe", wipe_payload())],
        issued_at="2026-01-05T11:00:00+00:00",
        public_key=private.public_key(),
    )
    data = certs.file_bytes(sign(body, private))
    assert check(env, data).trusted_as == "site"
    for i in range(len(data)):
        changed = bytearray(data)
        changed[i] ^= 0x01
        with pytest.raises(CertificateInvalid):
            check(env, bytes(changed))


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (_png(), "it is a PNG image"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "it is a PDF"),
        (b"", "the file is empty"),
        (b'{"certificate": {"schema": "refurb.erasure-certificate/1", "disks": [', "truncated"),
        (b'{"certificate": {"a": NaN}, "signature": {}}', "NaN"),
        (b'{"certificate": {"a": -Infinity}, "signature": {}}', "Infinity"),
        (b'{"name": "not a certificate"}', "without a certificate"),
        (b'{"certificate": {"schema": "x/1"}, "signature": {}}', "unknown schema"),
        (b"[" * 100_000, "not"),
        (b"hello\xff", "not UTF-8"),
    ],
    ids=[
        "png",
        "pdf",
        "empty",
        "truncated",
        "nan",
        "infinity",
        "other-json",
        "schema",
        "deep",
        "bin",
    ],
)
def test_not_a_certificate_is_one_line(run_cli, initialized, tmp_path, content, why):
    path = tmp_path / "input.json"
    path.write_bytes(content)
    result = run_cli("wipe", "verify-cert", str(path))
    assert result.exit_code == 1
    first, *rest = result.stderr.splitlines()
    assert first.startswith(f"refurb: error: {path}: not a refurb certificate (")
    assert why in first and all(line.startswith("hint:") for line in rest)
    verdict = run_cli("wipe", "verify-cert", str(path), "--json")
    assert verdict.exit_code == 1 and verdict.json["reason"] == "not_a_certificate"


def test_truncated_real_certificate(run_cli, initialized, tmp_path):
    _asset, cert = _certificate(run_cli, tmp_path)
    data = cert.read_bytes()
    for cut in (1, len(data) // 2, len(data) - 3):
        part = tmp_path / f"cut{cut}.json"
        part.write_bytes(data[:cut])
        result = run_cli("wipe", "verify-cert", str(part))
        assert result.exit_code == 1 and "not a refurb certificate" in result.stderr


def test_keys_bad_input(run_cli, initialized, tmp_path):
    bad = tmp_path / "notakey.pub"
    bad.write_text("hello")
    result = run_cli("keys", "trust", str(bad))
    assert result.exit_code == 1 and "notakey.pub" in result.stderr.splitlines()[0]
    result = run_cli("keys", "trust", str(tmp_path / "missing.pub"))
    assert result.exit_code == 1 and "missing.pub" in result.stderr
    own = initialized / "keys" / "site-ed25519.pub"
    assert "own key" in run_cli("keys", "trust", str(own), expect=0).stdout
    (initialized / "keys" / "trusted.json").write_text("{broken")
    result = run_cli("keys", "list")
    assert result.exit_code == 1 and "trusted.json" in result.stderr.splitlines()[0]
    assert "Traceback" not in result.stderr


def test_keys_without_a_site_key(run_cli, tmp_path):
    result = run_cli("keys", "export")
    assert result.exit_code == 1 and "refurb init" in result.stderr
    assert "refurb init" in run_cli("keys", "list", expect=0).stdout


def test_keys_help_has_examples(run_cli):
    for command in ("export", "trust", "untrust", "list"):
        text = run_cli("keys", command, "--help", expect=0).stdout
        assert "Example: refurb keys " + command in " ".join(text.split())
