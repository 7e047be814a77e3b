"""Acceptance checks of `refurb wipe` as a workshop uses it, each one a defect found by trying
the CLI on real stand-ins (loop devices of awkward sizes and sector sizes, FUSE faults)."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support_wipe import random_file

from refurb.wipe.blockio import MiB


@pytest.fixture
def asset(run_cli, initialized) -> str:
    return run_cli("intake", "new", "--serial", "QA-1", "--json", expect=0).json["asset_id"]


@contextlib.contextmanager
def loop_4k(backing: Path) -> Iterator[str]:
    """A loop device with 4096-byte logical sectors (``losetup -b 4096``), direct I/O."""
    dev = subprocess.run(
        ["losetup", "-f", "--show", "--direct-io=on", "-b", "4096", str(backing)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    try:
        yield dev
    finally:
        for _ in range(50):
            if subprocess.run(["losetup", "-d", dev], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)


@pytest.mark.root
@pytest.mark.parametrize("verify", ["full", "sample"])
def test_a_size_that_is_not_whole_sectors_is_erased_up_to_the_last_sector_and_says_so(
    tmp_path, run_cli, asset, verify
):
    # 10 MiB + 512 bytes behind 4096-byte sectors: the kernel reports all 10 MiB + 512, but no
    # read or write can reach the last 512 bytes. Everything else must be erased and verified,
    # and the record must say what was left rather than fail with a bare EINVAL.
    image = random_file(tmp_path / "odd4k.img", 10 * MiB + 512)
    with loop_4k(image) as dev:
        result = run_cli(
            "wipe", "run", dev, "--asset", asset, "--yes", "--method", "zero",
            "--verify", verify, "--json",
        )  # fmt: skip
    assert result.exit_code == 0, result
    item = result.json["results"][0]
    record = item["record"]
    assert item["status"] == "erased_with_exceptions"
    assert "512 bytes" in item["reason"] and "4096-byte sector" in item["reason"]
    assert record["errors"] == []
    assert record["bytes_written"] == 10 * MiB
    assert record["verification"]["result"] == "passed"
    assert record["verification"]["read_errors"] == []
    data = image.read_bytes()
    assert data[: 10 * MiB] == bytes(10 * MiB)


@pytest.mark.root
def test_whole_sectors_of_4096_bytes_are_plainly_erased(tmp_path, run_cli, asset):
    image = random_file(tmp_path / "even4k.img", 12 * MiB + 4096)
    with loop_4k(image) as dev:
        result = run_cli(
            "wipe", "run", dev, "--asset", asset, "--yes", "--method", "prng", "--json",
        )  # fmt: skip
    assert result.exit_code == 0, result
    assert result.json["results"][0]["status"] == "erased"
    assert result.json["results"][0]["record"]["bytes_written"] == 12 * MiB + 4096


def test_run_help_shows_no_markup_tags(run_cli):
    out = run_cli("wipe", "run", "--help", expect=0).stdout
    assert "[bold]" not in out and "[/bold]" not in out
    assert "auto" in out and "firmware" in out
