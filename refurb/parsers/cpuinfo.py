"""``/proc/cpuinfo`` -> processor model, vendor, cores, threads and architecture.

Result::

    {"model", "vendor", "cores", "threads", "arch", "mhz", "hypervisor", "warnings": [str]}

``cores`` counts distinct (physical id, core id) pairs, so hyper-threads are not counted twice;
``threads`` is the number of logical processors. ARM boards print other keys (``CPU implementer``,
``CPU architecture``) and often no model name; what is missing stays None.
"""

from __future__ import annotations

from typing import Any

from refurb.i18n import _
from refurb.parsers import clean

_VENDORS = {
    "GenuineIntel": "Intel",
    "AuthenticAMD": "AMD",
    "HygonGenuine": "Hygon",
    "CentaurHauls": "Centaur",
    "Shanghai": "Zhaoxin",
}
_ARM_IMPLEMENTERS = {
    "0x41": "ARM",
    "0x42": "Broadcom",
    "0x43": "Cavium",
    "0x48": "HiSilicon",
    "0x4e": "NVIDIA",
    "0x51": "Qualcomm",
    "0x53": "Samsung",
    "0x61": "Apple",
}


def processors(text: str) -> list[dict[str, str]]:
    """One dict per ``processor`` stanza (key: value lines separated by blank lines)."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
                current = {}
            continue
        key, sep, value = line.partition(":")
        if sep:
            current.setdefault(key.strip().lower(), value.strip())
    if current:
        blocks.append(current)
    return blocks


def parse(text: str | bytes) -> dict[str, Any]:
    """Facts from /proc/cpuinfo; never raises on garbled input."""
    result: dict[str, Any] = dict.fromkeys(
        ("model", "vendor", "cores", "threads", "arch", "mhz", "hypervisor")
    )
    result["warnings"] = []
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    blocks = processors(text) if isinstance(text, str) else []
    cpus = [b for b in blocks if clean.to_int(b.get("processor")) is not None]
    if not cpus:
        result["warnings"].append(_("no processor entries in cpuinfo"))
        return result
    first = cpus[0]
    globals_ = next((b for b in blocks if "processor" not in b), {})  # ARM: Hardware, Model

    model = first.get("model name") or globals_.get("model") or globals_.get("hardware")
    model = clean.text(model)
    result["model"] = " ".join(model.split()) if model else None
    vendor_id = first.get("vendor_id", "")
    implementer = first.get("cpu implementer", "").lower()
    result["vendor"] = _VENDORS.get(vendor_id) or _ARM_IMPLEMENTERS.get(implementer)
    if result["vendor"] is None:
        result["vendor"] = clean.text(vendor_id)
    result["threads"] = len(cpus)

    pairs = {
        (b.get("physical id"), b.get("core id"))
        for b in cpus
        if b.get("physical id") is not None and b.get("core id") is not None
    }
    if pairs:
        result["cores"] = len(pairs)
    else:
        per_socket = clean.to_int(first.get("cpu cores"))
        result["cores"] = per_socket or len(cpus)

    flags = set(first.get("flags", "").split())
    arch_number = clean.to_int(first.get("cpu architecture"))
    if flags:
        result["arch"] = "x86_64" if "lm" in flags else "i686"
    elif arch_number is not None:
        result["arch"] = "aarch64" if arch_number >= 8 else f"armv{arch_number}l"
    result["hypervisor"] = "hypervisor" in flags
    try:
        result["mhz"] = round(float(first.get("cpu mhz", "")))
    except ValueError:
        result["mhz"] = None
    return result
