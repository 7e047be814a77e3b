"""``lspci -mm -nn`` -> PCI devices, and the graphics adapters among them.

Result::

    {"devices": [{"slot", "class", "class_id", "vendor", "vendor_id", "device", "device_id"}],
     "gpus": [{"vendor", "model", "pci_id"}], "warnings": [str]}

Each line is ``slot "class [cccc]" "vendor [vvvv]" "device [dddd]" -rXX -pXX "subvendor"
"subdevice"`` (shell-quoted). Graphics are PCI classes 0300 (VGA), 0302 (3D) and 0380 (other
display).
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from refurb.i18n import _

_NAMED = re.compile(r"^(.*?)\s*\[([0-9a-fA-F]{4})\]$")
_GPU_CLASSES = ("0300", "0302", "0380")
_SHORT_VENDORS = {
    "8086": "Intel",
    "1002": "AMD",
    "1022": "AMD",
    "10de": "NVIDIA",
    "1af4": "Red Hat (virtio)",
    "15ad": "VMware",
    "1234": "QEMU",
    "80ee": "VirtualBox",
    "102b": "Matrox",
    "5143": "Qualcomm",
}


def _split(value: str) -> tuple[str | None, str | None]:
    match = _NAMED.match(value.strip())
    if match:
        return match.group(1).strip() or None, match.group(2).lower()
    return (value.strip() or None), None


def parse(text: str | bytes) -> dict[str, Any]:
    """Devices from lspci's machine-readable output; never raises on garbled input."""
    result: dict[str, Any] = {"devices": [], "gpus": [], "warnings": []}
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    for line in text.splitlines() if isinstance(text, str) else []:
        try:
            parts = shlex.split(line)
        except ValueError:
            continue
        positional = [p for p in parts if not re.match(r"^-[a-z]", p)]
        if len(positional) < 4 or not re.match(r"^[0-9a-fA-F:.]+$", positional[0]):
            continue
        cls, cls_id = _split(positional[1])
        vendor, vendor_id = _split(positional[2])
        device, device_id = _split(positional[3])
        entry = {
            "slot": positional[0],
            "class": cls,
            "class_id": cls_id,
            "vendor": vendor,
            "vendor_id": vendor_id,
            "device": device,
            "device_id": device_id,
        }
        result["devices"].append(entry)
        if cls_id in _GPU_CLASSES or (cls_id is None and cls and "VGA" in cls):
            result["gpus"].append(
                {
                    "vendor": _SHORT_VENDORS.get(vendor_id or "", vendor),
                    "model": device,
                    "pci_id": f"{vendor_id}:{device_id}" if vendor_id and device_id else None,
                }
            )
    if not result["devices"]:
        result["warnings"].append(_("no PCI devices in lspci output (run `lspci -mm -nn`)"))
    return result
