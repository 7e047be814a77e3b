"""Overwrite and verification on real loop devices, checked byte by byte afterwards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st
from support_wipe import loop_device, loop_read, random_file

from refurb.wipe.blockio import MiB
from refurb.wipe.patterns import AesCtrPattern, ZeroPattern
from refurb.wipe.verify import MAX_SAMPLES, Blocks, sample_spans

SIZE = 24 * MiB + 512 * 3  # not a multiple of the 4 MiB block: the tail is written too


@pytest.fixture
def asset(run_cli, initialized) -> str:
    return run_cli("intake", "new", "--serial", "WIPE-TEST-1", "--json", expect=0).json["asset_id"]


def expected_content(record: dict, size: int) -> bytes:
    pattern = record["sanitization"]["pattern"]
    if pattern["pattern"] == "zero":
        return bytes(size)
    key, nonce = bytes.fromhex(pattern["key"]), bytes.fromhex(pattern["nonce"])
    # An independent reference: one AES-CTR encryptor over the whole disk.
    return Cipher(algorithms.AES(key), modes.CTR(nonce)).encryptor().update(bytes(size))


def test_keystream_blocks_regenerate_anywhere_and_match_one_long_stream():
    pattern = AesCtrPattern.random(256)
    whole = bytearray(3 * MiB)
    pattern.fill(whole, 0)
    reference = (
        Cipher(algorithms.AES(pattern.key), modes.CTR(pattern.nonce))
        .encryptor()
        .update(bytes(3 * MiB))
    )
    assert bytes(whole) == reference
    piece = bytearray(64 * 1024)
    pattern.fill(piece, MiB + 4096)
    assert bytes(piece) == reference[MiB + 4096 : MiB + 4096 + 64 * 1024]
    again = AesCtrPattern.from_record(pattern.describe())
    other = bytearray(4096)
    again.fill(other, 2 * MiB)
    assert bytes(other) == reference[2 * MiB : 2 * MiB + 4096]
    zero = bytearray(b"x" * 100)
    ZeroPattern().fill(zero, 0)
    assert zero == bytes(100)


def test_counter_wraps_like_aes_ctr_does():
    pattern = AesCtrPattern(bytes(16), b"\xff" * 16)
    out = bytearray(64)
    pattern.fill(out, 0)
    reference = Cipher(algorithms.AES(bytes(16)), modes.CTR(b"\xff" * 16)).encryptor()
    assert bytes(out) == reference.update(bytes(64))


@settings(max_examples=60, deadline=None)
@given(
    sectors=st.integers(min_value=8, max_value=2**34),
    fraction=st.sampled_from([0.01, 0.02, 0.05]),
    seed=st.integers(min_value=0, max_value=2**63),
)
def test_sample_covers_the_fraction_the_edges_and_stays_aligned(sectors, fraction, seed):
    size = sectors * 512
    sample = sample_spans(size, fraction=fraction, block=MiB, align=4096, seed=seed)
    blocks = list(sample)
    assert blocks == list(sample), "the same seed gives the same sample every time"
    covered = sum(n for _o, n in blocks)
    assert covered == sample.total
    assert covered >= min(size, fraction * size)
    assert blocks[0][0] == 0
    last_start, last_len = blocks[-1]
    assert last_start + last_len == size
    assert sum(n for o, n in blocks if o < MiB) >= min(MiB, size)
    ends = 0
    for offset, length in blocks:
        assert offset >= ends, "blocks overlap or are out of order"
        assert 0 < length <= 4 * MiB
        assert offset % 512 == 0 and length % 512 == 0
        ends = offset + length
    assert ends <= size


def test_block_lists_do_not_grow_with_the_disk():
    """A 20 TB disk: the full and the sampled block lists are generated, never held."""
    import tracemalloc

    size = 20 * 10**12 // 4096 * 4096
    tracemalloc.start()
    try:
        whole = Blocks.whole(size)
        sample = sample_spans(size, fraction=0.01, seed=1)
        count = sum(1 for _ in sample)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert whole.total == size
    assert sample.total >= 0.01 * size
    assert count <= 3 * MAX_SAMPLES
    assert peak < 2_000_000


def test_sample_is_spread_over_the_whole_disk():
    size = 100 * 1024 * MiB
    blocks = list(sample_spans(size, fraction=0.01, block=MiB, seed=7))
    # every tenth of the disk gets its share
    for tenth in range(10):
        lo, hi = tenth * size // 10, (tenth + 1) * size // 10
        inside = sum(n for o, n in blocks if lo <= o < hi)
        assert inside >= 0.009 * (hi - lo)


@pytest.mark.root
@pytest.mark.parametrize(
    ("method", "verify"), [("zero", "full"), ("prng", "full"), ("prng", "sample"), ("zero", "off")]
)
def test_a_loop_device_full_of_data_is_erased_byte_by_byte(
    tmp_path: Path, run_cli, asset, method, verify
):
    image = random_file(tmp_path / "disk.img", SIZE)
    before = image.read_bytes()
    with loop_device(image) as dev:
        result = run_cli(
            "wipe", "run", dev, "--asset", asset, "--method", method, "--verify", verify,
            "--yes", "--json",
        )  # fmt: skip
        assert result.exit_code == 0, result
        (disk,) = result.json["results"]
        record = disk["record"]
        through_device = loop_read(dev)
    after = image.read_bytes()
    expected = expected_content(record, SIZE)
    assert before != expected
    assert after == expected
    assert through_device == expected
    assert record["bytes_written"] == SIZE
    assert record["media"]["size_bytes"] == SIZE
    assert record["media"]["backing_file"] == str(image)
    assert record["sanitization"]["o_direct"] is True
    assert record["errors"] == []
    if verify == "off":
        assert disk["status"] == "erased_with_exceptions"
        assert record["verification"]["result"] == "not done"
    else:
        assert disk["status"] == "erased"
        assert record["verification"]["result"] == "passed"
        fraction = record["verification"]["fraction"]
        assert fraction == 1.0 if verify == "full" else 0.01 <= fraction < 1.0
    shown = run_cli("show", asset, "--json", expect=0).json
    assert [e["kind"] for e in shown["events"]][-2:] == ["wipe_started", "wipe"]
    # Anything but a verified erasure sends the device to quarantine.
    assert shown["device"]["status"] == ("quarantine" if verify == "off" else "in_progress")


@pytest.mark.root
def test_the_record_holds_what_nist_asks_for(tmp_path: Path, run_cli, asset):
    image = random_file(tmp_path / "disk.img", 8 * MiB)
    with loop_device(image) as dev:
        out = run_cli(
            "wipe", "run", dev, "--asset", asset, "--method", "prng", "--yes", "--json", expect=0
        )
    record = out.json["results"][0]["record"]
    assert record["schema"] == "refurb.wipe-record/1"
    assert record["guideline"] == "NIST SP 800-88 Rev. 2"
    media = record["media"]
    for key in ("manufacturer", "model", "serial", "type", "size_bytes", "source"):
        assert key in media
    assert media["source"] == asset
    assert record["nist_method"] == "Clear" and record["technique"] == "overwrite"
    assert record["passes"] == 1 and record["method"] == "prng"
    assert record["sanitization"]["tool"]["name"] == "refurb"
    assert record["sanitization"]["tool"]["version"]
    assert record["verification"]["mode"] == "full"
    assert record["operator"]["name"] == "tester"
    assert record["operator"]["site"] == "Test Workshop"
    assert record["start"] <= record["end"]
    assert record["write_throughput_bps"] > 0
    lsblk = [c for c in record["commands"] if c["argv"][:1] == ["lsblk"]]
    assert lsblk and lsblk[0]["returncode"] == 0
    json.dumps(record)  # JSON-able as it is stored
