"""`refurb workbench` driven through a pseudo-terminal: a full run on a loop device, a run
interrupted at the wipe (Ctrl-C, kill) and resumed, a run in Dutch, an unknown asset typed,
a missing printer and an offline inventory."""

from __future__ import annotations

import signal
import time

import pytest
from support_wipe import faulty_loop, loop_device, random_file
from support_workbench import Bench, settings

from refurb.wipe.blockio import MiB

HAPPY_KEYS = 12  # issue 17: from a typed asset id to a printed label


@pytest.fixture
def site(run_cli, initialized, tmp_path):
    settings(initialized, os_image="Linux Mint", os_version="22.1")
    return initialized


def _new(run_cli, serial: str = "WB-1") -> str:
    return run_cli("intake", "new", "--serial", serial, "--json", expect=0).json["asset_id"]


def _events(run_cli, asset: str) -> list[dict]:
    return run_cli("show", asset, "--json", expect=0).json["events"]


def _kinds(run_cli, asset: str) -> list[str]:
    return [e["kind"] for e in _events(run_cli, asset)]


@pytest.mark.root
def test_a_full_run_erases_the_loop_device_and_prints_the_label(run_cli, site, tmp_path):
    printed = tmp_path / "label.bin"
    settings(site, label_printer=f"file:{printed}")
    asset = _new(run_cli)
    image = random_file(tmp_path / "disk.img", 8 * MiB)
    before = image.read_bytes()[: 64 * 1024]
    with loop_device(image) as dev:
        bench = Bench(site, "--disk", dev)
        bench.expect("Asset id")
        bench.type(asset)
        bench.expect("Enter = start with: probe")
        bench.press("\r")
        bench.expect("will be erased for good")
        screen = bench.expect("y = erase them")
        assert dev in screen and "8 MB" in screen and "disk.img" in screen
        assert "/dev/vda" not in screen  # this machine's own disk is never offered
        bench.press("y")
        bench.expect("Enter = record Linux Mint 22.1")
        bench.press("\r")
        bench.expect("Enter = everything works")
        bench.press("\r")
        bench.expect("Cosmetic condition")
        bench.press("b")
        bench.expect("Enter = print the label")
        bench.press("\r")
        bench.expect("status")
        assert bench.wait() == 0, bench.seen
        # Run again: every step is done, it only syncs and sums up.
        again = Bench(site, asset, "--disk", dev)
        again.expect("Every step is done")
        again.press("\r")
        again.expect("status")
        assert again.wait() == 0
    assert bench.keys <= HAPPY_KEYS
    assert bench.keys == 6, "Enter, y, Enter, Enter, b, Enter"
    assert printed.stat().st_size > 0
    assert "Traceback" not in bench.seen
    events = _events(run_cli, asset)
    kinds = [e["kind"] for e in events]
    assert kinds[:2] == ["intake", "probe"]
    for kind in ("wipe_started", "wipe", "os_install", "grade", "label"):
        assert kind in kinds
    wipe = next(e for e in events if e["kind"] == "wipe")["payload"]
    assert wipe["status"] == "erased" and wipe["disk"]["path"] == dev
    assert image.read_bytes()[: 64 * 1024] != before  # the donor's data is gone
    label = next(e for e in events if e["kind"] == "label")["payload"]
    assert label["printer"] == f"file:{printed}"
    assert _kinds(run_cli, asset) == kinds  # the second run added nothing


def _start_erasing(site, asset: str, dev: str, disk) -> Bench:
    bench = Bench(site, asset, "--disk", dev)
    bench.expect("Enter = start")
    bench.press("\r")
    bench.expect("y = erase them")
    bench.press("y")
    deadline = time.monotonic() + 30
    while disk.written() < MiB:
        assert time.monotonic() < deadline, "the erasure never started"
        time.sleep(0.02)
    return bench


def _resume_erases(run_cli, site, asset: str, dev: str, *, cut_off: bool) -> Bench:
    bench = Bench(site, asset, "--disk", dev)
    bench.expect("Enter = start with: erase")
    bench.press("\r")
    if cut_off:
        bench.expect("was cut off: recorded as interrupted")
    bench.expect("did not finish: erase again")
    bench.press("y")
    bench.expect("Enter = record")
    bench.press("q")
    bench.expect("To go on: refurb workbench")
    assert bench.wait() == 0
    return bench


@pytest.mark.root
def test_ctrl_c_at_the_wipe_is_recorded_and_the_next_run_erases_again(run_cli, site, tmp_path):
    asset = _new(run_cli)
    with faulty_loop(tmp_path, 16 * MiB, "slow", delay=0.02) as (dev, disk):
        bench = _start_erasing(site, asset, dev, disk)
        bench.child.sendintr()  # Ctrl-C on the terminal
        bench.expect("recorded as interrupted")
        assert bench.wait() == 130
        assert disk.written() < 16 * MiB
        wipes = [e["payload"] for e in _events(run_cli, asset) if e["kind"] == "wipe"]
        assert [w["status"] for w in wipes] == ["interrupted"]
        assert "SIGINT" in wipes[0]["record"]["reason"]
        _resume_erases(run_cli, site, asset, dev, cut_off=False)
    wipes = [e["payload"] for e in _events(run_cli, asset) if e["kind"] == "wipe"]
    assert [w["status"] for w in wipes] == ["interrupted", "erased"]
    assert "os_install" not in _kinds(run_cli, asset)  # q stopped before the OS step


@pytest.mark.root
def test_a_killed_workbench_is_found_cut_off_and_the_next_run_erases_again(run_cli, site, tmp_path):
    asset = _new(run_cli)
    with faulty_loop(tmp_path, 16 * MiB, "slow", delay=0.02) as (dev, disk):
        bench = _start_erasing(site, asset, dev, disk)
        bench.child.kill(signal.SIGKILL)
        bench.wait()
        assert _kinds(run_cli, asset)[-1] == "wipe_started"
        _resume_erases(run_cli, site, asset, dev, cut_off=True)
    wipes = [e["payload"] for e in _events(run_cli, asset) if e["kind"] == "wipe"]
    assert [w["status"] for w in wipes] == ["interrupted", "erased"]


@pytest.mark.root
def test_a_run_in_dutch(run_cli, site, tmp_path):
    settings(site, label_printer=f"file:{tmp_path / 'label.bin'}")
    asset = _new(run_cli)
    image = random_file(tmp_path / "disk.img", 8 * MiB)
    with loop_device(image) as dev:
        bench = Bench(site, asset, "--disk", dev, lang="nl")
        bench.expect("Enter = beginnen met: hardware")
        bench.press("\r")
        bench.expect("j = wissen")
        bench.press("j")
        bench.expect("Enter = Linux Mint 22.1 vastleggen")
        bench.press("\r")
        bench.expect("Enter = alles werkt")
        bench.press("\r")
        bench.expect("Uiterlijk")
        bench.press("a")
        bench.expect("Enter = het etiket afdrukken")
        bench.press("\r")
        bench.expect("status")
        assert bench.wait() == 0, bench.seen
    assert "wissen" in bench.seen and "Traceback" not in bench.seen
    assert "Everything" not in bench.seen and "Enter = start" not in bench.seen
    assert "label" in _kinds(run_cli, asset)


def test_an_unknown_asset_typed_at_the_prompt_is_said_and_asked_again(run_cli, site):
    asset = _new(run_cli)
    typo = asset[:-2] + asset[-1] + asset[-2]  # two characters swapped: the check catches it
    if typo == asset:
        typo = asset[:3] + ("0" if asset[3] != "0" else "1") + asset[4:]
    bench = Bench(site)
    bench.expect("Asset id")
    bench.type("RF-12345")
    bench.expect("is not an asset id")
    bench.expect("Asset id")
    bench.type(typo)
    bench.expect("mistyped|did you mean")
    bench.expect("Asset id")
    bench.type("RF-00000-00000")
    bench.expect("no device RF-00000-00000 in this store")
    bench.expect("Asset id")
    bench.type(asset.lower().replace("rf-", ""))  # how a person types it
    bench.expect(f"refurb workbench - {asset}")
    bench.expect("Enter = start")
    bench.press("q")
    assert bench.wait() == 0
    assert _kinds(run_cli, asset) == ["intake"]  # nothing done on another device


def _to_label(bench: Bench) -> None:
    """Through the steps with --no-wipe (no root needed): probe, skip the erasure, OS, grade."""
    bench.expect("Enter = start")
    bench.press("\r")
    bench.expect("Enter = give the log file  s = skip")
    bench.press("s")
    bench.expect("Why is this step skipped")
    bench.type("erased at the repair cafe with ShredOS, log lost")
    bench.expect("Enter = record")
    bench.press("\r")
    bench.expect("Enter = everything works")
    bench.press("\r")
    bench.expect("Cosmetic")
    bench.press("c")


def test_a_missing_printer_skips_the_label_with_its_reason(run_cli, site, tmp_path):
    settings(site, label_printer="cups:no-such-printer-here")
    asset = _new(run_cli)
    bench = Bench(site, asset, "--no-wipe")
    _to_label(bench)
    bench.expect("Enter = print the label on cups:no-such-printer-here")
    bench.press("\r")
    bench.expect("label skipped")
    bench.expect("status")
    assert bench.wait() == 0, bench.seen
    events = _events(run_cli, asset)
    skips = [e["payload"] for e in events if e["kind"] == "step_skipped"]
    assert [s["step"] for s in skips] == ["wipe", "label"]
    assert skips[0]["reason"] == "erased at the repair cafe with ShredOS, log lost"
    assert "no-such-printer-here" in skips[1]["reason"]
    assert "label" not in [e["kind"] for e in events]
    assert "refurb label" in bench.seen  # says how to print it later
    later = run_cli("label", asset, "--out", str(tmp_path / "later.png"), expect=0)
    assert (tmp_path / "later.png").stat().st_size > 0, later
    assert _kinds(run_cli, asset)[-1] == "label"


def test_offline_sync_says_the_events_are_queued(run_cli, site, tmp_path):
    run_cli("config", "inventory", "postgresql+psycopg://refurb@127.0.0.1:9/inventory", expect=0)
    asset = _new(run_cli)
    bench = Bench(site, asset, "--no-wipe")
    _to_label(bench)  # no printer set: the label is skipped without a key
    bench.expect("offline: (\\d+) event\\(s\\) wait on this bench")
    waiting = int(bench.child.match.group(1))
    assert bench.wait() == 0, bench.seen
    assert waiting >= len(_events(run_cli, asset)) - 1
    status = run_cli("sync", "--status", "--json", expect=0).json
    assert status["waiting"] == waiting
    skips = [e["payload"] for e in _events(run_cli, asset) if e["kind"] == "step_skipped"]
    assert skips[-1]["step"] == "label" and "label_printer" in skips[-1]["reason"]


@pytest.mark.root
def test_a_disk_swapped_after_the_list_was_shown_is_not_erased(run_cli, site, tmp_path):
    import subprocess

    asset = _new(run_cli)
    shown = random_file(tmp_path / "shown.img", 8 * MiB)
    other = random_file(tmp_path / "other.img", 8 * MiB)
    before = other.read_bytes()
    with loop_device(shown) as dev:
        bench = Bench(site, asset, "--disk", dev)
        bench.expect("Enter = start")
        bench.press("\r")
        bench.expect("y = erase them")
        # Another disk under the same name while the volunteer reads the list.
        subprocess.run(["losetup", "-d", dev], check=True)
        subprocess.run(["losetup", dev, str(other)], check=True)
        bench.press("y")
        bench.expect("changed since the list was shown: nothing was erased")
        assert bench.wait() == 1
    assert other.read_bytes() == before
    assert "wipe_started" not in _kinds(run_cli, asset)
