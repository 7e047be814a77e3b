"""Batteries, screens, graphics, network, TPM, Secure Boot and the OS of a probe (pure: no I/O)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from refurb.i18n import _
from refurb.parsers import (
    battery,
    edid,
    lspci,
    os_release,
    sysfs,
)
from refurb.probe.sources import EFI_MARKER, SECURE_BOOT_VAR, _gone, _prefixed

if TYPE_CHECKING:
    from refurb.probe.sources import Sources


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
            # A USB adapter or dock travels between laptops: its MAC is no id of this one.
            iface["bus"] = sysfs.device_bus(_sys_text(src, f"{base}/device/uevent"))
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
