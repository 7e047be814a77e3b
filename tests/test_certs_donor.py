"""`refurb wipe certificate --donor NAME | --batch B`: one signed certificate for a pallet."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from support_donor import outcome, seed_donor

from refurb.env import Env


def _expected(count: int) -> dict[str, int]:
    states = [outcome(n) for n in range(count)]
    return {
        "erased": states.count("erased"),
        "not_yet_erased": states.count("not_yet_erased"),
        "erasure_failed": states.count("erasure_failed"),
        "disks_not_inventoried": states.count("never_probed"),
    }


def test_a_300_device_donor_certificate_verifies_and_any_tamper_is_caught(
    run_cli, initialized, tmp_path
):
    assets = seed_donor(Env(), 300)
    out_json, out_pdf = tmp_path / "big.json", tmp_path / "big.pdf"
    summary = run_cli(
        "wipe",
        "certificate",
        "--donor",
        "BIG CO",  # the donor's name is matched without case
        "--json",
        str(out_json),
        "--pdf",
        str(out_pdf),
        "--print-json",
        expect=0,
    ).json
    want = _expected(300)
    assert summary["donor"] == "Big Co" and summary["result"] == "not_erased"
    assert summary["totals"]["devices"] == 300
    by_state = summary["totals"]["by_state"]
    assert {k: by_state[k] for k in want} == want
    cert = json.loads(out_json.read_text())["certificate"]
    assert cert["schema"] == "refurb.donor-certificate/1"
    assert [d["asset_id"] for d in cert["devices"]] == assets
    first = cert["devices"][0]
    assert first["title"] == "Lenovo ThinkPad E480" and first["serial"] == "PF000000"
    assert [d["status"] for d in first["disks"]] == ["erased", "erased"]
    assert cert["devices"][3]["state"] == "not_yet_erased"
    assert [d["status"] for d in cert["devices"][3]["disks"]] == ["not_erased", "not_erased"]
    assert cert["devices"][11]["state"] == "disks_not_inventoried"

    ok = run_cli("wipe", "verify-cert", str(out_json), "--json", expect=0).json
    assert ok["donor"] == "Big Co" and ok["trusted_as"] == "site"

    data = out_json.read_bytes()
    # a not-erased device made to look erased, with the file otherwise intact
    needle = b'"state": "not_yet_erased"'
    forged = tmp_path / "forged.json"
    forged.write_bytes(data.replace(needle, b'"state": "erased"', 1))
    result = run_cli("wipe", "verify-cert", str(forged))
    assert result.exit_code == 1 and "was changed" in result.stderr
    # a device removed from the list
    body = json.loads(data)
    del body["certificate"]["devices"][5]
    from refurb.certificates import file_bytes

    forged.write_bytes(file_bytes(body))
    assert run_cli("wipe", "verify-cert", str(forged)).exit_code == 1
    # single changed bytes spread over the whole file
    from refurb.certificate_verify import CertificateInvalid, check

    env = Env()
    for index in range(0, len(data), max(1, len(data) // 400)):
        changed = bytearray(data)
        changed[index] ^= 0x04
        with pytest.raises(CertificateInvalid):
            check(env, bytes(changed))

    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(out_pdf), "-"], capture_output=True, text=True
        ).stdout
        pages = text.split("\f")
        assert "300 DEVICES ERASED" in pages[0] and "Totals" in pages[0]
        assert f"{want['not_yet_erased']}" in pages[0]
        missing = [asset for asset in assets if asset not in text]
        assert not missing, (missing[:5], text[:3000])
        assert "Key fingerprint" in pages[-2] or "Key fingerprint" in pages[-1]


def test_batch_and_donor_select_devices(run_cli, initialized, tmp_path):
    env = Env()
    seed_donor(env, 6, donor="KBC", batch="B1")
    seed_donor(env, 4, donor="KBC", batch="B2", tag="KB")
    seed_donor(env, 3, donor="City of Ghent", batch="B2", tag="CG")
    out = tmp_path / "c.json"
    base = ("wipe", "certificate", "--json", str(out), "--no-pdf", "--print-json")
    assert run_cli(*base, "--batch", "B2", expect=0).json["totals"]["devices"] == 7
    assert run_cli(*base, "--donor", "kbc", expect=0).json["totals"]["devices"] == 10
    both = run_cli(*base, "--donor", "KBC", "--batch", "B2", expect=0).json
    assert both["totals"]["devices"] == 4 and (both["donor"], both["batch"]) == ("KBC", "B2")
    cert = json.loads(out.read_text())["certificate"]
    assert {d["batch"] for d in cert["devices"]} == {"B2"}
    run_cli("wipe", "verify-cert", str(out), expect=0)


def test_donor_certificate_bad_input(run_cli, initialized, tmp_path, monkeypatch):
    seed_donor(Env(), 2, donor="KBC Bank")
    out = str(tmp_path / "c.json")
    result = run_cli("wipe", "certificate", "--donor", "KBC Bnak", "--json", out)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "refurb: error: no device of donor KBC Bnak"
    assert "KBC Bank" in result.stderr
    result = run_cli("wipe", "certificate", "--batch", "NOPE", "--json", out)
    assert result.exit_code == 1 and "no device in batch NOPE" in result.stderr
    assert run_cli("wipe", "certificate", "--json", out).exit_code == 2
    assert run_cli("wipe", "certificate", "RF-00000-00000", "--donor", "KBC Bank").exit_code == 2
    assert not (tmp_path / "c.json").exists()


def test_default_file_name_and_plain_output(run_cli, initialized, tmp_path, monkeypatch):
    seed_donor(Env(), 3, donor="City of Ghent")
    monkeypatch.chdir(tmp_path)
    shown = run_cli("wipe", "certificate", "--donor", "City of Ghent", expect=0).stdout
    assert "Certificate for City of Ghent" in shown and "3 devices" in shown
    assert (tmp_path / "donor-City-of-Ghent-erasure.json").exists()
    assert (tmp_path / "donor-City-of-Ghent-erasure.pdf").read_bytes().startswith(b"%PDF")
    nl = run_cli("--lang", "nl", "wipe", "certificate", "--donor", "City of Ghent", expect=0)
    assert "3 toestellen" in nl.stdout
