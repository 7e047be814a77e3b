"""`refurb wipe validate`: a second operator re-reads a fresh sample of each erased disk that is
still attached (real loop devices) and records a wipe_validation event."""

from __future__ import annotations

import os

import pytest
from support_wipe import loop_device, random_file

from refurb.exit import ExitStatus
from refurb.wipe.blockio import MiB


@pytest.fixture
def asset(run_cli, initialized) -> str:
    return run_cli("intake", "new", "--serial", "VAL-1", "--json", expect=0).json["asset_id"]


def kinds(run_cli, asset: str) -> list[str]:
    return [e["kind"] for e in run_cli("show", asset, "--json", expect=0).json["events"]]


@pytest.mark.root
@pytest.mark.parametrize("method", ["zero", "prng"])
def test_a_second_operator_validates_an_erased_loop_device(tmp_path, run_cli, asset, method):
    image = random_file(tmp_path / "val.img", 16 * MiB)
    with loop_device(image) as dev:
        run_cli("wipe", "run", dev, "--asset", asset, "--yes", "--method", method, expect=0)
        same = run_cli("wipe", "validate", asset, "--operator", "Tester")
        assert same.exit_code == ExitStatus.ERROR and "second person" in same.stderr
        out = run_cli("wipe", "validate", asset, "--operator", "bob", "--json", expect=0).json
        (v,) = out["validations"]
        assert v["outcome"] == "passed" and v["operator"] == "bob" and v["erased_by"] == "tester"
        assert v["device"] == dev and v["fraction"] >= 0.01
        assert v["bytes_read"] >= 2 * MiB  # at least the first and the last MiB
        # Someone writes to the disk after the erasure: the next validation fails it.
        fd = os.open(dev, os.O_WRONLY)
        try:
            os.pwrite(fd, b"\xab" * 4096, 0)
            os.fsync(fd)
        finally:
            os.close(fd)
        bad = run_cli("wipe", "validate", asset, "--operator", "carol")
        assert bad.exit_code == ExitStatus.ERASE_FAILED, bad
        assert "did not read back" in bad.stderr
    assert kinds(run_cli, asset)[-2:] == ["wipe_validation", "wipe_validation"]
    gone = run_cli("wipe", "validate", asset, "--operator", "dave", "--json", expect=0).json
    assert gone["validations"][0]["outcome"] == "not_attached"


def test_a_device_without_an_erasure_has_nothing_to_validate(run_cli, asset):
    result = run_cli("wipe", "validate", asset, "--operator", "bob")
    assert result.exit_code == ExitStatus.ERROR and "no erased disk" in result.stderr
