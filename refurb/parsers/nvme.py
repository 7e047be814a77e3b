"""nvme-cli output -> what an NVMe firmware erase depends on.

``parse(text)`` (= ``parse_id_ctrl``) reads `nvme id-ctrl DEV -o json` (also the plain and ``-H``
text forms, so a capture pasted from a terminal works too)::

    {
      "identified": bool,
      "model": str|null, "serial": str|null, "firmware": str|null,
      "namespaces": int|null,                  # nn: namespaces the controller supports
      "capacity_bytes": int|null,              # tnvmcap
      "oacs": int|null, "sanicap": int|null, "fna": int|null,
      "format_supported": bool,                # oacs bit 1: Format NVM
      "format_crypto_erase": bool,             # fna bit 2: crypto erase as part of secure erase
      "format_all_namespaces": bool,           # fna bit 0: a format acts on every namespace
      "secure_erase_all_namespaces": bool,     # fna bit 1: a secure erase acts on every namespace
      "sanitize": {"crypto_erase": bool, "block_erase": bool, "overwrite": bool},
      "warnings": [str]
    }

``parse_sanitize_log(text)`` reads `nvme sanitize-log DEV -o json` (or its text form)::

    {"valid": bool, "sprog": int|null, "progress": float|null (0..1), "status": int|null,
     "status_text": str|null, "global_erased": bool|null, "passes": int|null,
     "in_progress": bool, "completed": bool, "failed": bool, "warnings": [str]}

Sanitize status codes (NVMe base spec, SSTAT bits 2:0): 0 never sanitized, 1 completed,
2 in progress, 3 failed, 4 completed without deallocation.
"""

from __future__ import annotations

import json
import re
from typing import Any

_TEXT_LINE = re.compile(r"^([a-z][a-z0-9_]*)\s*:\s*(.*?)\s*$")


def _to_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text, 16) if text.lower().startswith("0x") else int(text)
        except ValueError:
            return None
    return None


def _to_str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _load(text: str) -> tuple[dict[str, Any], list[str]]:
    """JSON object, or the ``key : value`` lines of nvme-cli's text output."""
    warnings: list[str] = []
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            warnings.append(f"invalid JSON at line {exc.lineno}: {exc.msg}")
            return {}, warnings
        if isinstance(data, dict):
            return data, warnings
        warnings.append("JSON is not an object")
        return {}, warnings
    data: dict[str, Any] = {}
    for line in stripped.splitlines():
        if line[:1].isspace():
            continue  # -H detail lines ("  [2:2] : 0x1 ...")
        m = _TEXT_LINE.match(line)
        if m:
            data.setdefault(m.group(1), m.group(2))
    return data, warnings


def parse_id_ctrl(text: str) -> dict[str, Any]:
    """Parse `nvme id-ctrl`; never raises (garbled input -> identified false + warnings)."""
    result: dict[str, Any] = {
        "identified": False,
        "model": None,
        "serial": None,
        "firmware": None,
        "namespaces": None,
        "capacity_bytes": None,
        "oacs": None,
        "sanicap": None,
        "fna": None,
        "format_supported": False,
        "format_crypto_erase": False,
        "format_all_namespaces": False,
        "secure_erase_all_namespaces": False,
        "sanitize": {"crypto_erase": False, "block_erase": False, "overwrite": False},
        "warnings": [],
    }
    if not isinstance(text, str) or not text.strip():
        result["warnings"].append("empty nvme id-ctrl output")
        return result
    data, warnings = _load(text)
    result["warnings"].extend(warnings)
    result["model"] = _to_str(data.get("mn"))
    result["serial"] = _to_str(data.get("sn"))
    result["firmware"] = _to_str(data.get("fr"))
    result["namespaces"] = _to_int(data.get("nn"))
    result["capacity_bytes"] = _to_int(data.get("tnvmcap"))
    oacs, sanicap, fna = (_to_int(data.get(k)) for k in ("oacs", "sanicap", "fna"))
    result.update(oacs=oacs, sanicap=sanicap, fna=fna)
    if oacs is not None:
        result["format_supported"] = bool(oacs & 0x2)
    if fna is not None:
        result["format_all_namespaces"] = bool(fna & 0x1)
        result["secure_erase_all_namespaces"] = bool(fna & 0x2)
        result["format_crypto_erase"] = bool(fna & 0x4)
    if sanicap is not None:
        result["sanitize"] = {
            "crypto_erase": bool(sanicap & 0x1),
            "block_erase": bool(sanicap & 0x2),
            "overwrite": bool(sanicap & 0x4),
        }
    result["identified"] = bool(result["model"] or result["serial"]) and any(
        v is not None for v in (oacs, sanicap, fna)
    )
    if not result["identified"]:
        result["warnings"].append("no NVMe Identify Controller data in the output")
    return result


parse = parse_id_ctrl

_STATUS_IN_TEXT = re.compile(r"\((\d+)\)")
_STATUS_WORDS = {
    "never": 0,
    "completed successfully": 1,
    "in progress": 2,
    "failed": 3,
}


def parse_sanitize_log(text: str) -> dict[str, Any]:
    """Parse `nvme sanitize-log`; never raises."""
    result: dict[str, Any] = {
        "valid": False,
        "sprog": None,
        "progress": None,
        "status": None,
        "status_text": None,
        "global_erased": None,
        "passes": None,
        "in_progress": False,
        "completed": False,
        "failed": False,
        "warnings": [],
    }
    if not isinstance(text, str) or not text.strip():
        result["warnings"].append("empty nvme sanitize-log output")
        return result
    data, warnings = _load(text)
    result["warnings"].extend(warnings)
    # JSON nests everything under the device name: {"nvme0": {"sprog": ..., "sstat": {...}}}
    if "sprog" not in data:
        for value in data.values():
            if isinstance(value, dict) and "sprog" in value:
                data = value
                break
    sprog = _to_int(data.get("sprog"))
    sstat = data.get("sstat")
    status: int | None = None
    status_text: str | None = None
    if isinstance(sstat, dict):
        result["global_erased"] = _bool_or_none(sstat.get("global_erased"))
        result["passes"] = _to_int(sstat.get("no_cmplted_passes"))
        # nvme-cli 2.x prints status as "(1) Sanitize Operation Completed Successfully";
        # one release used the text itself as the key, so look at every value.
        for value in sstat.values():
            if isinstance(value, str) and (m := _STATUS_IN_TEXT.search(value)):
                status = int(m.group(1))
                status_text = value[m.end() :].strip() or None
                break
    elif sstat is not None:
        raw = _to_int(sstat)
        if raw is not None:
            status = raw & 0x7
            result["passes"] = (raw >> 3) & 0x1F
            result["global_erased"] = bool(raw & 0x100)
    if status is None:
        for key in ("status", "sstat_status"):
            if isinstance(data.get(key), str):
                lowered = data[key].lower()
                for words, code in _STATUS_WORDS.items():
                    if words in lowered:
                        status = code
                        break
    result["sprog"] = sprog
    if sprog is not None:
        result["progress"] = 1.0 if sprog == 0xFFFF else round(sprog / 65536, 4)
    result["status"] = status
    result["status_text"] = status_text
    result["in_progress"] = status == 2
    result["completed"] = status in (1, 4)
    result["failed"] = status == 3
    result["valid"] = status is not None
    if not result["valid"]:
        result["warnings"].append("no sanitize status in the output")
    return result


def _bool_or_none(value: Any) -> bool | None:
    number = _to_int(value)
    return None if number is None else bool(number)
