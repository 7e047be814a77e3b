"""`hdparm -I DEVICE` text -> the facts an ATA firmware erase depends on.

Result (keys always present; null where the output did not say)::

    {
      "identified": bool,            # a real IDENTIFY DEVICE answer (model or security seen)
      "model": str|null, "serial": str|null, "firmware": str|null, "transport": str|null,
      "rotational": bool|null,       # "Solid State Device" -> false, an rpm -> true
      "logical_sector_size": int|null, "size_bytes": int|null,   # LBA48 sectors x logical size
      "security": {
        "present": bool,             # a "Security:" section exists
        "supported": bool|null, "enabled": bool|null, "locked": bool|null,
        "frozen": bool|null, "expired": bool|null,
        "enhanced_erase": bool|null,
        "level": "high"|"maximum"|null,
        "master_password_revision": int|null,
        "erase_minutes": int|null, "enhanced_erase_minutes": int|null,
        "erase_minutes_more_than": bool   # hdparm printed "more than N min"
      },
      "sanitize": {"supported": bool, "block_erase": bool, "crypto_scramble": bool,
                   "overwrite": bool},
      "encrypts_all_data": bool,     # "Device encrypts all user data"
      "warnings": [str]
    }

hdparm prints the security flags as ``<TAB>not<TAB>frozen`` / ``<TAB><TAB>frozen``; copies pasted
through terminals often have spaces instead of tabs, so both are accepted.
"""

from __future__ import annotations

import re
from typing import Any

_FIELD = re.compile(r"^\s*(Model Number|Serial Number|Firmware Revision|Transport):\s*(.*?)\s*$")
_ERASE_TIME = re.compile(r"(more than\s+)?(\d+)\s*min for (ENHANCED )?SECURITY ERASE UNIT", re.I)
_LBA48 = re.compile(r"LBA48\s+user addressable sectors:\s*(\d+)")
_LBA28 = re.compile(r"LBA\s+user addressable sectors:\s*(\d+)")
_LOGICAL = re.compile(r"Logical\s+Sector size:\s*(\d+)\s*bytes")
_ROTATION = re.compile(r"Nominal Media Rotation Rate:\s*(.+?)\s*$")
_MASTER = re.compile(r"Master password revision code\s*=\s*(\d+)")


def _empty() -> dict[str, Any]:
    return {
        "identified": False,
        "model": None,
        "serial": None,
        "firmware": None,
        "transport": None,
        "rotational": None,
        "logical_sector_size": None,
        "size_bytes": None,
        "security": {
            "present": False,
            "supported": None,
            "enabled": None,
            "locked": None,
            "frozen": None,
            "expired": None,
            "enhanced_erase": None,
            "level": None,
            "master_password_revision": None,
            "erase_minutes": None,
            "enhanced_erase_minutes": None,
            "erase_minutes_more_than": False,
        },
        "sanitize": {
            "supported": False,
            "block_erase": False,
            "crypto_scramble": False,
            "overwrite": False,
        },
        "encrypts_all_data": False,
        "warnings": [],
    }


def parse(text: str) -> dict[str, Any]:
    """Parse `hdparm -I` output; never raises (garbled input -> identified false + warnings)."""
    result = _empty()
    if not isinstance(text, str) or not text.strip():
        result["warnings"].append("empty hdparm -I output")
        return result
    lines = text.replace("\r\n", "\n").split("\n")
    sec = result["security"]
    in_security = False
    lba48 = lba28 = None
    for raw in lines:
        line = raw.rstrip()
        if not line:
            continue
        field = _FIELD.match(line)
        if field:
            key, value = field.groups()
            name = {
                "Model Number": "model",
                "Serial Number": "serial",
                "Firmware Revision": "firmware",
                "Transport": "transport",
            }[key]
            result[name] = value or None
            continue
        if line.startswith("Security:"):
            in_security = True
            sec["present"] = True
            continue
        if in_security and not line[:1].isspace():
            in_security = False
        if in_security:
            _security_line(line, sec)
            continue
        if m := _LBA48.search(line):
            lba48 = int(m.group(1))
        elif m := _LBA28.search(line):
            lba28 = int(m.group(1))
        elif m := _LOGICAL.search(line):
            result["logical_sector_size"] = int(m.group(1))
        elif m := _ROTATION.search(line):
            rate = m.group(1)
            if "solid state" in rate.lower():
                result["rotational"] = False
            elif re.match(r"^\d+", rate):
                result["rotational"] = True
        stripped = line.strip().lstrip("*").strip()
        lowered = stripped.lower()
        if lowered.startswith("sanitize feature set"):
            result["sanitize"]["supported"] = True
        elif lowered.startswith("block_erase_ext"):
            result["sanitize"]["block_erase"] = True
        elif lowered.startswith("crypto_scramble_ext"):
            result["sanitize"]["crypto_scramble"] = True
        elif lowered.startswith("overwrite_ext"):
            result["sanitize"]["overwrite"] = True
        elif lowered.startswith("device encrypts all user data"):
            result["encrypts_all_data"] = True
    sectors = lba48 or lba28
    if sectors and result["logical_sector_size"] is None and (result["model"] or sec["present"]):
        result["logical_sector_size"] = 512
    if sectors and result["logical_sector_size"]:
        result["size_bytes"] = sectors * result["logical_sector_size"]
    result["identified"] = bool(result["model"] or sec["present"])
    if not result["identified"]:
        result["warnings"].append("no ATA identification in hdparm -I output")
    elif not sec["present"]:
        result["warnings"].append("hdparm -I shows no Security section")
    return result


def _security_line(line: str, sec: dict[str, Any]) -> None:
    if m := _MASTER.search(line):
        sec["master_password_revision"] = int(m.group(1))
        return
    if m := _ERASE_TIME.search(line):
        for more, minutes, enhanced in _ERASE_TIME.findall(line):
            key = "enhanced_erase_minutes" if enhanced else "erase_minutes"
            sec[key] = int(minutes)
            if more:
                sec["erase_minutes_more_than"] = True
        return
    words = line.split()
    if not words:
        return
    if words[0].lower() == "security" and len(words) >= 3 and words[1].lower() == "level":
        sec["level"] = words[2].lower()
        return
    negated = words[0] == "not"
    rest = " ".join(words[1:] if negated else words).lower()
    value = not negated
    if rest == "supported":
        sec["supported"] = value
    elif rest == "enabled":
        sec["enabled"] = value
    elif rest == "locked":
        sec["locked"] = value
    elif rest == "frozen":
        sec["frozen"] = value
    elif rest.startswith("expired"):
        sec["expired"] = value
    elif rest.startswith("supported: enhanced erase"):
        sec["enhanced_erase"] = value


# -- hidden areas: `hdparm -N` and `hdparm --dco-identify` ----------------------------------------

_MAX_SECTORS = re.compile(r"max sectors\s*=\s*(\d+)\s*/\s*(\d+)\s*,?\s*\(?([^\n)]*)")
_SETTING = re.compile(r"setting max visible sectors to\s*(\d+)\s*\((permanent|temporary)\)")
_REAL_MAX = re.compile(r"Real max sectors:\s*(\d+)")


def parse_max_sectors(text: str) -> dict[str, Any]:
    """`hdparm -N DEVICE` -> current (visible) and native max sectors and whether an HPA hides some.

    ``{"valid": bool, "current": int|null, "native": int|null, "hpa_enabled": bool|null,
    "accessible_max_address": bool, "hidden_sectors": int|null, "set_to": int|null,
    "set_permanent": bool|null, "warnings": [str]}``. A bridge that does not pass the command
    through prints ``0/1`` or "bad/missing sense data": not valid, never "no HPA"."""
    out: dict[str, Any] = {
        "valid": False,
        "current": None,
        "native": None,
        "hpa_enabled": None,
        "accessible_max_address": False,
        "hidden_sectors": None,
        "set_to": None,
        "set_permanent": None,
        "warnings": [],
    }
    if not isinstance(text, str):
        out["warnings"].append("no hdparm -N output")
        return out
    if m := _SETTING.search(text):
        out["set_to"], out["set_permanent"] = int(m.group(1)), m.group(2) == "permanent"
    matches = _MAX_SECTORS.findall(text)
    if not matches:
        out["warnings"].append("no 'max sectors' line in hdparm -N output")
        return out
    current, native, rest = matches[-1]
    current_n, native_n = int(current), int(native)
    rest = rest.lower()
    out["accessible_max_address"] = "accessible max address" in rest
    if "bad/missing sense data" in text.lower() or "invalid" in rest or native_n <= 1:
        out["warnings"].append(
            f"hdparm -N gave {current}/{native}: the drive's answer cannot be trusted"
        )
        return out
    if current_n > native_n:
        out["warnings"].append(f"visible sectors {current} exceed native {native}")
        return out
    out.update(valid=True, current=current_n, native=native_n)
    out["hidden_sectors"] = native_n - current_n
    out["hpa_enabled"] = current_n < native_n
    return out


def parse_dco(text: str) -> dict[str, Any]:
    """`hdparm --dco-identify DEVICE` -> ``{"valid": bool, "real_max_sectors": int|null,
    "checksum_verified": bool, "hpa_feature": bool, "warnings": [str]}``.

    ``real_max_sectors`` is the size the drive has without its Device Configuration Overlay; more
    than `hdparm -N`'s native max means a DCO hides the difference."""
    out: dict[str, Any] = {
        "valid": False,
        "real_max_sectors": None,
        "checksum_verified": False,
        "hpa_feature": False,
        "warnings": [],
    }
    if not isinstance(text, str) or not text.strip():
        out["warnings"].append("empty hdparm --dco-identify output")
        return out
    m = _REAL_MAX.search(text)
    if m is None or int(m.group(1)) <= 1:
        out["warnings"].append("no usable 'Real max sectors' in hdparm --dco-identify output")
        return out
    out["valid"] = True
    out["real_max_sectors"] = int(m.group(1))
    out["checksum_verified"] = "dco checksum verified" in text.lower()
    out["hpa_feature"] = bool(
        re.search(r"^\s*ATA command/feature sets:\s*\n[^\n]*\bHPA\b", text, re.M)
    )
    return out


_SANITIZE_STATE = re.compile(r"State:\s*(SD\d)\b\s*([^\n]*)")
_SANITIZE_PROGRESS = re.compile(r"Progress:\s*0x([0-9a-fA-F]+)")


def parse_sanitize_status(text: str) -> dict[str, Any]:
    """`hdparm --sanitize-status DEVICE` (stdout and stderr together) -> the sanitize state.

    ``{"valid": bool, "state": "SD0".."SD4"|null, "in_progress": bool, "progress": float|null,
    "succeeded": bool, "failed": bool, "frozen": bool}``. hdparm prints ``State: SD2 Sanitize
    operation In Process`` / ``Progress: 0x41c2 (25%)`` while it runs, ``Last Sanitize Operation
    Completed Without Error`` once it succeeded, and ``SANITIZE device error reason: ...`` on
    stderr when the drive reports an error."""
    out: dict[str, Any] = {
        "valid": False,
        "state": None,
        "in_progress": False,
        "progress": None,
        "succeeded": False,
        "failed": False,
        "frozen": False,
    }
    if not isinstance(text, str):
        return out
    lowered = text.lower()
    if m := _SANITIZE_STATE.search(text):
        out["valid"] = True
        out["state"] = m.group(1)
        words = m.group(2).lower()
        out["in_progress"] = m.group(1) == "SD2" or "in process" in words
        out["frozen"] = m.group(1) == "SD1" or "frozen" in words
        out["failed"] = m.group(1) == "SD3" or "failed" in words
    if p := _SANITIZE_PROGRESS.search(text):
        out["progress"] = min(1.0, (int(p.group(1), 16) + 1) / 0xFFFF)
    out["succeeded"] = "completed without error" in lowered and not out["in_progress"]
    if "sanitize device error reason" in lowered:
        out["valid"], out["failed"] = True, True
        out["succeeded"] = False
    return out
