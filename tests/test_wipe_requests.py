"""Every write is one request the disk takes whole, and no error reported anywhere below refurb
(a write, a short write, the flush, the close) ends as ``erased``.

Some kernels lose the error of one part of a write they split (a 4 MiB write to a loop device
whose queue takes 1280 KiB was reported written 17 times out of 20 over a bad range): refurb
sizes its writes to the disk's queue so that the kernel never splits them.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support_wipe import (
    faulty_loop,
    loop_device,
    loop_read,
    max_sectors_kb,
    mbr,
    random_file,
    write_requests,
)

from refurb.exit import ExitStatus
from refurb.wipe.blockio import KiB, MiB, queue_dir, read_limits, request_size
from refurb.wipe.verdict import outcome_contradiction

# Queue limits as this project's development VM's sysfs shows them (kernel 6.18).
LOOP = {"max_sectors_kb": 1280, "max_segments": 128, "max_segment_size": 65536, "chunk_sectors": 0}
VIRTIO = {"max_sectors_kb": 4096, "max_segments": 254, "max_segment_size": 4294967295}
ZRAM = {"max_sectors_kb": 124, "max_segments": 128, "max_segment_size": 65536}


def test_request_size_follows_every_limit_that_makes_the_kernel_split():
    # 128 segments of (at worst) one 4 KiB page each: 512 KiB, below max_sectors_kb.
    assert request_size(LOOP, 512, 4096) == 512 * KiB
    assert request_size({**LOOP, "max_sectors_kb": 128}, 512, 4096) == 128 * KiB
    # A bio holds 256 pages: one request per write.
    assert request_size(VIRTIO, 512, 4096) == 254 * 4 * KiB
    assert request_size({"max_sectors_kb": 32767, "max_segments": 4096}, 512, 4096) == MiB
    assert request_size(ZRAM, 4096, 4096) == 124 * KiB
    # A RAID-like chunk boundary is never crossed: the size divides the chunk.
    assert request_size({**VIRTIO, "chunk_sectors": 3 * 256}, 512, 4096) == 384 * KiB
    # Nothing known: a size any queue seen in practice takes.
    assert request_size({}, 512, 4096) == 128 * KiB
    # Odd limits are rounded down to whole sectors and pages.
    assert request_size({"max_sectors_kb": 130}, 4096, 4096) == 128 * KiB


@given(
    max_kb=st.integers(min_value=4, max_value=65536),
    segments=st.integers(min_value=0, max_value=4096),
    segment_size=st.sampled_from([0, 4096, 65536, 2**32 - 1]),
    chunk=st.sampled_from([0, 8, 256, 768, 2048]),
    sector=st.sampled_from([512, 4096]),
)
def test_a_request_is_never_larger_than_any_limit(max_kb, segments, segment_size, chunk, sector):
    limits = {"max_sectors_kb": max_kb, "max_segments": segments}
    limits |= {"max_segment_size": segment_size, "chunk_sectors": chunk}
    size = request_size(limits, sector, 4096)
    assert size % sector == 0 and size % 4096 == 0 and size > 0
    if max_kb >= 4:
        assert size <= max(max_kb * KiB, 4096)
    if segments:
        assert size <= max(segments * 4096, 4096)
    if chunk * 512 >= 4096:
        assert (chunk * 512) % size == 0
    assert size <= MiB


@pytest.mark.root
def test_a_partition_reads_its_whole_disks_queue(tmp_path: Path):
    image = mbr(tmp_path / "disk.img", 8 * MiB, [(0x83, 2048, 8192)])
    with loop_device(image, partscan=True) as dev:
        part = dev + "p1"
        for _ in range(50):
            if os.path.exists(part):
                break
            time.sleep(0.1)
        disk_queue = queue_dir(os.stat(dev).st_rdev)
        assert disk_queue is not None and disk_queue.endswith(f"{Path(dev).name}/queue")
        assert queue_dir(os.stat(part).st_rdev) == disk_queue
        with max_sectors_kb(dev, 192):
            assert read_limits(os.stat(part).st_rdev)["max_sectors_kb"] == 192


@pytest.fixture
def asset(run_cli, initialized) -> str:
    return run_cli("intake", "new", "--serial", "REQUESTS-1", "--json", expect=0).json["asset_id"]


def wipe(run_cli, dev: str, asset: str, *extra: str):
    return run_cli("wipe", "run", dev, "--asset", asset, "--yes", "--json", *extra)


@pytest.mark.root
@pytest.mark.parametrize("method", ["zero", "prng"])
def test_the_kernel_never_splits_a_write(tmp_path: Path, run_cli, asset, method):
    """A queue of 192 KiB: a 4 MiB write would reach the disk as 22 requests."""
    size = 24 * MiB + 3 * 512
    with loop_device(random_file(tmp_path / "disk.img", size)) as dev:
        with max_sectors_kb(dev, 192):
            before = write_requests(dev)
            result = wipe(run_cli, dev, asset, "--method", method, "--verify", "full")
            requests = write_requests(dev) - before
        content = loop_read(dev)
    assert result.exit_code == 0, result
    record = result.json["results"][0]["record"]
    assert result.json["results"][0]["status"] == "erased"
    assert record["sanitization"]["request_bytes"] == 192 * KiB
    assert record["sanitization"]["queue_limits"]["max_sectors_kb"] == 192
    assert record["sanitization"]["requests_in_flight"] >= 2
    # One request per write (fewer if the kernel merged neighbours), never more; the cache
    # flush at the end is sent as one empty write.
    assert requests <= math.ceil(size / (192 * KiB)) + 1
    if method == "zero":
        assert content == bytes(size)


SIZE = 32 * MiB
BAD_START = 10 * MiB + 3 * 512
BAD_END = BAD_START + 5 * 512


@pytest.mark.root
def test_bad_sectors_are_found_whatever_the_queue_size(tmp_path: Path, run_cli, asset):
    """The same bad range behind a queue that takes 1 MiB: still found to the sector."""
    bad = faulty_loop(tmp_path, SIZE, "eio", start=BAD_START, end=BAD_END)
    with bad as (dev, _disk), max_sectors_kb(dev, 1024):
        result = wipe(run_cli, dev, asset, "--method", "zero", "--verify", "sample")
    assert result.exit_code == ExitStatus.ERASE_FAILED, result
    record = result.json["results"][0]["record"]
    writes = [(e["offset"], e["length"]) for e in record["errors"] if e["op"] == "write"]
    assert writes == [(BAD_START, BAD_END - BAD_START)]


@pytest.mark.root
def test_an_error_in_the_last_partial_request_is_never_erased(tmp_path: Path, run_cli, asset):
    size = SIZE + 3 * 512  # the last write is 1536 bytes, after whole 512 KiB requests
    with faulty_loop(tmp_path, size, "eio", start=size - 1024, end=size) as (dev, _disk):
        result = wipe(run_cli, dev, asset, "--method", "prng", "--verify", "sample")
    assert result.exit_code == ExitStatus.ERASE_FAILED, result
    out = result.json["results"][0]
    assert out["status"] == "failed"
    writes = [(e["offset"], e["length"]) for e in out["record"]["errors"] if e["op"] == "write"]
    assert writes == [(size - 1024, 1024)]
    assert out["record"]["bytes_written"] == size - 1024


@pytest.mark.root
def test_a_short_write_is_an_error_at_its_offset(tmp_path: Path, run_cli, asset):
    """The backing store takes only the part of a write before the bad range.

    Whether the short write reaches refurb depends on the kernel: some loop drivers pass it up
    as an error, others (in direct I/O) complete a short write as a success, so the write is
    lost below refurb. Either way the disk fails and the bad range is named at its offset: by
    the write's error, or by the full read-back, which is what ``--verify full`` is for.
    """
    with faulty_loop(tmp_path, SIZE, "short", start=BAD_START, end=BAD_END) as (dev, _disk):
        result = wipe(run_cli, dev, asset, "--method", "zero", "--verify", "full")
    assert result.exit_code == ExitStatus.ERASE_FAILED, result
    out = result.json["results"][0]
    assert out["status"] == "failed"
    record = out["record"]
    bad = [e for e in record["errors"] if not e["recovered"]]
    bad += record["verification"]["mismatches"] + record["verification"]["read_errors"]
    assert bad, record
    assert bad[0]["offset"] <= BAD_START < bad[0]["offset"] + bad[0]["length"]


@pytest.mark.root
def test_a_refused_flush_fails_the_disk(tmp_path: Path, run_cli, asset):
    """Every write accepted, every byte reads back, but the cache flush fails: not erased."""
    with faulty_loop(tmp_path, 8 * MiB, "normal", fsync_eio=True) as (dev, _disk):
        result = wipe(run_cli, dev, asset, "--method", "zero", "--verify", "full")
        content = loop_read(dev)
    assert content == bytes(8 * MiB)
    assert result.exit_code == ExitStatus.ERASE_FAILED, result
    out = result.json["results"][0]
    assert out["status"] == "failed"
    assert "flush" in out["record"]["reason"]
    assert [e["op"] for e in out["record"]["errors"]] == ["flush"]


@pytest.mark.root
def test_an_error_at_close_fails_the_disk(tmp_path: Path, run_cli, asset, monkeypatch):
    """The kernel reports no error when a block device is closed, so no stand-in can make one:
    the close itself is made to fail, everything before it is real."""
    from refurb.wipe import blockio

    def failing_close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.fd)
            raise OSError(5, "Input/output error")

    monkeypatch.setattr(blockio.Device, "close_checked", failing_close)
    with loop_device(random_file(tmp_path / "disk.img", 8 * MiB)) as dev:
        result = wipe(run_cli, dev, asset, "--method", "zero", "--verify", "full")
    assert result.exit_code == ExitStatus.ERASE_FAILED, result
    out = result.json["results"][0]
    assert out["status"] == "failed"
    assert "closed" in out["record"]["reason"]
    assert [e["op"] for e in out["record"]["errors"]] == ["close"]


@pytest.mark.root
def test_writes_lost_on_a_small_range_are_caught_by_a_full_read_back(
    tmp_path: Path, run_cli, asset
):
    """The disk says every write succeeded but stores nothing on 2.5 KiB: only reading every
    byte back can see it, and the record says which verification can."""
    with faulty_loop(tmp_path, SIZE, "drop", start=BAD_START, end=BAD_END) as (dev, _disk):
        result = wipe(run_cli, dev, asset, "--method", "prng", "--verify", "full")
    assert result.exit_code == ExitStatus.ERASE_FAILED, result
    record = result.json["results"][0]["record"]
    assert record["errors"] == []  # nothing below refurb reported anything
    (mismatch,) = record["verification"]["mismatches"]
    assert mismatch["offset"] <= BAD_START and mismatch["offset"] + mismatch["length"] >= BAD_END
    scope = record["verification"]["scope"]
    assert scope["code"] == "full" and scope["catches_silent_write_loss"] is True


def _eraser(**kw):
    base = {
        "errors": [],
        "verification": SimpleNamespace(passed=True),
        "extra_checks": None,
        "plan": SimpleNamespace(method="zero"),
        "device_size": 4096,
        "unaddressable": 0,
        "bytes_written": 4096,
        "options": SimpleNamespace(verify="full"),
    }
    return SimpleNamespace(**(base | kw))


def test_no_recorded_error_or_missing_byte_lets_erased_stand():
    error = SimpleNamespace(op="flush", errno="EIO", offset=0, recovered=False)
    assert outcome_contradiction(_eraser(), "erased") is None
    assert "flush" in outcome_contradiction(_eraser(errors=[error]), "erased")
    assert outcome_contradiction(_eraser(errors=[error]), "erased_with_exceptions")
    assert outcome_contradiction(_eraser(bytes_written=3584), "erased")
    assert outcome_contradiction(_eraser(verification=SimpleNamespace(passed=False)), "erased")
    assert outcome_contradiction(_eraser(verification=None), "erased")
    assert outcome_contradiction(_eraser(options=SimpleNamespace(verify="off")), "erased")
    assert outcome_contradiction(_eraser(device_size=None), "erased")
    assert outcome_contradiction(_eraser(errors=[error]), "failed") is None
    recovered = SimpleNamespace(op="write", errno="EIO", offset=0, recovered=True)
    assert outcome_contradiction(_eraser(errors=[recovered]), "erased")
    assert outcome_contradiction(_eraser(errors=[recovered]), "erased_with_exceptions") is None
