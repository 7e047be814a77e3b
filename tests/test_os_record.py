"""`refurb os record` through the CLI: what it records, and what it refuses recording nothing."""

from __future__ import annotations

import hashlib
import shutil

import pytest
from support_grade import (
    ISO,
    OS_FIXTURES,
    battery,
    coreutils_sums,
    events,
    fixture_probe,
    make_iso,
    needs_sha256sum,
    seed_device,
)


@pytest.fixture
def asset(initialized):
    return seed_device(None, serial="OS-1")


@needs_sha256sum
def test_record_with_checked_iso(run_cli, asset, tmp_path):
    iso = make_iso(tmp_path)
    sums = coreutils_sums(iso)
    result = run_cli(
        "os", "record", asset, "--image", "Linux Mint", "--version", "22.1",
        "--edition", "Cinnamon", "--iso", str(iso), "--sums", str(sums),
        "--notes", "user 'leerling' created", "--json", expect=0,
    )  # fmt: skip
    digest = hashlib.sha256(iso.read_bytes()).hexdigest()
    assert result.json["sha256"] == digest
    [event] = events(asset, "os_install")
    assert event["payload"] == {
        "image": "Linux Mint", "version": "22.1", "edition": "Cinnamon", "licence": None,
        "sha256": digest, "iso": ISO, "sums_checked": True,
        "notes": "user 'leerling' created", "from_running": False,
    }  # fmt: skip
    assert event["actor"] == "tester"
    device = run_cli("show", asset, "--json", expect=0).json
    assert device["device"]["os"] == "Linux Mint 22.1"
    assert device["device"]["status"] == "in_progress"
    assert not any("OS install" in m for m in device["missing_for_ready"])


def test_record_without_iso_and_human_output(run_cli, asset):
    out = run_cli(
        "os", "record", asset, "--image", "Windows 11", "--version", "23H2",
        "--edition", "Pro", "--licence", "refurbisher", expect=0,
    ).stdout  # fmt: skip
    assert f"{asset}: recorded Windows 11 23H2 Pro" in out
    payload = events(asset, "os_install")[0]["payload"]
    assert payload["licence"] == "refurbisher" and payload["sha256"] is None
    assert payload["sums_checked"] is False


def test_iso_without_sums_records_the_hash_unchecked(run_cli, asset, tmp_path):
    iso = make_iso(tmp_path, 5000)
    data = run_cli("os", "record", asset, "--image", "Ubuntu", "--version", "24.04",
                   "--iso", str(iso), "--json", expect=0).json  # fmt: skip
    assert data["sha256"] == hashlib.sha256(iso.read_bytes()).hexdigest()
    assert data["sums_checked"] is False


@needs_sha256sum
def test_changed_iso_is_refused_and_nothing_recorded(run_cli, asset, tmp_path):
    iso = make_iso(tmp_path)
    sums = coreutils_sums(iso)
    with iso.open("r+b") as fh:
        fh.seek(4096)
        fh.write(b"\x00changed\x00")
    result = run_cli("os", "record", asset, "--image", "Linux Mint", "--version", "22.1",
                     "--iso", str(iso), "--sums", str(sums), expect=1)  # fmt: skip
    assert "does not match" in result.stderr and "do not install it" in result.stderr
    assert events(asset, "os_install") == []


@needs_sha256sum
def test_iso_not_in_sums_is_refused(run_cli, asset, tmp_path):
    other = make_iso(tmp_path, 1000, "linuxmint-22.1-xfce-64bit.iso")
    sums = coreutils_sums(other)
    iso = make_iso(tmp_path)
    result = run_cli("os", "record", asset, "--image", "Linux Mint", "--version", "22.1",
                     "--iso", str(iso), "--sums", str(sums), expect=1)  # fmt: skip
    assert f"{ISO} is not listed" in result.stderr
    assert events(asset, "os_install") == []


def test_from_running_reads_os_release(run_cli, asset):
    data = run_cli("os", "record", asset, "--from-running", "--os-release",
                   str(OS_FIXTURES / "linuxmint-22.1.os-release"), "--edition", "Cinnamon",
                   "--json", expect=0).json  # fmt: skip
    assert (data["image"], data["version"], data["edition"]) == ("Linux Mint", "22.1", "Cinnamon")
    assert data["from_running"] is True
    assert data["os_release"]["ID"] == "linuxmint"


def test_from_a_mounted_installed_system(run_cli, asset, tmp_path):
    (tmp_path / "etc").mkdir()
    shutil.copy(OS_FIXTURES / "debian-12.os-release", tmp_path / "etc" / "os-release")
    data = run_cli("os", "record", asset, "--os-release", str(tmp_path), "--json", expect=0).json
    assert (data["image"], data["version"]) == ("Debian GNU/Linux", "12")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--version", "22.1"], ["--image"]),
        (["--image", "Linux Mint"], ["--version"]),
        (["--image", "Windows 10", "--version", "22H2"], ["licence type"]),
        (["--image", "Windows 10", "--version", "22H2", "--licence", "kms"], ["'kms'"]),
        (["--image", "Ubuntu", "--version", "24.04", "--sums", "SUMS"], ["--sums needs --iso"]),
        (["--image", "Ubuntu", "--version", "24.04", "--iso", "/none/u.iso"], ["no such file"]),
        (["--os-release", "/nonexistent/os-release"], ["no os-release found"]),
    ],
    ids=[
        "no-image",
        "no-version",
        "windows-licence",
        "bad-licence",
        "sums-alone",
        "no-iso",
        "no-os-release",
    ],
)
def test_bad_input_records_nothing(run_cli, asset, args, words):
    result = run_cli("os", "record", asset, *args, expect=1)
    for word in words:
        assert word in result.stderr, result
    assert "Traceback" not in result.stderr
    assert events(asset, "os_install") == []


def test_unknown_asset_is_refused_before_hashing(run_cli, initialized, tmp_path):
    iso = make_iso(tmp_path, 1000)
    result = run_cli("os", "record", "RF-00000-00000", "--image", "Ubuntu", "--version", "24.04",
                     "--iso", str(iso), expect=1)  # fmt: skip
    assert "RF-00000-00000" in result.stderr


def test_ready_needs_os_record_and_grade(run_cli, initialized):
    """After the OS record and the grade only the erasure is missing before `ready`."""
    probe = fixture_probe(
        "lenovo-thinkpad-t480-20l6s01w00-f4ace26af601.txt",
        ["smartctl_exporter-sat-Phison_Driven_SSDs-KINGSTON_SA400M8120G-sda.json"],
        batteries=[battery(90)],
    )
    asset = seed_device(probe)
    before = run_cli("show", asset, "--json", expect=0).json["missing_for_ready"]
    assert any("OS install" in m for m in before) and any("grade" in m for m in before)
    run_cli("os", "record", asset, "--image", "Linux Mint", "--version", "22.1", expect=0)
    run_cli("grade", asset, "--cosmetic", "A", "--check", "screen=ok", expect=0)
    after = run_cli("show", asset, "--json", expect=0).json["missing_for_ready"]
    assert after and all("erasure" in m for m in after)
    refused = run_cli("status", asset, "ready", expect=1)
    assert "erasure" in refused.stderr
