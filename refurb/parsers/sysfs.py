"""Small sysfs facts: network interfaces, TPM version, Secure Boot state.

Pure functions of the file contents the probe read (live from ``/sys`` or from a captured
folder's ``sys/`` mirror), so they are tested like every other parser.
"""

from __future__ import annotations

import re

from refurb.parsers import clean

_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
ARPHRD_ETHER = 1


def uevent(text: str | bytes | None) -> dict[str, str]:
    """``KEY=value`` lines of a sysfs uevent file."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    found: dict[str, str] = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            found[key.strip()] = value.strip()
    return found


def mac_address(text: str | bytes | None) -> str | None:
    """A MAC address in lower case, or None for empty, malformed and all-zero addresses."""
    if isinstance(text, bytes):
        text = text.decode("ascii", errors="replace")
    value = (text or "").strip().lower()
    if not _MAC.match(value) or value in ("00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"):
        return None
    return value


def device_bus(uevent_text: str | bytes | None) -> str | None:
    """The bus a device sits on (``pci``, ``usb``, ``virtio``, ``sdio``...), from the ``MODALIAS``
    of its ``device/uevent``; None when the file says nothing."""
    props = uevent(uevent_text)
    alias = props.get("MODALIAS", "")
    bus, sep, _rest = alias.partition(":")
    if sep and re.fullmatch(r"[a-z0-9_]+", bus.lower()):
        return bus.lower()
    if props.get("DEVTYPE", "").lower().startswith("usb_"):
        return "usb"
    return None


def network_interface(
    name: str,
    uevent_text: str | bytes | None,
    type_text: str | bytes | None,
    address_text: str | bytes | None,
    physical: bool,
) -> dict[str, str | None] | None:
    """``{"name", "kind", "mac"}`` for a physical network interface, None for virtual ones.

    ``kind`` is ``wifi`` (DEVTYPE=wlan), ``wwan`` (mobile broadband) or ``ethernet``.
    """
    if not physical:
        return None
    props = uevent(uevent_text)
    devtype = props.get("DEVTYPE", "").lower()
    if isinstance(type_text, bytes):
        type_text = type_text.decode("ascii", errors="replace")
    arp_type = clean.to_int((type_text or "").strip())
    if devtype == "wlan":
        kind = "wifi"
    elif devtype == "wwan":
        kind = "wwan"
    elif arp_type in (ARPHRD_ETHER, None) and devtype in ("", "ethernet"):
        kind = "ethernet"
    else:
        return None
    return {"name": props.get("INTERFACE") or name, "kind": kind, "mac": mac_address(address_text)}


def tpm_version(major: str | bytes | None, caps: str | bytes | None = None) -> str | None:
    """ "2.0" or "1.2" from ``tpm_version_major`` (kernel 5.x+) or the TPM 1.2 ``caps`` file."""
    if isinstance(major, bytes):
        major = major.decode("ascii", errors="replace")
    if isinstance(caps, bytes):
        caps = caps.decode("ascii", errors="replace")
    number = clean.to_int((major or "").strip())
    if number == 2:
        return "2.0"
    if number == 1:
        return "1.2"
    match = re.search(r"TCG version:\s*(\d+\.\d+)", caps or "")
    return match.group(1) if match else None


def secure_boot(efivar: bytes | None) -> bool | None:
    """State from the ``SecureBoot-8be4df61-...`` EFI variable (4 attribute bytes + 1 value)."""
    if not isinstance(efivar, bytes) or len(efivar) < 5:
        return None
    if efivar[4] not in (0, 1):
        return None
    return efivar[4] == 1
