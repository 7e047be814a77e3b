"""Helpers for the grading and OS-record tests: real probes from captured dumps, seeded devices."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "grade"
DMI = FIXTURES / "dmi"
SMART = FIXTURES / "smartctl"
EDID = FIXTURES / "edid"
OS_FIXTURES = Path(__file__).parent / "fixtures" / "os"


def dmi_processor(name: str) -> str:
    """The processor name (DMI type 4 "Version") of a dump, to test CPU families on its own."""
    text = (DMI / name).read_text(errors="replace")
    block = text.split("Processor Information", 1)[1]
    match = re.search(r"^\s*Version:\s*(.+?)\s*$", block, re.MULTILINE)
    assert match, name
    return match.group(1)


def fixture_probe(
    dmi: str,
    smart: list[str] = (),  # type: ignore[assignment]
    *,
    edid: str | None = None,
    batteries: list[dict[str, Any]] | None = None,
    internal: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """A real ``refurb.probe/1`` dict: a captured folder of real dumps, read by the probe.

    The dumps hold no battery, TPM or Secure Boot data; a row that grades those states them.
    ``internal`` treats disks read through a USB bridge as the laptop's own (see the README).
    """
    from refurb.probe import probe_from_dir

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copy(DMI / dmi, folder / "dmidecode.txt")
        if smart:
            (folder / "smartctl").mkdir()
            for index, name in enumerate(smart):
                shutil.copy(SMART / name, folder / "smartctl" / f"sd{chr(97 + index)}.json")
        if edid:
            (folder / "edid").mkdir()
            shutil.copy(EDID / edid, folder / "edid" / "eDP-1.txt")
        probe = probe_from_dir(folder)
    probe = json.loads(json.dumps(probe, default=str))
    if internal:
        for disk in probe["disks"]:
            disk.update(protocol="ATA", removable=False, transport=None)
    if batteries is not None:
        probe["batteries"] = batteries
    probe.update(extra)
    return probe


def battery(health_pct: float | None) -> dict[str, Any]:
    return {
        "name": "BAT0",
        "manufacturer": None,
        "model": None,
        "design_wh": None,
        "full_wh": None,
        "health_pct": health_pct,
        "cycle_count": None,
    }


def seed_device(probe: dict[str, Any] | None, serial: str | None = None) -> str:
    """A device in the test store (REFURB_HOME), with a probe event when ``probe`` is given."""
    from refurb.env import Env
    from refurb.store import open_store

    with open_store(Env()) as store:
        device = store.intake({"serial": serial})
        if probe is not None:
            store.append(device.asset_id, "probe", {"probe": probe})
        return device.asset_id


def events(asset: str, kind: str | None = None) -> list[dict[str, Any]]:
    from refurb.env import Env
    from refurb.store import open_store

    with open_store(Env()) as store:
        found = store.events(asset)
        return [
            {"kind": e.kind, "payload": json.loads(e.payload), "actor": e.actor}
            for e in found
            if kind is None or e.kind == kind
        ]


def write_site_profiles(home: Path, text: str, name: str = "profiles.toml") -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / name
    path.write_text(text, encoding="utf-8")
    return path


ISO = "linuxmint-22.1-cinnamon-64bit.iso"


def make_iso(folder: Path, size: int = 3 * 1024 * 1024 + 12345, name: str = ISO) -> Path:
    path = folder / name
    path.write_bytes(os.urandom(size))
    return path


def coreutils_sums(iso: Path, *extra: Path, tag: bool = False) -> Path:
    """A SHA256SUMS file written by coreutils' sha256sum (an independent implementation)."""
    argv = ["sha256sum", "--binary"] + (["--tag"] if tag else [])
    names = [p.name for p in (*extra, iso)]
    out = subprocess.run(argv + names, cwd=iso.parent, capture_output=True, text=True, check=True)
    sums = iso.parent / ("SHA256SUMS.tag" if tag else "SHA256SUMS")
    sums.write_text(out.stdout)
    return sums


needs_sha256sum = pytest.mark.skipif(shutil.which("sha256sum") is None, reason="coreutils")
