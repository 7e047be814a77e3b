"""`refurb intake scan` at the door: through the CLI runner, a pipe and a pseudo-terminal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_scan_creates_and_finds(run_cli, initialized):
    known = run_cli("intake", "new", "--serial", "PF0OLD1", "--json", expect=0).json["asset_id"]
    lines = f"PF0NEW1\n\n  PF0NEW2 \r\nPF0OLD1\n{known}\nRF-00000-00000\nPF0NEW1\n"
    result = run_cli("intake", "scan", "--donor", "KBC", "--batch", "DOOR", input=lines, expect=0)
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert [r[1:] for r in rows] == [
        ["new", "PF0NEW1"],
        ["new", "PF0NEW2"],
        ["found", "PF0OLD1"],
        ["found", "PF0OLD1"],
        ["found", "PF0NEW1"],
    ]
    assert rows[2][0] == rows[3][0] == known and rows[0][0] == rows[4][0]
    assert "RF-00000-00000:" in result.stderr
    assert "2 registered, 3 found, 1 not understood." in result.stderr
    devices = {d["serial"]: d for d in run_cli("list", "--batch", "DOOR", "--json").json}
    assert sorted(devices) == ["PF0NEW1", "PF0NEW2"]
    assert devices["PF0NEW1"]["donor"] == "KBC"


def test_scan_json_and_labels(run_cli, initialized, tmp_path):
    out = tmp_path / "labels" / "{asset}.png"
    out.parent.mkdir()
    result = run_cli(
        "intake",
        "scan",
        "--batch",
        "D2",
        "--label",
        "brother-62x29",
        "--label-out",
        str(out),
        "--json",
        input="PF0L1\nPF0L2\n",
        expect=0,
    )
    made = [__import__("json").loads(line) for line in result.stdout.splitlines()]
    assert [m["created"] for m in made] == [True, True]
    files = sorted(p.name for p in (tmp_path / "labels").iterdir())
    assert files == sorted(f"{m['asset_id']}.png" for m in made)
    shown = run_cli("show", made[0]["asset_id"], "--json", expect=0).json
    assert [e["kind"] for e in shown["events"]] == ["intake", "label"]
    bad = run_cli("intake", "scan", "--label", "brother-62x29", input="", expect=2)
    assert "--label-out" in bad.stderr


def test_scan_through_a_pipe(initialized):
    proc = subprocess.Popen(
        [sys.executable, "-m", "refurb", "intake", "scan", "--batch", "PIPE"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    seen = []
    for serial in ("PF0P1", "PF0P2", "PF0P1"):
        proc.stdin.write(serial + "\n")
        proc.stdin.flush()
        seen.append(proc.stdout.readline().split("\t"))  # answered before the next line
    proc.stdin.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=30) == 0
    assert [s[1] for s in seen] == ["new", "new", "found"]
    assert seen[0][0] == seen[2][0]
    assert "2 registered, 1 found, 0 not understood." in err


def _spawn(*args: str):
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "refurb", "intake", "scan", *args],
        env=_env(),
        encoding="utf-8",
        timeout=30,
    )
    child.expect("Ctrl-D ends")
    return pexpect, child


def test_scan_at_a_terminal_ends_with_ctrl_d(initialized):
    pexpect, child = _spawn("--batch", "TTY")
    child.sendline("PF0T1")
    child.expect(r"(RF-[0-9A-Z-]+)\s+new\s+PF0T1")
    child.sendline("PF0T1")
    child.expect(r"RF-[0-9A-Z-]+\s+found\s+PF0T1")
    child.sendeof()
    child.expect("1 registered, 1 found, 0 not understood.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_scan_at_a_terminal_ends_with_ctrl_c(initialized):
    pexpect, child = _spawn("--batch", "TTY")
    child.sendline("PF0T2")
    child.expect(r"RF-[0-9A-Z-]+\s+new\s+PF0T2")
    child.sendintr()
    child.expect("1 registered, 0 found, 0 not understood.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130 or child.signalstatus == signal.SIGINT
    assert child.exitstatus == 130
