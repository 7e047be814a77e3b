"""`refurb probe` through the CLI: the summary, --json, --from, --capture, --save, bad input."""

from __future__ import annotations

import json

import pytest
from support_probe import E480, VM, assert_probe_shape, copy_folder
from test_probe_core import _laptop_runner

from refurb.env import Env


def test_json_from_a_folder(run_cli):
    result = run_cli("probe", "--from", str(E480), "--json", expect=0)
    assert_probe_shape(result.json)
    assert result.json["system"]["model"] == "ThinkPad E480"
    assert result.stderr == ""


def test_summary_a_volunteer_reads(run_cli):
    out = run_cli("probe", "--from", str(E480), expect=0).stdout
    for text in (
        "Lenovo ThinkPad E480",
        "Intel Core i5-8250U",
        "8 GB",
        "1 of 2 slots used",
        "Samsung SSD 860 EVO 500GB",
        "good",
        "94% of its design capacity",
        "205 cycles",
        '14.1" 1280x800',
        "Could not read everything",
        "lspci.txt is missing",
    ):
        assert text in out, text


def test_summary_in_dutch(run_cli):
    out = run_cli("--lang", "nl", "probe", "--from", str(E480), expect=0).stdout
    assert "Geheugen" in out and "Lenovo ThinkPad E480" in out
    assert "lspci.txt ontbreekt" in out


def test_virtual_machine_summary_says_what_is_unknown(run_cli):
    out = run_cli("probe", "--from", str(VM), expect=0).stdout
    assert "Unknown model" in out and "none found" in out
    assert "DMI" in out and "virtual" in out


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: p / "does-not-exist", "no such folder"),
        (lambda p: p, "nothing to read"),
    ],
)
def test_bad_folders_exit_1_with_a_message(run_cli, tmp_path, setup, message):
    result = run_cli("probe", "--from", str(setup(tmp_path)), expect=1)
    assert message in result.stderr and "hint:" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_corrupt_file_is_named_and_the_rest_shown(run_cli, tmp_path):
    folder = copy_folder(E480, tmp_path / "e480")
    (folder / "smartctl" / "sda.json").write_text("{ not json")
    result = run_cli("probe", "--from", str(folder), "--json", expect=0)
    assert any("smartctl/sda.json" in w for w in result.json["warnings"])
    assert [d["name"] for d in result.json["disks"]] == ["nvme0"]


def test_usage_errors_exit_2(run_cli, tmp_path):
    both = run_cli("probe", "--capture", str(tmp_path / "a"), "--from", str(E480))
    assert both.exit_code == 2
    lone_asset = run_cli("probe", "RF-7K3QM-X4T2A")
    assert lone_asset.exit_code == 2 and "--save" in lone_asset.stderr


def test_help_has_examples(run_cli):
    out = run_cli("probe", "--help", expect=0).stdout
    assert "refurb probe --save" in out and "--capture" in out and "--from" in out


def test_capture_then_from(run_cli, tmp_path):
    folder = tmp_path / "cap"
    env = Env(runner=_laptop_runner())
    live = run_cli("probe", "--capture", str(folder), "--json", env=env, expect=0).json
    assert (folder / "dmidecode.txt").is_file() and (folder / "capture.json").is_file()
    again = run_cli("probe", "--from", str(folder), "--json", expect=0).json
    assert again == live
    assert live["system"]["model"] == "ThinkPad E480"


def test_fast_json_path_matches_typer(run_cli, capsys):
    """`refurb probe --json` skips Typer's option parsing; the output must be the same."""
    from refurb.cli import main

    typer_out = run_cli("probe", "--from", str(E480), "--json", expect=0).json
    assert main(["probe", "--json", "--from", str(E480)]) == 0
    assert json.loads(capsys.readouterr().out) == typer_out
    assert main(["probe", f"--from={E480}", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == typer_out
    assert main(["probe", "--json", "--from", "/does/not/exist"]) == 1
    captured = capsys.readouterr()
    assert "no such folder" in captured.err and captured.out == ""


# -- --save ---------------------------------------------------------------------------------------


def _with_serial(tmp_path, serial: str, disk_serial: str | None = None):
    """The E480 folder with the system serial linuxhw masked filled in (and another disk)."""
    folder = copy_folder(E480, tmp_path / f"e480-{serial}")
    text = (folder / "dmidecode.txt").read_text()
    head, sep, tail = text.partition("System Information\n")
    tail = tail.replace("\tSerial Number: --", f"\tSerial Number: {serial}", 1)
    (folder / "dmidecode.txt").write_text(head + sep + tail)
    if disk_serial:
        sda = folder / "smartctl" / "sda.json"
        sda.write_text(sda.read_text().replace("S3YZNB0KB00864E", disk_serial))
    return folder


def _events(run_cli, asset):
    return run_cli("show", asset, "--json", expect=0).json["events"]


def test_save_on_a_given_asset(run_cli, initialized):
    asset = run_cli("intake", "new", "--json", expect=0).json["asset_id"]
    result = run_cli("probe", "--from", str(E480), "--save", asset, "--json", expect=0).json
    assert result["saved"] == {
        "asset_id": asset,
        "event_id": result["saved"]["event_id"],
        "created": False,
        "matched_by": "asset",
        "mismatch": {},
    }
    events = _events(run_cli, asset)
    assert [e["kind"] for e in events] == ["intake", "probe"]
    assert events[1]["payload"]["probe"]["system"]["model"] == "ThinkPad E480"
    shown = run_cli("show", asset, "--json", expect=0).json["device"]
    assert shown["status"] == "in_progress"
    # --asset is the same as the positional form
    again = run_cli("probe", "--from", str(E480), "--save", "--asset", asset, expect=0)
    assert asset in again.stdout


def test_save_finds_the_asset_by_system_serial(run_cli, initialized, tmp_path):
    asset = run_cli("intake", "new", "--serial", "PF0ABC12", "--json", expect=0).json["asset_id"]
    folder = _with_serial(tmp_path, "PF0ABC12", disk_serial="S4EVNX0N123456")
    saved = run_cli("probe", "--from", str(folder), "--save", "--json", expect=0).json["saved"]
    assert (saved["asset_id"], saved["matched_by"], saved["created"]) == (
        asset,
        "system_serial",
        False,
    )


def test_same_laptop_twice_lands_on_the_same_asset(run_cli, initialized):
    first = run_cli("probe", "--from", str(E480), "--save", "--create", "--json", expect=0).json
    assert first["saved"]["created"] is True
    second = run_cli("probe", "--from", str(E480), "--save", "--json", expect=0).json
    assert second["saved"]["asset_id"] == first["saved"]["asset_id"]
    assert second["saved"]["matched_by"] == "disk_serial"
    devices = run_cli("list", "--json", expect=0).json
    assert len(devices) == 1 and devices[0]["model"] == "ThinkPad E480"


def test_a_disk_moved_into_another_laptop_does_not_match(run_cli, initialized, tmp_path):
    run_cli("probe", "--from", str(_with_serial(tmp_path, "PF0AAAA1")), "--save", "--yes", expect=0)
    other = _with_serial(tmp_path, "PF0BBBB2")  # same disk serial, another system serial
    result = run_cli("probe", "--from", str(other), "--save")
    assert result.exit_code == 1 and "no asset matches" in result.stderr
    assert "PF0BBBB2" in result.stderr and "--create" in result.stderr


def test_no_match_without_a_terminal_needs_create(run_cli, initialized):
    result = run_cli("probe", "--from", str(E480), "--save")
    assert result.exit_code == 1
    assert "no asset matches" in result.stderr and "--create" in result.stderr
    assert run_cli("list", "--json", expect=0).json == []


@pytest.mark.parametrize(("answer", "code", "count"), [("y\n", 0, 1), ("n\n", 1, 0)])
def test_no_match_at_a_terminal_asks(run_cli, initialized, answer, code, count):
    env = Env(stdin_isatty=True, stdout_isatty=False)
    result = run_cli("probe", "--from", str(E480), "--save", input=answer, env=env)
    assert result.exit_code == code, result
    assert "Register a new one?" in result.stderr
    assert len(run_cli("list", "--json", expect=0).json) == count


def test_save_on_an_unknown_asset(run_cli, initialized):
    result = run_cli("probe", "--from", str(E480), "--save", "RF-7K3QM-X4T2A")
    assert result.exit_code == 1 and "RF-7K3QM-X4T2A" in result.stderr


def test_capture_refuses_a_folder_in_use(run_cli, tmp_path):
    folder = tmp_path / "cap"
    folder.mkdir()
    (folder / "dmidecode.txt").write_text("an earlier laptop")
    result = run_cli("probe", "--capture", str(folder), env=Env(runner=_laptop_runner()))
    assert result.exit_code == 1 and "not empty" in result.stderr and "cap-2" in result.stderr
    assert (folder / "dmidecode.txt").read_text() == "an earlier laptop"
