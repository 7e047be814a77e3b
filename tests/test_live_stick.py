"""`refurb init --stick`: a live stick gets the site's settings and key on its data partition."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from refurb.stick import data_partition


def _stick_config(folder: Path) -> str:
    return (folder / "refurb" / "config.toml").read_text()


def test_stick_gets_site_settings_and_key_but_its_own_workstation(run_cli, initialized, tmp_path):
    run_cli("init", "--inventory", "postgresql://postgres@office:5432/inv", expect=0)
    stick = tmp_path / "REFURB-DATA"
    stick.mkdir()
    done = run_cli(
        "init",
        "--stick",
        str(stick),
        "--inventory",
        "postgresql://bench:secret@10.0.2.2:5432/inv",
        "--lang",
        "nl",
        "--json",
        expect=0,
    )
    result = json.loads(done.stdout)
    assert result["key"] == "copied" and result["site"] == "Test Workshop"
    assert result["password_dropped"] is True
    text = _stick_config(stick)
    assert "10.0.2.2" in text and "secret" not in text and 'lang = "nl"' in text
    pc_key = (initialized / "keys" / "site-ed25519.key").read_bytes()
    stick_key = stick / "refurb" / "keys" / "site-ed25519.key"
    assert stick_key.read_bytes() == pc_key
    assert stick_key.stat().st_mode & 0o777 == 0o600
    assert (stick / "refurb").stat().st_mode & 0o777 == 0o700
    pc_ws = run_cli("config", "workstation", "--json", expect=0).stdout
    assert result["workstation"] not in pc_ws
    # The PC's own settings were not changed by the stick's options.
    assert "office" in (initialized / "config.toml").read_text()
    # Again: the same key is found, the workstation id is kept.
    again = json.loads(run_cli("init", "--stick", str(stick), "--json", expect=0).stdout)
    assert again["key"] == "same" and again["workstation"] == result["workstation"]
    assert "10.0.2.2" in _stick_config(stick)


def test_stick_of_another_site_is_refused(run_cli, initialized, tmp_path, monkeypatch):
    stick = tmp_path / "stick"
    stick.mkdir()
    monkeypatch.setenv("REFURB_HOME", str(tmp_path / "other-site"))
    run_cli("init", "--site", "Other", expect=0)
    run_cli("init", "--stick", str(stick), expect=0)
    monkeypatch.setenv("REFURB_HOME", str(initialized))
    done = run_cli("init", "--stick", str(stick))
    assert done.exit_code == 1
    assert "another site's key" in done.stderr
    assert "Other" in _stick_config(stick)


def test_missing_stick_is_named(run_cli, initialized, tmp_path):
    done = run_cli("init", "--stick", str(tmp_path / "nope"))
    assert done.exit_code == 1 and "no stick or folder" in done.stderr
    plain = tmp_path / "file"
    plain.write_text("x")
    done = run_cli("init", "--stick", str(plain))
    assert done.exit_code == 1 and "neither a block device nor a folder" in done.stderr


def test_stick_in_dutch(run_cli, initialized, tmp_path):
    stick = tmp_path / "s"
    stick.mkdir()
    done = run_cli("--lang", "nl", "init", "--stick", str(stick), expect=0)
    assert "Stick klaar" in done.stdout and "op de stick gekopieerd" in done.stdout


def test_data_partition_is_found_by_label_among_children():
    listing = {
        "blockdevices": [
            {
                "path": "/dev/sdb",
                "type": "disk",
                "label": "REFURB_LIVE",
                "children": [
                    {"path": "/dev/sdb1", "type": "part", "label": None},
                    {
                        "path": "/dev/sdb4",
                        "type": "part",
                        "label": "REFURB-DATA",
                        "fstype": "ext4",
                        "mountpoint": "/media/ann/REFURB-DATA",
                    },
                ],
            }
        ]
    }
    found = data_partition(json.dumps(listing), "/dev/sdb")
    assert found == {"path": "/dev/sdb4", "fstype": "ext4", "mountpoint": "/media/ann/REFURB-DATA"}
    listing["blockdevices"][0]["children"][1]["label"] = "DATA"
    assert data_partition(json.dumps(listing), "/dev/sdb") is None
    assert data_partition("not json", "/dev/sdb") is None


def _loop_with_fs(path: Path, label: str | None) -> str:
    subprocess.run(["truncate", "-s", "16M", str(path)], check=True)
    subprocess.run(["mkfs.ext4", "-q", *(["-L", label] if label else []), str(path)], check=True)
    return subprocess.run(
        ["losetup", "-f", "--show", str(path)], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.mark.root
def test_stick_device_is_mounted_written_and_unmounted(run_cli, initialized, tmp_path):
    dev = _loop_with_fs(tmp_path / "data.img", "REFURB-DATA")
    try:
        done = run_cli("init", "--stick", dev, "--json", expect=0)
        result = json.loads(done.stdout)
        assert result["partition"] == dev and result["key"] == "copied"
        mounts = Path("/proc/mounts").read_text()
        assert dev not in mounts  # unmounted again
        check = tmp_path / "check"
        check.mkdir()
        subprocess.run(["mount", "-o", "ro", dev, str(check)], check=True)
        try:
            assert "Test Workshop" in _stick_config(check)
        finally:
            subprocess.run(["umount", str(check)], check=True)
    finally:
        subprocess.run(["losetup", "-d", dev], check=False)


@pytest.mark.root
def test_stick_without_data_partition_says_how_to_make_one(run_cli, initialized, tmp_path):
    dev = _loop_with_fs(tmp_path / "plain.img", None)
    try:
        done = run_cli("init", "--stick", dev)
        assert done.exit_code == 1
        assert "no partition labelled REFURB-DATA" in done.stderr
        assert "mkfs.ext4 -L REFURB-DATA" in done.stderr
    finally:
        subprocess.run(["losetup", "-d", dev], check=False)
