"""`refurb demo`: the whole flow in a folder of its own, as root (loop device) and not."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from refurb.env import Env
from refurb.errors import Refused
from refurb.runner import Runner

FILE_KEYS = {
    "store",
    "config",
    "public_key",
    "image",
    "label",
    "certificate_json",
    "certificate_pdf",
}


class _Unprivileged(Runner):
    """Runs every tool as user nobody (through setpriv), as on a machine without sudo."""

    def run(self, argv, **kwargs):
        if self.which(argv[0]) is None:
            return super().run(argv, **kwargs)
        drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        return super().run([*drop, *argv], **kwargs)


def _check_files(run_cli, summary: dict, folder: Path) -> dict:
    assert summary["folder"] == str(folder)
    assert set(summary["files"]) >= FILE_KEYS
    for path in summary["files"].values():
        assert Path(path).is_file(), path
        assert Path(path).stat().st_size > 0, path
    assert Path(summary["files"]["label"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert Path(summary["files"]["certificate_pdf"]).read_bytes()[:5] == b"%PDF-"
    assert summary["synced"] is not None and summary["stock_devices"] == 1
    checked = run_cli(
        "wipe",
        "verify-cert",
        summary["files"]["certificate_json"],
        "--key",
        summary["files"]["public_key"],
        expect=0,
    )
    assert checked.stdout.startswith("OK ") and "intact" in checked.stdout
    cert = json.loads(Path(summary["files"]["certificate_json"]).read_text())
    body = cert["certificate"]
    assert body["device"]["asset_id"] == summary["asset_id"]
    return body


@pytest.mark.root
def test_demo_as_root_erases_a_loop_device_and_detaches_it(run_cli, tmp_path):
    folder = tmp_path / "demo"
    result = run_cli("demo", "--dir", str(folder), "--json", expect=0)
    summary = result.json
    assert summary["erased_as"] == "loop device"
    assert summary["wipe_status"] == "erased"
    assert summary["grade"] in ("A", "B", "C", "D")
    body = _check_files(run_cli, summary, folder)
    erased = [d for d in body["disks"] if d["status"] == "erased"]
    assert len(erased) == 1 and erased[0]["verification"]["passed"] is True
    # the loop device is gone again, and the image holds no trace of the demo's data
    listed = subprocess.run(
        ["losetup", "-j", summary["files"]["image"]], capture_output=True, text=True
    )
    assert listed.stdout.strip() == ""
    assert b"a donor left" not in Path(summary["files"]["image"]).read_bytes()


def test_demo_without_root_erases_the_plain_image_file(run_cli, tmp_path, monkeypatch):
    from refurb import demo, probe

    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("setpriv (util-linux) is needed to drop root")
        monkeypatch.setattr(demo.os, "geteuid", lambda: 65534)
        monkeypatch.setattr(probe.sources, "_is_root", lambda: False)
        env = Env(stdin_isatty=False, stdout_isatty=False, runner=_Unprivileged())
    else:
        env = None
    folder = tmp_path / "demo"
    result = run_cli("demo", "--dir", str(folder), "--json", env=env, expect=0)
    summary = result.json
    assert summary["erased_as"] == "image file"
    assert summary["wipe_status"] == "erased"
    assert summary["warnings"], "a probe without root says what it could not read"
    body = _check_files(run_cli, summary, folder)
    (image,) = [d for d in body["disks"] if d["status"] == "erased"]
    assert image["type"] == "disk image (regular file)"
    assert b"a donor left" not in Path(summary["files"]["image"]).read_bytes()


def test_demo_in_dutch_says_where_each_file_is(run_cli, tmp_path):
    folder = tmp_path / "demo-nl"
    result = run_cli("--lang", "nl", "demo", "--dir", str(folder), expect=0)
    assert "etiket (PNG)" in result.stdout
    for line in result.stdout.splitlines():
        if ": /" in line:
            assert Path(line.split(": ", 1)[1].strip()).exists(), line
    assert "Demomap" in result.stderr


def test_demo_no_keep_removes_its_folder(run_cli, tmp_path):
    folder = tmp_path / "gone"
    result = run_cli("--lang", "fr", "demo", "--dir", str(folder), "--no-keep", expect=0)
    assert not folder.exists()
    assert "supprimé" in result.stdout


def test_an_image_is_only_ever_a_regular_file(tmp_path):
    from refurb.wipe import WipeOptions
    from refurb.wipe.image import prepare_image

    with pytest.raises(Refused, match="not a regular file"):
        prepare_image(Path("/dev/null"), WipeOptions(), Runner())
    empty = tmp_path / "empty.img"
    empty.write_bytes(b"")
    with pytest.raises(Refused, match="empty"):
        prepare_image(empty, WipeOptions(), Runner())
    image = tmp_path / "disk.img"
    image.write_bytes(b"x" * (1 << 20))
    (plan,) = prepare_image(image, WipeOptions(method="auto"), Runner()).plans
    assert plan.method == "prng" and plan.technique == "overwrite"
    assert plan.disk.media_type == "disk image (regular file)"


def _loops_over(image: Path) -> list[str]:
    found = []
    for backing in Path("/sys/block").glob("loop*/loop/backing_file"):
        try:
            if backing.read_text().strip() == str(image):
                found.append(backing.parent.parent.name)
        except OSError:
            continue
    return found


@pytest.mark.root
def test_ctrl_c_during_the_demo_detaches_its_loop_device(tmp_path):
    import signal
    import sys
    import time

    folder = tmp_path / "demo"
    image = folder / "demo-disk.img"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "refurb", "demo", "--dir", str(folder)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not _loops_over(image) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    assert proc.poll() is None, "the demo ended before its loop device was seen"
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert _loops_over(image) == [], err
