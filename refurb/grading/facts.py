"""Facts: what the probe says, in the units grading uses; what it does not say stays None.

Every area and every OS check reads these, never the probe dict, so "how much memory" or "which
disk is the main one" is worked out once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from refurb import disks as disk_model
from refurb import units
from refurb.grading.rules import CpuClass, CpuRule, classify_cpu
from refurb.i18n import _
from refurb.specs import battery_health_pct

# Chassis types (DMI) that have no battery by design: the battery area does not apply.
_NO_BATTERY_CHASSIS = {
    "desktop",
    "low profile desktop",
    "pizza box",
    "mini tower",
    "tower",
    "all in one",
    "space-saving",
    "lunch box",
    "main server chassis",
    "rack mount chassis",
    "mini pc",
    "stick pc",
    "sealed-case pc",
    "multi-system chassis",
}
ARCH_32 = {"i386", "i486", "i586", "i686", "x86", "armv7l", "armhf", "armv6l"}
_ARCH_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64"}


@dataclass
class Facts:
    cpu: CpuClass
    arch: str | None
    cores: int | None
    max_mhz: float | None
    base_mhz: float | None  # the "@ 1.60GHz" in the name: a lower bound when max_mhz is unknown
    ram_gb: float | None
    ram_estimated: bool
    disks: list[dict[str, Any]]  # internal disks (not USB sticks)
    main_disk: dict[str, Any] | None
    storage_kind: str | None  # "ssd" | "hdd" | None
    batteries: list[dict[str, Any]]
    battery_pct: float | None  # the batteries' pooled health (refurb.specs)
    battery_expected: bool
    tpm: str | None
    secure_boot: bool | None  # True on, False off/absent, None unknown
    secure_boot_capable: bool | None
    screen: tuple[int, int] | None


def number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            return float(value.strip().rstrip("%"))
        except ValueError:
            return None
    return None


def disk_kind(disk: Mapping[str, Any]) -> str | None:
    protocol = str(disk.get("protocol") or "").upper()
    if protocol == "NVME":
        return "ssd"
    rotational = disk.get("rotational")
    if rotational is True:
        return "hdd"
    if rotational is False:
        return "ssd"
    return None


def _secure_boot(value: Any) -> tuple[bool | None, bool | None]:
    """(enabled, capable) from the probe's ``secure_boot`` (bool, text or a small table)."""
    if isinstance(value, Mapping):
        enabled = value.get("enabled")
        capable = value.get("capable", value.get("supported"))
        enabled = enabled if isinstance(enabled, bool) else None
        if not isinstance(capable, bool):
            capable = True if enabled else None
        return enabled, capable
    if isinstance(value, bool):
        return value, True if value else None
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("enabled", "on", "true", "yes", "1"):
            return True, True
        if word in ("disabled", "off", "false", "no", "0", "setup mode", "setup"):
            return False, True
        if word in ("unsupported", "not supported", "legacy", "bios"):
            return False, False
    return None, None


def _tpm_version(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("version")
    if value is None:
        return None
    text = str(value).strip()
    match = re.search(r"\d+(?:\.\d+)?", text)
    if not match:
        return None
    found = match.group(0)
    return found if "." in found else f"{found}.0"


def _resolution(displays: Any) -> tuple[int, int] | None:
    if not isinstance(displays, list):
        return None
    for display in displays:
        if isinstance(display, Mapping):
            match = re.fullmatch(
                r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", str(display.get("native_resolution") or "")
            )
            if match:
                return int(match.group(1)), int(match.group(2))
    return None


def facts_from_probe(probe: Mapping[str, Any], cpu_rules: Iterable[CpuRule]) -> Facts:
    """Pull the facts grading needs out of a ``refurb.probe/1`` dict; unknown stays None."""

    def table(key: str) -> Mapping[str, Any]:
        value = probe.get(key)
        return value if isinstance(value, Mapping) else {}

    cpu = table("cpu")
    memory = table("memory")
    system = table("system")

    installed = number(memory.get("installed_bytes"))
    usable = number(memory.get("usable_bytes"))
    ram_gb: float | None = None
    estimated = False
    if installed and installed > 0:
        ram_gb = round(installed / 2**30, 2)
    elif usable and usable > 0:
        # Firmware and graphics keep some memory back; round up to what was fitted.
        ram_gb = float(math.ceil(usable / 2**30 - 0.05))
        estimated = True

    raw_disks = probe.get("disks") if isinstance(probe.get("disks"), list) else []
    disks = [d for d in raw_disks if isinstance(d, Mapping) and disk_model.is_internal(d)]
    main = max(disks, key=lambda d: number(d.get("size_bytes")) or 0, default=None)

    raw_bats = probe.get("batteries") if isinstance(probe.get("batteries"), list) else []
    batteries = [b for b in raw_bats if isinstance(b, Mapping)]
    battery_pct = battery_health_pct(batteries)
    chassis = str(system.get("chassis_type") or "").strip().lower()

    model = cpu.get("model") if isinstance(cpu.get("model"), str) else None
    family = classify_cpu(model, cpu_rules)
    arch = str(cpu.get("arch") or "").strip().lower() or None
    arch = _ARCH_ALIASES.get(arch, arch) if arch else None
    if arch is None and family.year is not None:
        # A dated x86 family (read from DMI alone): 64-bit unless the data says otherwise.
        arch = "i686" if family.bits == 32 else "x86_64"
    enabled, capable = _secure_boot(probe.get("secure_boot"))
    cores = number(cpu.get("cores"))
    max_mhz = number(cpu.get("max_mhz"))
    base = re.search(r"@\s*(\d+(?:\.\d+)?)\s*GHz", model or "", re.IGNORECASE)
    return Facts(
        cpu=family,
        arch=arch,
        cores=int(cores) if cores else None,
        max_mhz=max_mhz,
        base_mhz=float(base.group(1)) * 1000 if base else None,
        ram_gb=ram_gb,
        ram_estimated=estimated,
        disks=[dict(d) for d in disks],
        main_disk=dict(main) if main is not None else None,
        storage_kind=disk_kind(main) if main is not None else None,
        batteries=[dict(b) for b in batteries],
        battery_pct=battery_pct,
        battery_expected=chassis not in _NO_BATTERY_CHASSIS,
        tpm=_tpm_version(probe.get("tpm")),
        secure_boot=enabled,
        secure_boot_capable=capable,
        screen=_resolution(probe.get("displays")),
    )


def size_gb(size_bytes: Any) -> float | None:
    """A disk's size in GB as it was sold (``refurb.units``): what the label says, and what the
    makers' requirements (Windows 11's "64 GB") mean."""
    size = units.sold_gb(number(size_bytes))
    return round(size, 1) if size else None


def disk_name(disk: Mapping[str, Any]) -> str:
    return str(disk.get("model") or disk.get("name") or disk.get("serial") or _("disk"))


def main_disk_gb(facts: Facts) -> float | None:
    """The main disk's size in GB as sold, or None when there is no disk or no size."""
    return size_gb(facts.main_disk.get("size_bytes")) if facts.main_disk else None
