"""Disks that lie, have bad sectors, remap them, or vanish: a FUSE file system of our own
misbehaves underneath a real loop device, and nothing may ever be recorded as erased that was not.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support_wipe import faulty_loop, loop_read

from refurb.exit import ExitStatus
from refurb.wipe.blockio import MiB

pytestmark = pytest.mark.root

SIZE = 32 * MiB
BAD_START = 10 * MiB + 3 * 512  # deliberately not aligned to anything refurb uses
BAD_END = BAD_START + 5 * 512


@pytest.fixture
def asset(run_cli, initialized) -> str:
    return run_cli("intake", "new", "--serial", "FAULTY-1", "--json", expect=0).json["asset_id"]


def wipe(run_cli, dev: str, asset: str, *extra: str):
    return run_cli("wipe", "run", dev, "--asset", asset, "--yes", "--json", *extra)


def test_a_disk_that_drops_writes_fails_verification(tmp_path: Path, run_cli, asset):
    with faulty_loop(tmp_path, SIZE, "drop") as (dev, disk):
        result = wipe(run_cli, dev, asset, "--method", "zero", "--verify", "full")
        assert result.exit_code == ExitStatus.ERASE_FAILED, result
        assert disk.written() == SIZE  # the disk did accept every write
        on_disk = loop_read(dev)
    record = result.json["results"][0]["record"]
    assert result.json["results"][0]["status"] == "failed"
    assert on_disk != bytes(SIZE)
    v = record["verification"]
    assert v["result"] == "failed"
    assert v["mismatched_bytes"] == SIZE
    assert v["mismatches"][0]["offset"] == 0
    assert "did not read back" in record["reason"]
    assert "not erased" in result.stderr
    shown = run_cli("show", asset, "--json", expect=0).json
    assert shown["device"]["status"] == "quarantine"


def test_a_lying_disk_is_caught_by_a_sample_too(tmp_path: Path, run_cli, asset):
    with faulty_loop(tmp_path, SIZE, "drop") as (dev, _disk):
        result = wipe(run_cli, dev, asset, "--method", "prng", "--verify", "sample")
    assert result.exit_code == ExitStatus.ERASE_FAILED, result
    assert result.json["results"][0]["status"] == "failed"
    assert result.json["results"][0]["record"]["verification"]["mismatched_bytes"] > 0


def test_bad_sectors_are_recorded_with_their_offsets_and_never_erased(
    tmp_path: Path, run_cli, asset
):
    with faulty_loop(tmp_path, SIZE, "eio", start=BAD_START, end=BAD_END) as (dev, _disk):
        result = wipe(run_cli, dev, asset, "--method", "prng", "--verify", "sample")
    assert result.exit_code == ExitStatus.ERASE_FAILED, result
    out = result.json["results"][0]
    assert out["status"] == "failed"
    record = out["record"]
    writes = [e for e in record["errors"] if e["op"] == "write"]
    # The bad range is found to the sector: 512-byte sectors touching [BAD_START, BAD_END).
    assert writes == [
        {
            "op": "write",
            "offset": BAD_START,
            "length": BAD_END - BAD_START,
            "errno": "EIO",
            "message": writes[0]["message"],
            "recovered": False,
        }
    ]
    assert str(BAD_START) in record["reason"]
    assert f"write error EIO at offset {BAD_START}, 2560 bytes: not written" in record["exceptions"]
    assert record["bytes_written"] == SIZE - (BAD_END - BAD_START)


def test_remapped_sectors_give_erased_with_exceptions(tmp_path: Path, run_cli, asset):
    with faulty_loop(tmp_path, SIZE, "remap", start=BAD_START, end=BAD_END) as (dev, _disk):
        result = wipe(run_cli, dev, asset, "--method", "zero", "--verify", "sample")
        content = loop_read(dev)
    assert result.exit_code == 0, result
    out = result.json["results"][0]
    assert out["status"] == "erased_with_exceptions"
    record = out["record"]
    (err,) = record["errors"]
    assert err["recovered"] is True
    assert err["offset"] <= BAD_START and err["offset"] + err["length"] >= BAD_END
    assert any("rewritten and read back correctly" in x for x in record["exceptions"])
    # The rewritten range was read back whatever the verification mode.
    assert record["verification"]["rewritten_ranges"]["result"] == "passed"
    assert content == bytes(SIZE)
    shown = run_cli("show", asset, "--json", expect=0).json
    assert shown["device"]["status"] == "quarantine"


def test_a_disk_that_vanishes_mid_wipe_fails_with_the_reason(tmp_path: Path, run_cli, asset):
    with faulty_loop(tmp_path, SIZE, "die", die_after=12 * MiB) as (dev, _disk):
        result = wipe(run_cli, dev, asset, "--method", "zero", "--verify", "full")
    assert result.exit_code == ExitStatus.ERASE_FAILED, result
    out = result.json["results"][0]
    assert out["status"] == "failed"
    reason = out["record"]["reason"]
    assert "stopped answering" in reason or "vanished" in reason
    assert out["record"]["bytes_written"] < SIZE
