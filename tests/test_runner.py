"""The command runner finds tools where Debian puts them, also for a user whose PATH has no sbin."""

from __future__ import annotations

import os
import stat

from refurb.runner import Runner


def _tool(folder, name: str, text: str):
    path = folder / name
    path.write_text(f"#!/bin/sh\necho {text}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def test_a_tool_only_in_sbin_is_found_and_run(tmp_path, monkeypatch):
    sbin, bin_ = tmp_path / "sbin", tmp_path / "bin"
    sbin.mkdir()
    bin_.mkdir()
    tool = _tool(sbin, "refurb-test-tool", "from-sbin")
    monkeypatch.setenv("PATH", str(bin_))  # a user's PATH: the sbin folder is not on it
    monkeypatch.setattr("refurb.runner.SBIN_PATH", str(sbin))
    runner = Runner()
    assert runner.which("refurb-test-tool") == str(tool)
    result = runner.run(["refurb-test-tool"])
    assert result.found and result.returncode == 0
    assert result.stdout.strip() == "from-sbin"
    assert result.argv == ("refurb-test-tool",)  # the record names the tool, not the folder


def test_path_wins_over_sbin(tmp_path, monkeypatch):
    sbin, bin_ = tmp_path / "sbin", tmp_path / "bin"
    sbin.mkdir()
    bin_.mkdir()
    _tool(sbin, "refurb-test-tool", "from-sbin")
    on_path = _tool(bin_, "refurb-test-tool", "from-path")
    monkeypatch.setenv("PATH", str(bin_))
    monkeypatch.setattr("refurb.runner.SBIN_PATH", str(sbin))
    assert Runner().which("refurb-test-tool") == str(on_path)
    assert Runner().run(["refurb-test-tool"]).stdout.strip() == "from-path"


def test_a_tool_nowhere_is_not_found(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("refurb.runner.SBIN_PATH", str(tmp_path))
    result = Runner().run(["refurb-no-such-tool"])
    assert not result.found and result.returncode == 127
    assert os.environ["PATH"] == str(tmp_path)
