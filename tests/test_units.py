"""Sizes, durations and speeds as people read them, and the same disk written the same way in
`probe`, `show`, `wipe list`, on the label and on the certificate."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from refurb import units
from refurb.env import Env
from refurb.store import open_store

LSBLK = Path(__file__).parent / "fixtures" / "lsblk"


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (256_060_514_304, "256 GB"),  # a "256 GB" NVMe SSD
        (1_000_204_886_016, "1 TB"),
        (500_107_862_016, "500 GB"),
        (250_059_350_016, "250 GB"),  # not 256: sold as 250
        (240_057_409_536, "240 GB"),
        (128_035_676_160, "128 GB"),
        (62_537_072_640, "64 GB"),  # a "64 GB" eMMC's user area
        (31_268_536_320, "32 GB"),
        (2_000_398_934_016, "2 TB"),
        (1_500_301_910_016, "1.5 TB"),
        (3_500_000_000, "3.5 GB"),
        (67_108_864, "67 MB"),
        (None, "?"),
        (0, "?"),
        (float("nan"), "?"),
    ],
)
def test_disk_sizes_as_sold(size, text: str) -> None:
    assert units.disk_size(size) == text


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (8 * 2**30, "8 GB"),
        (16 * 2**30, "16 GB"),
        (int(7.6 * 2**30), "7.6 GB"),  # usable memory of an 8 GB laptop
        (512 * 2**20, "512 MB"),
        (None, "?"),
    ],
)
def test_memory_in_binary_units_written_gb(size, text: str) -> None:
    assert units.memory_size(size) == text


def test_durations_throughput_and_byte_counts() -> None:
    assert units.duration(3900) == "1 h 05 min"
    assert units.duration(250) == "4 min 10 s"
    assert units.duration(12.4) == "12 s"
    assert units.duration(0.4) == "0.4 s"
    assert units.duration(-1) == "?"
    assert units.throughput(512e6) == "512 MB/s"
    assert units.throughput(1.25e9) == "1.2 GB/s"
    assert units.throughput(0, unknown="—") == "—"
    assert units.byte_count(4 * 2**30 - 2**28) == "3.8 GiB"
    assert units.byte_count(0) == "0 B"


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.root
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_one_disk_reads_the_same_everywhere(run_cli, initialized: Path, tmp_path: Path) -> None:
    """The 1 TB HDD of the NVMe + SATA laptop, through every command that shows a disk."""
    hdd_size = 1_000_204_886_016
    folder = tmp_path / "capture"
    folder.mkdir()
    shutil.copy(LSBLK / "nvme-sata.json", folder / "lsblk.json")

    probe_text = run_cli("probe", "--from", str(folder), expect=0).stdout
    saved = run_cli("probe", "--from", str(folder), "--save", "--create", "--json", expect=0)
    asset = saved.json["saved"]["asset_id"]
    show_text = run_cli("show", asset, expect=0).stdout
    label = tmp_path / "label.pdf"
    run_cli("label", asset, "--out", str(label), expect=0)
    label_text = _pdf_text(label)

    disk = {"name": "sda", "model": "ST1000LM035-1RK172", "serial": "WL1X2Y3Z"}
    record = {
        "method": "zero",
        "end": "2026-11-23T10:00:00+00:00",
        "bytes_written": hdd_size,
        "verification": {"mode": "full", "fraction": 1.0, "passed": True},
    }
    with open_store(Env()) as store:
        payload = {"disk": {**disk, "size_bytes": hdd_size}, "status": "erased", "record": record}
        store.append(asset, "wipe", {"wipe_id": "w-hdd", **payload})
    pdf = tmp_path / "cert.pdf"
    run_cli("wipe", "certificate", asset, "--pdf", str(pdf), "--json", str(tmp_path / "c.json"),
            expect=0)  # fmt: skip
    cert_text = _pdf_text(pdf)

    image = tmp_path / "hdd.img"
    with image.open("wb") as fh:
        fh.truncate(hdd_size)  # sparse: lsblk reads the size, nothing is written
    from support_wipe import loop_device

    with loop_device(image) as dev:
        listed = run_cli("wipe", "list", expect=0).stdout
    wipe_row = next(line for line in listed.splitlines() if dev in line)

    want = units.disk_size(hdd_size)
    assert want == "1 TB"
    sizes = {
        "probe": re.findall(r"\d[\d.]* [GT]B HDD", probe_text),
        "show": re.findall(r"\d[\d.]* [GT]B HDD", show_text),
        "label": re.findall(r"\d[\d.]* [GT]B HDD", label_text),
        "certificate": re.findall(r"WL1X2Y3Z\s+/?\s*(\d[\d.]* [GT]B)", cert_text),
        "wipe list": re.findall(r"\d[\d.]* [GT]B", wipe_row),
    }
    assert sizes["probe"] == sizes["show"] == sizes["label"] == ["1 TB HDD"], sizes
    assert sizes["certificate"] and set(sizes["certificate"]) == {want}, sizes
    assert sizes["wipe list"] == [want], sizes
    show_disks = [line for line in show_text.splitlines() if "WL1X2Y3Z" in line]
    assert show_disks and re.findall(r"\d[\d.]* [GT]i?B", show_disks[0]) == [want]
