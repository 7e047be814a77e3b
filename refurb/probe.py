"""The hardware probe: what laptop is on the bench, from the live system or a captured folder.

Three entry points share one path: :func:`collect` gathers the raw material (tool outputs and
/proc, /sys files) into :class:`Sources`, :func:`build` turns any ``Sources`` into the
``refurb.probe/1`` dict of DESIGN.md, and a captured folder is just ``Sources`` written to disk.
So ``probe_from_dir(capture(...))`` gives the same probe as the live run, on any machine.

What could not be read is null, and ``warnings`` says why and how to fix it (no root, a virtual
machine, a missing tool, a corrupt file in a folder). Nothing here prints or imports typer/rich.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refurb import disks as disk_model
from refurb.errors import InvalidInput
from refurb.i18n import _
from refurb.parsers import (
    battery,
    clean,
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
from refurb.specs import (  # noqa: F401  (re-exported: the probe's summary API)
    cpu_name,
    disk_health,
    disk_kind,
    screen_inches,
    summary,
    vendor_name,
)

if TYPE_CHECKING:
    from refurb.env import Env
    from refurb.runner import CommandResult

SCHEMA = "refurb.probe/1"
SECURE_BOOT_VAR = "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
EFI_MARKER = "sys/firmware/efi/fw_platform_size"
CPU_MAX_FREQ = "sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"
DMI_ID = "sys/class/dmi/id"
DMI_ID_FILES = (
    "sys_vendor",
    "product_name",
    "product_version",
    "product_serial",
    "product_sku",
    "product_family",
    "product_uuid",
    "chassis_type",
    "bios_vendor",
    "bios_version",
    "bios_date",
)
# Top-level sections whose every value null means "nothing usable was read".
SECTIONS = ("system", "bios", "cpu", "memory")
LIST_SECTIONS = ("disks", "batteries", "displays", "gpus", "network")
# File names of a captured folder (DESIGN.md, "Probe: the captured folder").
FILES = {
    "dmidecode": "dmidecode.txt",
    "cpuinfo": "cpuinfo.txt",
    "meminfo": "meminfo.txt",
    "lsblk": "lsblk.json",
    "lspci": "lspci.txt",
    "os_release": "os-release",
}
MANIFEST = "capture.json"
_MAX_FILE = 4 * 1024 * 1024

# SMBIOS chassis type codes, as /sys/class/dmi/id/chassis_type reports them.
_CHASSIS = {
    3: "Desktop",
    4: "Low Profile Desktop",
    6: "Mini Tower",
    7: "Tower",
    8: "Portable",
    9: "Laptop",
    10: "Notebook",
    11: "Hand Held",
    13: "All In One",
    14: "Sub Notebook",
    30: "Tablet",
    31: "Convertible",
    32: "Detachable",
    35: "Mini PC",
    36: "Stick PC",
}


@dataclass
class Sources:
    """The raw material of one probe: tool outputs and file contents, plus why parts are missing.

    ``labels`` names where each part came from (a command, a path, or a file of a captured
    folder) so that warnings can name it. ``problems`` holds a reason code per missing part.
    """

    dmidecode: str | None = None
    cpuinfo: str | None = None
    meminfo: str | None = None
    lsblk: str | None = None
    lspci: str | None = None
    os_release: str | None = None
    smartctl: dict[str, str] = field(default_factory=dict)
    power_supply: dict[str, str] = field(default_factory=dict)
    edid: dict[str, bytes] = field(default_factory=dict)
    sys: dict[str, bytes] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    problems: dict[str, tuple[str, str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    commands: list[CommandResult] = field(default_factory=list)
    origin: str = "live"
    efi: bool | None = None

    def label(self, key: str) -> str:
        return self.labels.get(key, key)


# -- building the probe from sources -------------------------------------------------------------


def build(src: Sources) -> dict[str, Any]:
    """The ``refurb.probe/1`` dict from gathered sources (pure: no I/O)."""
    warnings: list[str] = list(src.warnings)
    dmi = _dmi(src, warnings)
    probe: dict[str, Any] = {
        "schema": SCHEMA,
        "system": dmi["system"],
        "bios": dmi["bios"],
        "cpu": _cpu(src, dmi, warnings),
        "memory": _memory(src, dmi, warnings),
        "disks": _disks(src, warnings),
        "batteries": _batteries(src, warnings),
        "displays": _displays(src, warnings),
        "gpus": _gpus(src, warnings),
        "network": _network(src, warnings),
        "tpm": _tpm(src, warnings),
        "secure_boot": _secure_boot(src, warnings),
        "os": _os(src, warnings),
        "warnings": [],
    }
    if src.origin == "dir" and not src.sys:
        warnings.append(_("sys/ is missing: network, TPM and Secure Boot unknown"))
    probe["warnings"] = list(dict.fromkeys(warnings))
    return probe


def _gone(src: Sources, key: str) -> str:
    """ "cpuinfo.txt is missing" or "cpuinfo.txt cannot be read", for warnings."""
    if src.problems.get(key, ("missing", ""))[0] == "unreadable":
        return _("{file} cannot be read").format(file=src.label(key))
    return _("{file} is missing").format(file=src.label(key))


def _prefixed(label: str, messages: Iterable[str]) -> list[str]:
    return [f"{label}: {m}" for m in messages]


def _dmi_from_sysfs(src: Sources) -> dict[str, Any] | None:
    files = {
        name: src.sys[f"{DMI_ID}/{name}"].decode("utf-8", errors="replace").strip()
        for name in DMI_ID_FILES
        if f"{DMI_ID}/{name}" in src.sys
    }
    if not files:
        return None
    manufacturer = clean.text(files.get("sys_vendor"))
    product = clean.text(files.get("product_name"))
    version = clean.text(files.get("product_version"))
    chassis = clean.to_int(files.get("chassis_type"))
    date = files.get("bios_date")
    return {
        "system": {
            "manufacturer": manufacturer,
            "product_name": product,
            "version": version,
            "model": dmidecode.model_name(manufacturer, product, version),
            "serial": clean.serial(files.get("product_serial")),
            "sku": clean.text(files.get("product_sku")),
            "chassis_type": _CHASSIS.get(chassis) if chassis is not None else None,
            "uuid": clean.uuid(files.get("product_uuid")),
        },
        "bios": {
            "vendor": clean.text(files.get("bios_vendor")),
            "version": clean.text(files.get("bios_version")),
            "date": dmidecode._iso_date(clean.text(date)),
        },
    }


def _empty_system() -> dict[str, Any]:
    return dict.fromkeys(
        (
            "manufacturer",
            "product_name",
            "version",
            "model",
            "serial",
            "sku",
            "chassis_type",
            "uuid",
        )
    )


def _dmi(src: Sources, warnings: list[str]) -> dict[str, Any]:
    parsed = dmidecode.parse(src.dmidecode) if src.dmidecode is not None else None
    if parsed is not None and parsed["structures"] == 0:
        for message in parsed["warnings"]:
            warnings.append(
                _("{file}: {problem}: model, serial number and memory modules unknown").format(
                    file=src.label("dmidecode"), problem=message
                )
            )
    elif parsed is not None:
        warnings.extend(_prefixed(src.label("dmidecode"), parsed["warnings"]))
        system = {k: parsed["system"][k] for k in _empty_system()}
        if system["serial"] is None and system["model"] is not None:
            raw_serial = parsed["raw"]["system"].get("Serial Number", "")
            warnings.append(
                _(
                    "no system serial number (the firmware says {value!r}): "
                    "identify this laptop by its disk serial or its label"
                ).format(value=raw_serial)
            )
        return {
            "system": system,
            "bios": parsed["bios"],
            "processor": parsed["processor"],
            "memory": parsed["memory"],
        }
    fallback = _dmi_from_sysfs(src)
    if parsed is None:
        has_model = fallback is not None and fallback["system"]["model"] is not None
        _dmidecode_warning(src, warnings, has_model)
    if fallback is not None:
        return {"system": fallback["system"], "bios": fallback["bios"]}
    return {"system": _empty_system(), "bios": dict.fromkeys(("vendor", "version", "date"))}


def _dmidecode_warning(src: Sources, warnings: list[str], has_model: bool) -> None:
    code, detail = src.problems.get("dmidecode", ("missing", ""))
    label = src.label("dmidecode")
    if code == "not_installed":
        if has_model:
            message = _("dmidecode is not installed: serial number and memory modules unknown")
        else:
            message = _(
                "dmidecode is not installed: model, serial number and memory modules unknown"
            )
        warnings.append(message + " " + _("(install the dmidecode package)"))
    elif code == "needs_root":
        if has_model:
            message = _("dmidecode needs root: serial number and memory modules unknown")
        else:
            message = _("dmidecode needs root: model, serial number and memory modules unknown")
        warnings.append(message + " " + _("(run: sudo refurb probe)"))
    elif code == "no_table":
        warnings.append(
            _(
                "this machine has no DMI/SMBIOS table (a virtual machine?): "
                "model, serial number and memory modules unknown"
            )
        )
    elif code in ("missing", "unreadable"):
        warnings.append(
            _("{file}: model, serial number and memory modules unknown").format(
                file=_gone(src, "dmidecode")
            )
        )
    else:
        warnings.append(
            _(
                "{command} failed ({detail}): model, serial number and memory modules unknown"
            ).format(command=label, detail=detail or "?")
        )


def _cpu_vendor(value: str | None) -> str | None:
    """ "Intel(R) Corporation" -> "Intel", "Advanced Micro Devices, Inc." -> "AMD"."""
    if value is None:
        return None
    low = value.lower()
    if "intel" in low:
        return "Intel"
    if low.startswith(("amd", "advanced micro")):
        return "AMD"
    return value


def _cpu(src: Sources, dmi: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    cpu: dict[str, Any] = dict.fromkeys(("model", "vendor", "cores", "threads", "max_mhz", "arch"))
    if src.cpuinfo is not None:
        parsed = cpuinfo.parse(src.cpuinfo)
        warnings.extend(_prefixed(src.label("cpuinfo"), parsed["warnings"]))
        for key in ("model", "vendor", "cores", "threads", "arch"):
            cpu[key] = parsed[key]
    processor = dmi.get("processor") or {}
    for key in ("model", "cores", "threads"):
        if cpu[key] is None:
            cpu[key] = processor.get(key)
    if cpu["vendor"] is None:
        cpu["vendor"] = _cpu_vendor(processor.get("vendor"))
    freq = src.sys.get(CPU_MAX_FREQ)
    khz = clean.to_int(freq.decode("ascii", errors="replace").strip()) if freq else None
    if khz:
        cpu["max_mhz"] = khz // 1000
    if src.cpuinfo is None and cpu["model"] is None:
        warnings.append(_("{file}: processor unknown").format(file=_gone(src, "cpuinfo")))
    return cpu


def _memory(src: Sources, dmi: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    memory: dict[str, Any] = {
        "installed_bytes": None,
        "usable_bytes": None,
        "slots_total": None,
        "slots_used": None,
        "modules": [],
    }
    if dmi.get("memory"):
        for key in ("installed_bytes", "slots_total", "slots_used", "modules"):
            memory[key] = dmi["memory"][key]
        if memory["slots_total"] is None:
            warnings.append(
                _("{file} lists no memory devices: installed memory unknown").format(
                    file=src.label("dmidecode")
                )
            )
    if src.meminfo is not None:
        parsed = meminfo.parse(src.meminfo)
        warnings.extend(_prefixed(src.label("meminfo"), parsed["warnings"]))
        memory["usable_bytes"] = parsed["total_bytes"]
    else:
        warnings.append(_("{file}: usable memory unknown").format(file=_gone(src, "meminfo")))
    return memory


def _disks(src: Sources, warnings: list[str]) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = []
    if src.lsblk is not None:
        parsed = lsblk.parse(src.lsblk)
        warnings.extend(_prefixed(src.label("lsblk"), parsed["warnings"]))
        listed = parsed["disks"]
    else:
        code, detail = src.problems.get("lsblk", ("missing", ""))
        if code == "not_installed":
            warnings.append(_("lsblk is not installed: disk list incomplete (install util-linux)"))
        elif code != "missing":
            warnings.append(_("lsblk failed: {detail}").format(detail=detail or "?"))
        elif not src.smartctl:
            warnings.append(
                _("{file} and smartctl/ are missing: disks unknown").format(file=src.label("lsblk"))
            )

    smart = {key: smartctl.parse(text) for key, text in src.smartctl.items()}
    disks: list[dict[str, Any]] = []
    used: set[str] = set()
    for entry in listed:
        name = entry["name"]
        key = (
            name
            if name in smart
            else next((k for k, v in smart.items() if v["name"] == name), None)
        )
        facts = smart.get(key) if key is not None else None
        if key is not None:
            used.add(key)
        mmc = src.sys.get(f"sys/block/{name}/device/type")
        entry = (
            {**entry, "mmc_type": mmc.decode(errors="replace").strip() or None} if mmc else entry
        )
        disk = _disk(name, entry, facts)
        disks.append(disk)
        _smart_warnings(src, disk, entry, key, facts, warnings)
    for key, facts in smart.items():
        if key in used:
            continue
        disk = None
        if any(facts[k] for k in ("model", "serial", "capacity_bytes")):
            disk = _disk(facts["name"] or key, None, facts)
            disks.append(disk)
        _smart_warnings(src, disk, None, key, facts, warnings)
    return disks


_SMART_KEYS = ("smart_passed", "power_on_hours", "nvme_percentage_used", "reallocated_sectors")


def _smart_warnings(
    src: Sources,
    disk: dict[str, Any] | None,
    entry: dict[str, Any] | None,
    key: str | None,
    facts: dict[str, Any] | None,
    warnings: list[str],
) -> None:
    """One plain warning per disk whose health is unknown, saying why."""
    name = (disk or {}).get("name") or key or "?"
    messages = list((facts or {}).get("warnings") or [])
    label = src.label(f"smartctl/{key}")
    if disk is not None and disk["smart_passed"] is not None:
        warnings.extend(_prefixed(label, messages))
        return
    if entry is not None and not disk_model.is_internal(entry):
        return  # a USB stick, a card, the medium refurb runs from: not the laptop's own
    if disk is not None and any(disk[k] is not None for k in _SMART_KEYS):
        warnings.extend(_prefixed(label, messages))
        warnings.append(_("{disk}: SMART gives no overall health verdict").format(disk=name))
        return
    joined = " ".join(messages).lower()
    if "permission denied" in joined or "operation not permitted" in joined:
        warnings.append(
            _("{disk}: smartctl needs root for disk health (run: sudo refurb probe)").format(
                disk=name
            )
        )
    elif entry is not None and entry["protocol"] == "MMC":
        warnings.append(_("{disk}: eMMC storage reports no SMART health").format(disk=name))
    elif src.problems.get("smartctl", ("",))[0] == "not_installed":
        return  # said once for all disks
    elif entry is not None and entry["transport"] is None and entry["protocol"] is None:
        warnings.append(
            _("{disk}: a virtual disk has no SMART health (a virtual machine?)").format(disk=name)
        )
    elif messages:
        warnings.extend(_prefixed(label, messages))
    else:
        warnings.append(_("{disk}: no SMART data: disk health unknown").format(disk=name))


def _disk(name: str, entry: dict[str, Any] | None, facts: dict[str, Any] | None) -> dict[str, Any]:
    """One probe disk from its lsblk record and its smartctl facts (either may be missing)."""
    entry = entry or {}
    facts = facts or {}
    protocol = disk_model.with_smart(
        entry.get("protocol"), facts.get("protocol"), bool(facts.get("usb_bridge"))
    )
    rotational = facts.get("rotational")
    if rotational is None and entry.get("transport"):
        rotational = entry.get("rotational")
    if rotational is None and entry.get("protocol") in ("NVMe", "MMC"):
        rotational = False
    return {
        "name": name,
        "model": facts.get("model") or entry.get("model"),
        "serial": clean.serial(facts.get("serial")) or clean.serial(entry.get("serial")),
        "size_bytes": entry.get("size_bytes") or facts.get("capacity_bytes"),
        "protocol": protocol,
        "transport": entry.get("transport") or ("usb" if facts.get("usb_bridge") else None),
        "rotational": rotational,
        "removable": bool(entry.get("removable")),
        "hotplug": bool(entry.get("hotplug")),
        "live_medium": bool(entry.get("live_medium")),
        "mmc_type": entry.get("mmc_type"),
        "children": [c["name"] for c in entry.get("children") or []],
        "smart_passed": facts.get("smart_passed"),
        "power_on_hours": facts.get("power_on_hours"),
        "reallocated_sectors": facts.get("reallocated_sectors"),
        "pending_sectors": facts.get("pending_sectors"),
        "nvme_percentage_used": facts.get("nvme_percentage_used"),
        "nvme_media_errors": facts.get("nvme_media_errors"),
        "smart_flags": list(facts.get("flags") or []),
    }


def _batteries(src: Sources, warnings: list[str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for name, text in sorted(src.power_supply.items()):
        parsed = battery.parse(text)
        label = src.label(f"power_supply/{name}")
        if not parsed["is_battery"]:
            if parsed["warnings"] and parsed["type"] is None:
                warnings.extend(_prefixed(label, parsed["warnings"]))
            continue
        battery_name = parsed["name"] or name
        if parsed["present"] is False:
            warnings.append(_("{battery}: battery slot is empty").format(battery=battery_name))
            continue
        warnings.extend(_prefixed(battery_name, parsed["warnings"]))
        found.append(
            {
                "name": battery_name,
                "manufacturer": parsed["manufacturer"],
                "model": parsed["model"],
                "design_wh": parsed["design_wh"],
                "full_wh": parsed["full_wh"],
                "health_pct": parsed["health_pct"],
                "cycle_count": parsed["cycle_count"],
            }
        )
    if not found:
        warnings.append(
            _(
                "no battery found: battery health unknown "
                "(a desktop, a virtual machine, or the battery is out)"
            )
        )
    return found


_INTERNAL = re.compile(r"(^|-)(eDP|LVDS|DSI)(-|$)", re.I)


def _connector(key: str) -> str:
    """``card0-eDP-1`` / ``card0-eDP-1.bin`` -> ``eDP-1``."""
    stem = re.sub(r"\.(bin|txt|hex|edid)$", "", key)
    return re.sub(r"^card\d+-", "", stem)


def _displays(src: Sources, warnings: list[str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for key, data in sorted(src.edid.items()):
        parsed = edid.parse(data)
        label = src.label(f"edid/{key}")
        warnings.extend(_prefixed(label, parsed["warnings"]))
        if parsed["manufacturer_id"] is None and parsed["native_resolution"] is None:
            continue
        found.append(
            {
                "manufacturer_id": parsed["manufacturer_id"],
                "product_code": parsed["product_code"],
                "diagonal_inches": parsed["diagonal_inches"],
                "native_resolution": parsed["native_resolution"],
                "connector": _connector(key),
                "size_mm": parsed["size_mm"],
                "name": parsed["name"],
            }
        )
    found.sort(key=lambda d: 0 if _INTERNAL.search(d["connector"] or "") else 1)
    if not found and not any("EDID" in w for w in warnings):
        warnings.append(
            _(
                "no screen information (EDID) found: screen size unknown "
                "(no built-in screen, or a virtual machine)"
            )
        )
    return found


def _gpus(src: Sources, warnings: list[str]) -> list[dict[str, Any]]:
    if src.lspci is None:
        code, _detail = src.problems.get("lspci", ("missing", ""))
        if code == "not_installed":
            warnings.append(_("lspci is not installed: graphics unknown (install pciutils)"))
        else:
            warnings.append(_("{file}: graphics unknown").format(file=_gone(src, "lspci")))
        return []
    parsed = lspci.parse(src.lspci)
    warnings.extend(_prefixed(src.label("lspci"), parsed["warnings"]))
    return parsed["gpus"]


def _sys_text(src: Sources, path: str) -> str | None:
    data = src.sys.get(path)
    return data.decode("utf-8", errors="replace") if data is not None else None


def _network(src: Sources, warnings: list[str]) -> list[dict[str, Any]]:
    names = sorted(
        {p.split("/")[3] for p in src.sys if p.startswith("sys/class/net/") and p.count("/") >= 4}
    )
    found = []
    for name in names:
        base = f"sys/class/net/{name}"
        iface = sysfs.network_interface(
            name,
            _sys_text(src, f"{base}/uevent"),
            _sys_text(src, f"{base}/type"),
            _sys_text(src, f"{base}/address"),
            physical=f"{base}/device/uevent" in src.sys,
        )
        if iface is not None:
            found.append(iface)
    return found


def _tpm(src: Sources, warnings: list[str]) -> dict[str, Any] | None:
    for path in sorted(src.sys):
        if re.fullmatch(r"sys/class/tpm/tpm\d+/tpm_version_major", path) or re.fullmatch(
            r"sys/class/tpm/tpm\d+/caps", path
        ):
            base = path.rsplit("/", 1)[0]
            version = sysfs.tpm_version(
                src.sys.get(f"{base}/tpm_version_major"), src.sys.get(f"{base}/caps")
            )
            if version:
                return {"version": version}
    if src.sys or src.origin == "live":
        warnings.append(
            _(
                "no TPM found: it may be switched off in the firmware setup "
                "(Windows 11 needs TPM 2.0)"
            )
        )
    return None


def _secure_boot(src: Sources, warnings: list[str]) -> bool | None:
    if SECURE_BOOT_VAR in src.sys:
        state = sysfs.secure_boot(src.sys[SECURE_BOOT_VAR])
        if state is None:
            warnings.append(
                _("{file}: unreadable Secure Boot variable").format(file=src.label(SECURE_BOOT_VAR))
            )
        return state
    efi = src.efi if src.efi is not None else (True if EFI_MARKER in src.sys else None)
    if efi is False:
        return False  # booted in legacy BIOS mode: Secure Boot is not active
    if efi is True:
        warnings.append(_("booted with UEFI but the Secure Boot state is not readable"))
    return None


def _os(src: Sources, warnings: list[str]) -> dict[str, Any] | None:
    if src.os_release is None:
        warnings.append(_("{file}: operating system unknown").format(file=_gone(src, "os_release")))
        return None
    parsed = os_release.parse(src.os_release)
    warnings.extend(_prefixed(src.label("os_release"), parsed["warnings"]))
    if not (parsed["pretty_name"] or parsed["name"]):
        return None
    return {
        "name": parsed["pretty_name"] or parsed["name"],
        "id": parsed["id"],
        "version_id": parsed["version_id"],
    }


def is_empty(probe: dict[str, Any]) -> bool:
    """True when the probe holds no fact at all (every section null or empty)."""
    for key in SECTIONS:
        section = probe.get(key) or {}
        if any(v not in (None, [], {}) for v in section.values()):
            return False
    if any(probe.get(key) for key in LIST_SECTIONS):
        return False
    return probe.get("tpm") is None and probe.get("os") is None


# -- the live system ------------------------------------------------------------------------------


def _read_bytes(path: Path, limit: int = _MAX_FILE) -> bytes | None:
    try:
        with path.open("rb") as fh:
            return fh.read(limit)
    except OSError:
        return None


def _read_text(path: Path) -> str | None:
    data = _read_bytes(path)
    return data.decode("utf-8", errors="replace") if data is not None else None


def _listdir(path: Path) -> list[str]:
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _classify_dmidecode(result: CommandResult) -> tuple[str, str] | None:
    """None when the output is usable, else a (code, detail) problem."""
    text = (result.stdout or "") + "\n" + (result.stderr or "")
    if not result.found:
        return ("not_installed", result.stderr)
    if "Handle 0x" in result.stdout:
        return None
    lower = text.lower()
    if "permission denied" in lower or "operation not permitted" in lower or not _is_root():
        return ("needs_root", result.stderr.strip())
    if "no smbios" in lower or "/dev/mem" in lower or "no such file" in lower:
        return ("no_table", result.stderr.strip())
    return (
        "failed",
        (result.stderr or result.stdout).strip().splitlines()[0] if text.strip() else "",
    )


def _read_sys(root: Path) -> tuple[dict[str, bytes], bool]:
    """The sysfs files the probe uses, keyed by their path without the leading slash."""
    found: dict[str, bytes] = {}

    def take(rel: str) -> None:
        data = _read_bytes(root / rel, 65536)
        if data is not None:
            found[rel] = data

    for name in DMI_ID_FILES:
        take(f"{DMI_ID}/{name}")
    for name in _listdir(root / "sys/class/net"):
        if name == "lo":
            continue
        base = f"sys/class/net/{name}"
        for leaf in ("address", "type", "uevent", "device/uevent"):
            take(f"{base}/{leaf}")
    for name in _listdir(root / "sys/class/tpm"):
        for leaf in ("tpm_version_major", "caps"):
            take(f"sys/class/tpm/{name}/{leaf}")
    for name in _listdir(root / "sys/block"):
        if name.startswith("mmcblk"):
            take(f"sys/block/{name}/device/type")  # "MMC" (eMMC) or "SD" (a card)
    take(EFI_MARKER)
    take(SECURE_BOOT_VAR)
    take(CPU_MAX_FREQ)
    efi = (root / "sys/firmware/efi").is_dir()
    return found, efi


def _block_devices(lsblk_text: str | None) -> list[str]:
    if lsblk_text is None:
        return []
    return [d["name"] for d in lsblk.parse(lsblk_text)["disks"]]


def collect(env: Env, root: Path | str = "/") -> Sources:
    """Run the tools (in parallel threads) and read /proc and /sys into a :class:`Sources`.

    ``root`` is where /proc, /sys and /etc are read from (tests point it at a captured tree).
    """
    from concurrent.futures import ThreadPoolExecutor

    root = Path(root)
    runner = env.runner
    src = Sources(origin="live")
    src.labels.update(
        {
            "dmidecode": "dmidecode",
            "lsblk": "lsblk",
            "lspci": "lspci",
            "cpuinfo": "/proc/cpuinfo",
            "meminfo": "/proc/meminfo",
            "os_release": "/etc/os-release",
        }
    )
    with ThreadPoolExecutor(max_workers=8) as pool:
        dmi_job = pool.submit(runner.run, ["dmidecode"], timeout_s=30)
        lspci_job = pool.submit(runner.run, ["lspci", "-mm", "-nn"], timeout_s=30)
        lsblk_result = runner.run(["lsblk", "-J", "-b", "-O"], timeout_s=30)
        src.commands.append(lsblk_result)
        if lsblk_result.found and lsblk_result.stdout.strip():
            src.lsblk = lsblk_result.stdout
        else:
            code = "not_installed" if not lsblk_result.found else "failed"
            src.problems["lsblk"] = (code, lsblk_result.stderr.strip())
        smart_jobs = {
            name: pool.submit(
                runner.run, ["smartctl", "-x", "--json", f"/dev/{name}"], timeout_s=60
            )
            for name in _block_devices(src.lsblk)
            if not name.startswith("mmcblk")
        }

        src.cpuinfo = _read_text(root / "proc/cpuinfo")
        src.meminfo = _read_text(root / "proc/meminfo")
        src.os_release = _read_text(root / "etc/os-release") or _read_text(
            root / "usr/lib/os-release"
        )
        if src.os_release is None:
            src.labels["os_release"] = "/etc/os-release"
        for name in _listdir(root / "sys/class/power_supply"):
            text = _read_text(root / "sys/class/power_supply" / name / "uevent")
            if text is not None:
                src.power_supply[name] = text
        for name in _listdir(root / "sys/class/drm"):
            data = _read_bytes(root / "sys/class/drm" / name / "edid")
            if data:
                src.edid[name] = data
        src.sys, src.efi = _read_sys(root)

        dmi_result = dmi_job.result()
        src.commands.append(dmi_result)
        problem = _classify_dmidecode(dmi_result)
        if problem is None:
            src.dmidecode = dmi_result.stdout
        else:
            src.problems["dmidecode"] = problem

        lspci_result = lspci_job.result()
        src.commands.append(lspci_result)
        if lspci_result.found and lspci_result.returncode == 0:
            src.lspci = lspci_result.stdout
        else:
            code = "not_installed" if not lspci_result.found else "failed"
            src.problems["lspci"] = (code, lspci_result.stderr.strip())

        for name, job in smart_jobs.items():
            result = job.result()
            src.commands.append(result)
            if not result.found:
                src.problems["smartctl"] = ("not_installed", "")
                continue
            if result.stdout.strip():
                src.smartctl[name] = result.stdout
                src.labels[f"smartctl/{name}"] = f"smartctl /dev/{name}"
    if src.problems.get("smartctl", ("",))[0] == "not_installed":
        src.warnings.append(
            _("smartctl is not installed: disk health unknown (install smartmontools)")
        )
    if src.cpuinfo is None:
        src.problems["cpuinfo"] = ("missing", "")
    return src


def probe_live(env: Env, root: Path | str = "/") -> dict[str, Any]:
    """Probe the machine refurb runs on."""
    return build(collect(env, root))


# -- captured folders ----------------------------------------------------------------------------


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._:-]", "_", name) or "unnamed"


def write_sources(src: Sources, folder: Path | str) -> list[Path]:
    """Write sources as a captured folder (DESIGN.md layout); returns the files written."""
    folder = Path(folder)
    written: list[Path] = []

    def put(rel: str, data: str | bytes) -> None:
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            data = data.encode("utf-8")
        path.write_bytes(data)
        written.append(path)

    try:
        folder.mkdir(parents=True, exist_ok=True)
        for key, filename in FILES.items():
            value = getattr(src, key)
            if value is not None:
                put(filename, value)
        for name, text in src.smartctl.items():
            put(f"smartctl/{_safe_name(name)}.json", text)
        for name, text in src.power_supply.items():
            put(f"power_supply/{_safe_name(name)}/uevent", text)
        for name, data in src.edid.items():
            put(f"edid/{_safe_name(name)}.bin", data)
        for rel, data in src.sys.items():
            if ".." not in rel.split("/"):
                put(rel, data)
        manifest = {
            "schema": "refurb.capture/1",
            "efi": src.efi,
            "problems": {k: {"code": v[0], "detail": v[1]} for k, v in src.problems.items()},
            "commands": [
                {k: v for k, v in c.to_dict().items() if k not in ("stdout",)} for c in src.commands
            ],
        }
        put(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise InvalidInput(
            _("cannot write the capture folder {folder}: {reason}").format(
                folder=folder, reason=exc.strerror or exc
            ),
            _("choose a folder you can write to, e.g. on the USB stick"),
        ) from exc
    return written


def capture(env: Env, folder: Path | str, root: Path | str = "/") -> dict[str, Any]:
    """Probe the live system, save the raw outputs in ``folder``, and return the probe.

    The folder must be new or empty: files of an earlier capture would mix with this one's.
    """
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InvalidInput(
            _("{folder} already exists and is not empty").format(folder=folder),
            _("give a new folder for each laptop, e.g. {example}").format(
                example=folder.with_name(folder.name + "-2")
            ),
        )
    src = collect(env, root)
    write_sources(src, folder)
    return build(src)


def read_sources(folder: Path | str) -> Sources:
    """Load a captured folder; raises :class:`InvalidInput` when it does not exist or is empty."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InvalidInput(
            _("{folder}: no such folder").format(folder=folder),
            _("give the folder written by `refurb probe --capture DIR`"),
        )
    src = Sources(origin="dir")
    found = 0

    def read(rel: str, reader: Callable[[Path], Any], quiet: bool = False) -> Any:
        nonlocal found
        path = folder / rel
        if not path.is_file():
            return None
        value = reader(path)
        if value is None:
            unreadable.add(rel)
            if not quiet:
                src.warnings.append(_("{file}: cannot be read").format(file=rel))
        else:
            found += 1
        return value

    unreadable: set[str] = set()
    for key, filename in FILES.items():
        src.labels[key] = filename
        setattr(src, key, read(filename, _read_text, quiet=True))
        if getattr(src, key) is None:
            src.problems[key] = ("unreadable" if filename in unreadable else "missing", "")
    for path in sorted((folder / "smartctl").glob("*.json")):
        text = read(f"smartctl/{path.name}", _read_text)
        if text is not None:
            src.smartctl[path.stem] = text
            src.labels[f"smartctl/{path.stem}"] = f"smartctl/{path.name}"
    for path in sorted((folder / "power_supply").glob("*/uevent")):
        rel = f"power_supply/{path.parent.name}/uevent"
        text = read(rel, _read_text)
        if text is not None:
            src.power_supply[path.parent.name] = text
            src.labels[f"power_supply/{path.parent.name}"] = rel
    for path in sorted((folder / "edid").glob("*")):
        if path.is_file():
            data = read(f"edid/{path.name}", _read_bytes)
            if data is not None:
                src.edid[path.name] = data
                src.labels[f"edid/{path.name}"] = f"edid/{path.name}"
    sys_dir = folder / "sys"
    if sys_dir.is_dir():
        for path in sorted(sys_dir.rglob("*")):
            if path.is_file() and not path.is_symlink():
                rel = path.relative_to(folder).as_posix()
                data = read(rel, _read_bytes)
                if data is not None:
                    src.sys[rel] = data
                    src.labels[rel] = rel
    manifest_text = read(MANIFEST, _read_text)
    if manifest_text is not None:
        _apply_manifest(src, manifest_text)
    if found == 0:
        raise InvalidInput(
            _(
                "{folder}: nothing to read (no dmidecode.txt, smartctl/, power_supply/, edid/, ...)"
            ).format(folder=folder),
            _("give the folder written by `refurb probe --capture DIR`"),
        )
    return src


def _apply_manifest(src: Sources, text: str) -> None:
    try:
        data = json.loads(text)
    except ValueError:
        src.warnings.append(_("{file}: not valid JSON, ignored").format(file=MANIFEST))
        return
    if not isinstance(data, dict):
        return
    if isinstance(data.get("efi"), bool):
        src.efi = data["efi"]
    problems = data.get("problems")
    if isinstance(problems, dict):
        for key, value in problems.items():
            if (
                isinstance(value, dict)
                and isinstance(value.get("code"), str)
                and getattr(src, key, "absent") is None
            ):
                src.problems[key] = (value["code"], str(value.get("detail") or ""))


def probe_from_dir(folder: Path | str) -> dict[str, Any]:
    """The probe of a captured folder; :class:`InvalidInput` if it holds nothing usable."""
    src = read_sources(folder)
    probe = build(src)
    if is_empty(probe):
        problems = "; ".join(probe["warnings"][:3])
        raise InvalidInput(
            _("{folder}: nothing usable in it ({problems})").format(
                folder=folder, problems=problems
            ),
            _("give the folder written by `refurb probe --capture DIR`"),
        )
    return probe


# -- recording a probe on an asset ----------------------------------------------------------------


def _internal_disk_serials(probe: dict[str, Any]) -> list[str]:
    return [d["serial"] for d in disk_model.own_probe_disks(probe) if d.get("serial")]


def find_asset(store: Any, probe: dict[str, Any]) -> tuple[Any, str | None]:
    """The device this probe belongs to: ``(device, "system_serial" | "disk_serial")`` or
    ``(None, None)``.

    The system serial decides first. A disk serial alone decides only when it cannot be a disk
    moved into another laptop: the probe has no system serial, or the device it points to has
    none or the same one.
    """
    serial = (probe.get("system") or {}).get("serial")
    if serial:
        device = store.find_by_serial(serial)
        if device is not None:
            return device, "system_serial"
    for disk_serial in _internal_disk_serials(probe):
        device = store.find_by_disk_serial(disk_serial)
        if device is not None and (not serial or not device.serial or device.serial == serial):
            return device, "disk_serial"
    for disk_serial in _internal_disk_serials(probe):
        # A placeholder from a donor's sheet or a scan whose serial is the disk's own sticker.
        device = store.find_by_serial(disk_serial)
        if device is not None and not device.probed_at:
            return device, "disk_serial"
    return None, None


def identity_text(probe: dict[str, Any]) -> str:
    """How this laptop identifies itself, for messages: "serial PF0ABC12, disk S3Z...", ..."""
    bits = []
    serial = (probe.get("system") or {}).get("serial")
    bits.append(_("serial {serial}").format(serial=serial) if serial else _("no serial number"))
    disks = _internal_disk_serials(probe)
    if disks:
        bits.append(_("disk {serial}").format(serial=", ".join(disks)))
    return ", ".join(bits)


def no_match_error(probe: dict[str, Any]) -> Exception:
    from refurb.errors import Refused

    return Refused(
        _("no asset matches this laptop ({identity})").format(identity=identity_text(probe)),
        _("add --create to register it as a new asset, or give one: refurb probe --save RF-..."),
    )


def record(
    store: Any, probe: dict[str, Any], *, asset: str | None = None, create: bool = False
) -> dict[str, Any]:
    """Append a ``probe`` event to ``asset``, to the device found by serial, or to a new device.

    Returns ``{"asset_id", "event_id", "created", "matched_by", "mismatch"}``. Without ``asset``
    and without a match, a new device is registered only when ``create`` is true (else
    :class:`Refused`).
    """
    matched_by = None
    created = False
    if asset is not None:
        device = store.get_device(asset)
        matched_by = "asset"
    else:
        device, matched_by = find_asset(store, probe)
        if device is None:
            if not create:
                raise no_match_error(probe)
            system = probe.get("system") or {}
            device = store.intake(
                {
                    "serial": system.get("serial"),
                    "manufacturer": vendor_name(system.get("manufacturer")),
                    "model": system.get("model"),
                    "notes": _("registered by refurb probe"),
                }
            )
            created = True
    event = store.append(device.asset_id, "probe", {"probe": probe})
    from refurb.intake.reconcile import mismatches

    return {
        "asset_id": device.asset_id,
        "event_id": getattr(event, "id", None),
        "created": created,
        "matched_by": matched_by,
        # where the intake record (the donor's sheet) and this probe disagree
        "mismatch": mismatches(store.device_state(store.get_device(device.asset_id))),
    }
