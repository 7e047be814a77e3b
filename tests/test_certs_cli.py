"""`refurb wipe certificate` and `verify-cert` through the CLI, on a real store."""

from __future__ import annotations

import json
import stat

from support_certs import FIXTURES

LOGS = FIXTURES / "nwipe"


def _asset(run_cli, serial="PF0ABC12") -> str:
    args = ("intake", "new", "--serial", serial, "--model", "ThinkPad T460", "--json")
    return run_cli(*args, expect=0).json["asset_id"]


def test_init_makes_a_private_site_key(run_cli, initialized):
    key = initialized / "keys" / "site-ed25519.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (initialized / "keys" / "site-ed25519.pub").exists()


def test_certificate_for_an_erased_device_verifies(run_cli, initialized, tmp_path):
    asset = _asset(run_cli)
    run_cli("wipe", "import-nwipe", str(LOGS / "two-disks.log"), "--asset", asset, expect=0)
    out_json, out_pdf = tmp_path / "c.json", tmp_path / "c.pdf"
    result = run_cli(
        "wipe",
        "certificate",
        asset,
        "--json",
        str(out_json),
        "--pdf",
        str(out_pdf),
        "--print-json",
        expect=0,
    )
    summary = result.json
    # never probed: the two erased disks are listed, but the device's disks are not known
    assert summary["result"] == "disks_not_inventoried" and len(summary["disks"]) == 2
    assert [d["status"] for d in summary["disks"]] == ["erased", "erased"]
    assert out_pdf.read_bytes().startswith(b"%PDF")
    cert = json.loads(out_json.read_text())["certificate"]
    assert cert["site"] == "Test Workshop" and cert["device"]["asset_id"] == asset
    assert cert["device"]["serial"] == "PF0ABC12"

    ok = run_cli("wipe", "verify-cert", str(out_json), "--json", expect=0).json
    assert ok["ok"] is True and ok["signed_by_this_site"] is True
    assert ok["checked_with"] == "embedded" and ok["trusted_as"] == "site"
    pub = initialized / "keys" / "site-ed25519.pub"
    ok = run_cli("wipe", "verify-cert", str(out_json), "--key", str(pub), "--json", expect=0).json
    assert ok["checked_with"] == "given" and ok["certificate_id"] == cert["certificate_id"]
    text = run_cli("wipe", "verify-cert", str(out_json), expect=0).stdout
    assert "OK" in text and asset in text
    # issuing is itself recorded on the device's timeline
    kinds = [e["kind"] for e in run_cli("show", asset, "--json", expect=0).json["events"]]
    assert kinds[-1] == "note"


def test_changed_byte_or_wrong_key_exits_1(run_cli, initialized, tmp_path, monkeypatch):
    asset = _asset(run_cli)
    run_cli("wipe", "import-nwipe", str(LOGS / "zero.log"), "--asset", asset, expect=0)
    path = tmp_path / "c.json"
    run_cli("wipe", "certificate", asset, "--json", str(path), "--no-pdf", expect=0)
    original = path.read_bytes()
    tampered = tmp_path / "t.json"
    tampered.write_bytes(original.replace(b'"erased"', b'"Erased"', 1))
    result = run_cli("wipe", "verify-cert", str(tampered))
    assert result.exit_code == 1 and "was changed" in result.stderr
    assert "Traceback" not in result.stderr

    # a second site with its own key: its public key is the wrong key for this certificate
    other = tmp_path / "other-home"
    monkeypatch.setenv("REFURB_HOME", str(other))
    run_cli("init", "--site", "Other", expect=0)
    wrong = other / "keys" / "site-ed25519.pub"
    result = run_cli("wipe", "verify-cert", str(path), "--key", str(wrong))
    assert result.exit_code == 1 and "signed by another key" in result.stderr
    # without --key it is intact, but signed by a key this site does not trust
    verdict = run_cli("wipe", "verify-cert", str(path), "--json")
    assert verdict.exit_code == 1 and verdict.json["reason"] == "unknown_key"


def test_device_without_erasure_gets_an_honest_certificate(run_cli, initialized, tmp_path):
    asset = _asset(run_cli)
    path = tmp_path / "c.json"
    summary = run_cli(
        "wipe",
        "certificate",
        asset,
        "--json",
        str(path),
        "--pdf",
        str(tmp_path / "c.pdf"),
        "--print-json",
        expect=0,
    ).json
    assert summary["result"] == "not_erased" and summary["disks"] == []
    text = run_cli("wipe", "certificate", asset, "--json", str(path), "--no-pdf", expect=0).stdout
    assert "NOT erased" in text


def test_failed_erasure_is_not_erased(run_cli, initialized, tmp_path):
    asset = _asset(run_cli)
    run_cli("wipe", "import-nwipe", str(LOGS / "zero.log"), "--asset", asset, expect=0)
    run_cli("wipe", "import-nwipe", str(LOGS / "readonly.log"), "--asset", asset, expect=3)
    summary = run_cli(
        "wipe",
        "certificate",
        asset,
        "--json",
        str(tmp_path / "c.json"),
        "--no-pdf",
        "--print-json",
        expect=0,
    ).json
    assert summary["result"] == "not_erased"
    assert sorted(d["status"] for d in summary["disks"]) == ["erased", "failed"]


def test_errors_are_one_line(run_cli, initialized, tmp_path, monkeypatch):
    result = run_cli("wipe", "certificate", "RF-00000-00000", "--json", str(tmp_path / "x.json"))
    assert result.exit_code == 1 and result.stderr.startswith("refurb: error:")
    result = run_cli("wipe", "verify-cert", str(tmp_path / "missing.json"))
    assert result.exit_code == 1 and "no such file" in result.stderr
    bad = tmp_path / "bad.pub"
    bad.write_text("hello")
    cert = tmp_path / "c.json"
    cert.write_text("{}")
    result = run_cli("wipe", "verify-cert", str(cert), "--key", str(bad))
    assert result.exit_code == 1 and "bad.pub" in result.stderr
    # a store without a site key (not initialised here) cannot sign
    monkeypatch.setenv("REFURB_HOME", str(tmp_path / "fresh"))
    result = run_cli("wipe", "certificate", "RF-00000-00000", "--json", str(cert))
    assert result.exit_code == 1 and "refurb init" in result.stderr


def test_help_has_examples(run_cli):
    for command in ("certificate", "verify-cert", "import-nwipe"):
        text = run_cli("wipe", command, "--help", expect=0).stdout
        assert "Example: refurb wipe " + command in " ".join(text.split())


def test_default_file_names_use_the_normalised_id(run_cli, initialized, tmp_path, monkeypatch):
    asset = _asset(run_cli)
    monkeypatch.chdir(tmp_path)
    run_cli("wipe", "certificate", asset.lower().replace("-", ""), expect=0)
    assert (tmp_path / f"{asset}-erasure.json").exists()
    assert (tmp_path / f"{asset}-erasure.pdf").read_bytes().startswith(b"%PDF")
