"""The ``refurb.probe/1`` dict from :class:`~refurb.probe.sources.Sources` (pure: no I/O).

The machine, its firmware, CPU, memory and disks are here; batteries, screens, graphics, network,
TPM, Secure Boot and the OS are in :mod:`refurb.probe.peripherals`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from refurb import disks as disk_model
from refurb.i18n import _
from refurb.parsers import (
    clean,
    cpuinfo,
    dmidecode,
    lsblk,
    meminfo,
    smartctl,
)
from refurb.probe.peripherals import (
    _batteries,
    _displays,
    _gpus,
    _network,
    _os,
    _secure_boot,
    _tpm,
)
from refurb.probe.sources import (
    CPU_MAX_FREQ,
    DMI_ID,
    DMI_ID_FILES,
    _gone,
    _prefixed,
)

if TYPE_CHECKING:
    from refurb.probe.sources import Sources

SCHEMA = "refurb.probe/1"
# Top-level sections whose every value null means "nothing usable was read".
SECTIONS = ("system", "bios", "cpu", "memory")
LIST_SECTIONS = ("disks", "batteries", "displays", "gpus", "network")

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


def is_empty(probe: dict[str, Any]) -> bool:
    """True when the probe holds no fact at all (every section null or empty)."""
    for key in SECTIONS:
        section = probe.get(key) or {}
        if any(v not in (None, [], {}) for v in section.values()):
            return False
    if any(probe.get(key) for key in LIST_SECTIONS):
        return False
    return probe.get("tpm") is None and probe.get("os") is None
