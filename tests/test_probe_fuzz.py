"""Every parser on truncated, garbled and binary input: never an exception, only warnings.

The inputs start from the real captures under tests/fixtures, so the mutations hit the code paths
real files take (a dmidecode dump cut in the middle of a block, a smartctl JSON with a flipped
byte, an EDID with its checksum broken...).
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support_probe import fixture_texts

from refurb import probe
from refurb.parsers import (
    battery,
    cpuinfo,
    dmidecode,
    edid,
    lsblk,
    lspci,
    meminfo,
    os_release,
    smartctl,
    sysfs,
)

FIXTURES = fixture_texts()
PARSERS = {
    "dmidecode": dmidecode.parse,
    "smartctl": smartctl.parse,
    "edid": edid.parse,
    "battery": battery.parse,
    "lsblk": lsblk.parse,
    "cpuinfo": cpuinfo.parse,
    "meminfo": meminfo.parse,
    "lspci": lspci.parse,
    "os_release": os_release.parse,
}
# Parsers that take text only get bytes decoded the way the probe decodes files.
TEXT_ONLY = {"dmidecode"}
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _feed(name: str, data: bytes) -> dict:
    parse = PARSERS[name]
    value: bytes | str = data
    if name in TEXT_ONLY:
        value = data.decode("utf-8", errors="replace")
    result = parse(value)
    assert isinstance(result, dict)
    assert isinstance(result["warnings"], list)
    assert all(isinstance(w, str) for w in result["warnings"])
    json.dumps(result)
    return result


def _mutate(data: bytes, positions: list[int], values: list[int]) -> bytes:
    buf = bytearray(data)
    for pos, val in zip(positions, values, strict=False):
        if buf:
            buf[pos % len(buf)] = val
    return bytes(buf)


@pytest.mark.parametrize("parser", sorted(PARSERS))
@SETTINGS
@given(
    index=st.integers(min_value=0, max_value=len(FIXTURES) - 1),
    cut=st.floats(min_value=0, max_value=1),
)
def test_truncated_captures(parser, index, cut):
    _name, data = FIXTURES[index]
    _feed(parser, data[: int(len(data) * cut)])


@pytest.mark.parametrize("parser", sorted(PARSERS))
@SETTINGS
@given(
    index=st.integers(min_value=0, max_value=len(FIXTURES) - 1),
    positions=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=40),
    values=st.lists(st.integers(min_value=0, max_value=255), min_size=1, max_size=40),
)
def test_garbled_captures(parser, index, positions, values):
    _name, data = FIXTURES[index]
    _feed(parser, _mutate(data, positions, values))


@pytest.mark.parametrize("parser", sorted(PARSERS))
@SETTINGS
@given(data=st.binary(max_size=4096))
def test_binary_input(parser, data):
    _feed(parser, data)


@pytest.mark.parametrize("parser", sorted(PARSERS))
@SETTINGS
@given(text=st.text(max_size=2000))
def test_any_text(parser, text):
    _feed(parser, text.encode("utf-8", errors="replace"))


@pytest.mark.parametrize("parser", sorted(PARSERS))
def test_empty_input_warns(parser):
    result = _feed(parser, b"")
    assert result["warnings"], f"{parser} says nothing about an empty input"


@SETTINGS
@given(
    major=st.one_of(st.none(), st.binary(max_size=8)),
    caps=st.one_of(st.none(), st.binary(max_size=64)),
    efivar=st.one_of(st.none(), st.binary(max_size=16)),
    uevent=st.binary(max_size=200),
    address=st.binary(max_size=40),
)
def test_sysfs_helpers(major, caps, efivar, uevent, address):
    version = sysfs.tpm_version(major, caps)
    assert version is None or re.fullmatch(r"\d+\.\d+", version)
    assert sysfs.secure_boot(efivar) in (True, False, None)
    iface = sysfs.network_interface("x", uevent, b"1", address, True)
    assert iface is None or iface["kind"] in ("wifi", "wwan", "ethernet")


@SETTINGS
@given(
    files=st.dictionaries(
        st.sampled_from(
            [
                "dmidecode.txt",
                "cpuinfo.txt",
                "meminfo.txt",
                "lsblk.json",
                "lspci.txt",
                "os-release",
                "smartctl/sda.json",
                "power_supply/BAT0/uevent",
                "edid/card0-eDP-1.bin",
                "sys/class/net/eth0/uevent",
                "sys/class/tpm/tpm0/tpm_version_major",
                "capture.json",
            ]
        ),
        st.binary(max_size=512),
        min_size=1,
        max_size=6,
    )
)
def test_a_folder_of_garbage_never_crashes(tmp_path_factory, files):
    """A folder of corrupt files: a probe with warnings, or a clear InvalidInput; never a crash."""
    from refurb.errors import InvalidInput

    folder = tmp_path_factory.mktemp("garbage")
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    try:
        result = probe.probe_from_dir(folder)
    except InvalidInput as exc:
        assert str(folder) in exc.message
        return
    assert result["schema"] == "refurb.probe/1"
    json.dumps(result)
