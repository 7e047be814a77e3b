"""Helpers for the probe tests: fixture paths, answer keys, and the parser result -> key mapping."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from refurb.parsers import battery, dmidecode, edid, smartctl

FIXTURES = Path(__file__).parent / "fixtures"
PROBE_DIRS = FIXTURES / "probe"
E480 = PROBE_DIRS / "thinkpad-e480"
VM = PROBE_DIRS / "vm-no-dmi"
MIB = 2**20

# Every top-level key of refurb.probe/1 and of its sections (DESIGN.md).
PROBE_KEYS = {
    "schema",
    "system",
    "bios",
    "cpu",
    "memory",
    "disks",
    "batteries",
    "displays",
    "gpus",
    "network",
    "tpm",
    "secure_boot",
    "os",
    "warnings",
}
SECTION_KEYS = {
    "system": {
        "manufacturer",
        "product_name",
        "version",
        "model",
        "serial",
        "sku",
        "chassis_type",
        "uuid",
    },
    "bios": {"vendor", "version", "date"},
    "cpu": {"model", "vendor", "cores", "threads", "max_mhz", "arch"},
    "memory": {"installed_bytes", "usable_bytes", "slots_total", "slots_used", "modules"},
}
DISK_KEYS = {
    "name",
    "model",
    "serial",
    "size_bytes",
    "protocol",
    "rotational",
    "smart_passed",
    "power_on_hours",
    "reallocated_sectors",
    "pending_sectors",
    "nvme_percentage_used",
    "nvme_media_errors",
}
BATTERY_KEYS = {
    "name",
    "manufacturer",
    "model",
    "design_wh",
    "full_wh",
    "health_pct",
    "cycle_count",
}
DISPLAY_KEYS = {"manufacturer_id", "product_code", "diagonal_inches", "native_resolution"}
MODULE_KEYS = {
    "locator",
    "size_bytes",
    "type",
    "speed_mts",
    "manufacturer",
    "part_number",
    "serial",
}


def assert_probe_shape(probe: dict[str, Any]) -> None:
    """Every key DESIGN.md names is present (null allowed), with the right container types."""
    assert probe["schema"] == "refurb.probe/1"
    assert set(probe) >= PROBE_KEYS, PROBE_KEYS - set(probe)
    for section, keys in SECTION_KEYS.items():
        assert keys <= set(probe[section]), (section, keys - set(probe[section]))
    for module in probe["memory"]["modules"]:
        assert set(module) >= MODULE_KEYS
    for disk in probe["disks"]:
        assert set(disk) >= DISK_KEYS
    for bat in probe["batteries"]:
        assert set(bat) >= BATTERY_KEYS
    for display in probe["displays"]:
        assert set(display) >= DISPLAY_KEYS
    for item in probe["network"]:
        assert {"kind", "mac"} <= set(item)
    assert probe["tpm"] is None or set(probe["tpm"]) >= {"version"}
    assert probe["secure_boot"] in (True, False, None)
    assert isinstance(probe["warnings"], list)
    assert all(isinstance(w, str) and w for w in probe["warnings"])
    json.dumps(probe)  # JSON-able as it is


def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def _dmi_fields(result: dict[str, Any]) -> dict[str, Any]:
    raw_system = result["raw"]["system"]
    raw_bios = result["raw"]["bios"]
    memory = result["memory"]
    modules = memory["modules"]
    installed = memory["installed_bytes"]
    return {
        "manufacturer": raw_system.get("Manufacturer"),
        "product_name": raw_system.get("Product Name"),
        "version": raw_system.get("Version"),
        "model": result["system"]["model"],
        "serial_present": result["system"]["serial"] is not None,
        "chassis_type": result["system"]["chassis_type"],
        "bios_vendor": raw_bios.get("Vendor"),
        "bios_version": raw_bios.get("Version"),
        "memory_total_mib": None if installed is None else installed / MIB,
        "memory_slots": memory["slots_total"],
        "memory_type": modules[0]["type"] if modules else None,
        # Only some answer-key lines give these (the ones added from the acceptance run).
        "cpu_model": (result["processor"] or {}).get("model"),
        "memory_manufacturers": [m["manufacturer"] for m in modules],
        "memory_part_numbers": [m["part_number"] for m in modules],
        "sku": result["system"]["sku"],
        "family": result["system"]["family"],
    }


def _smartctl_fields(result: dict[str, Any]) -> dict[str, Any]:
    fields = {k: result[k] for k in smartctl.FIELDS}
    fields["capacity_bytes"] = result["capacity_bytes"]
    return fields


def _battery_fields(result: dict[str, Any]) -> dict[str, Any]:
    return dict(result)


# folder under tests/fixtures -> (parse a file, map the result onto the answer key's field names)
ANSWER_KEYS: dict[str, tuple[Callable[[Path], dict[str, Any]], Callable[[dict], dict]]] = {
    "dmi": (lambda p: dmidecode.parse(_read_text(p)), _dmi_fields),
    "smartctl": (lambda p: smartctl.parse(_read_text(p)), _smartctl_fields),
    "edid": (lambda p: edid.parse(p.read_bytes()), dict),
    "probe/uevents": (lambda p: battery.parse(_read_text(p)), _battery_fields),
}


def answer_key_cases() -> Iterator[tuple[str, dict[str, Any]]]:
    """(folder, answer-key line) for every line of every expected.jsonl."""
    for folder in ANSWER_KEYS:
        key = FIXTURES / folder / "expected.jsonl"
        for line in key.read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield folder, json.loads(line)


def fixture_texts() -> list[tuple[str, bytes]]:
    """(name, bytes) of every captured file the parsers read, for the fuzz tests."""
    found = []
    for path in sorted(FIXTURES.rglob("*")):
        ours = "probe" in path.parts or path.parent.name in ("dmi", "smartctl", "edid")
        data_file = path.suffix not in (".md", ".jsonl") and "LICENSE" not in path.name
        if ours and data_file and path.is_file():
            found.append((path.relative_to(FIXTURES).as_posix(), path.read_bytes()))
    return found


def copy_folder(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest
