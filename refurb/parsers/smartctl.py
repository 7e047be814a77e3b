"""``smartctl -x --json`` output -> one disk's identity and health facts.

Result::

    {"name", "model", "serial", "capacity_bytes", "protocol" (ATA|NVMe|SCSI), "usb_bridge",
     "rotational", "smart_passed", "power_on_hours", "reallocated_sectors", "pending_sectors",
     "nvme_percentage_used", "nvme_media_errors", "exit_status", "flags": [str], "warnings": [str]}

smartctl's exit status is a bit mask (``man smartctl``, EXIT STATUS) and most of its bits are facts
about the disk, not errors of the program: bit 3 means SMART says the disk is failing, bits 4-7
report worn attributes and errors in the logs. They become ``flags``; only bits 0-2 (bad command
line, device could not be opened, a SMART command failed) mean the data is incomplete.
``serial`` is kept verbatim here (the probe drops placeholders and masked serials).
"""

from __future__ import annotations

import json
from typing import Any

from refurb.i18n import _
from refurb.parsers import clean

EXIT_BITS = (
    (0, "command_line_error"),
    (1, "open_failed"),
    (2, "smart_command_failed"),
    (3, "failing"),
    (4, "prefail_at_threshold"),
    (5, "past_threshold"),
    (6, "error_log"),
    (7, "selftest_errors"),
)

FIELDS = (
    "name",
    "model",
    "serial",
    "capacity_bytes",
    "protocol",
    "usb_bridge",
    "rotational",
    "smart_passed",
    "power_on_hours",
    "reallocated_sectors",
    "pending_sectors",
    "nvme_percentage_used",
    "nvme_media_errors",
    "exit_status",
)


def _empty() -> dict[str, Any]:
    result: dict[str, Any] = dict.fromkeys(FIELDS)
    result["flags"] = []
    result["warnings"] = []
    return result


def _load(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        start, end = text.find("{"), text.rfind("}")
        if 0 <= start < end:
            try:
                return json.loads(text[start : end + 1])
            except ValueError:
                return None
    return None


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _attribute(data: dict[str, Any], attr_id: int) -> int | None:
    table = _get(data, "ata_smart_attributes", "table")
    if not isinstance(table, list):
        return None
    for row in table:
        if isinstance(row, dict) and row.get("id") == attr_id:
            return clean.to_int(_get(row, "raw", "value"))
    return None


def flags_from_exit_status(status: int | None) -> list[str]:
    """Names of the bits set in smartctl's exit status."""
    if not isinstance(status, int) or isinstance(status, bool) or status < 0:
        return []
    return [name for bit, name in EXIT_BITS if status & (1 << bit)]


def parse(text: str | bytes) -> dict[str, Any]:
    """Facts from one smartctl JSON document; never raises on garbled input."""
    result = _empty()
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if not isinstance(text, str) or not text.strip():
        result["warnings"].append(_("empty smartctl output"))
        return result
    data = _load(text)
    if not isinstance(data, dict):
        result["warnings"].append(_("smartctl output is not JSON (was it run with --json?)"))
        return result

    status = clean.to_int(_get(data, "smartctl", "exit_status"))
    result["exit_status"] = status
    result["flags"] = flags_from_exit_status(status)
    messages = _get(data, "smartctl", "messages")
    errors = (
        [
            m.get("string")
            for m in messages
            if isinstance(m, dict)
            and m.get("severity") == "error"
            and isinstance(m.get("string"), str)
        ]
        if isinstance(messages, list)
        else []
    )

    device = data.get("device") if isinstance(data.get("device"), dict) else {}
    name = device.get("name")
    if isinstance(name, str) and name.strip():
        result["name"] = name.strip().rsplit("/", 1)[-1]
    protocol = device.get("protocol")
    result["protocol"] = protocol if protocol in ("ATA", "NVMe", "SCSI") else None
    dev_type = str(device.get("type") or "")
    info_name = str(device.get("info_name") or "")
    if result["protocol"] is not None:
        result["usb_bridge"] = dev_type.startswith("usb") or "[USB" in info_name

    model = data.get("model_name") or data.get("scsi_model_name")
    if not model and data.get("scsi_vendor") and data.get("scsi_product"):
        model = f"{data['scsi_vendor']} {data['scsi_product']}"
    result["model"] = clean.text(model) if isinstance(model, str) else None
    serial = data.get("serial_number")
    result["serial"] = serial.strip() if isinstance(serial, str) and serial.strip() else None

    capacity = clean.to_int(_get(data, "user_capacity", "bytes"))
    if capacity is None:
        capacity = clean.to_int(data.get("nvme_total_capacity"))
    result["capacity_bytes"] = capacity if capacity and capacity > 0 else None

    rate = data.get("rotation_rate")
    if result["protocol"] == "NVMe":
        result["rotational"] = False
    elif isinstance(rate, int) and not isinstance(rate, bool):
        result["rotational"] = rate > 0

    passed = _get(data, "smart_status", "passed")
    result["smart_passed"] = passed if isinstance(passed, bool) else None
    if result["smart_passed"] is None and "failing" in result["flags"]:
        result["smart_passed"] = False
    result["power_on_hours"] = clean.to_int(_get(data, "power_on_time", "hours"))

    if result["protocol"] == "ATA":
        result["reallocated_sectors"] = _attribute(data, 5)
        result["pending_sectors"] = _attribute(data, 197)
    health = data.get("nvme_smart_health_information_log")
    if isinstance(health, dict):
        result["nvme_percentage_used"] = clean.to_int(health.get("percentage_used"))
        result["nvme_media_errors"] = clean.to_int(health.get("media_errors"))

    if "open_failed" in result["flags"] or "command_line_error" in result["flags"]:
        detail = errors[0] if errors else "no details"
        result["warnings"].append(
            _("smartctl could not read the disk: {detail}").format(detail=detail)
        )
    elif "smart_command_failed" in result["flags"]:
        result["warnings"].append(_("a SMART command failed: the health data may be incomplete"))
    if status is None and not device:
        result["warnings"].append(_("smartctl output has no device and no exit status"))
    return result


def identity(text: str) -> dict[str, Any]:
    """The identity part of ``smartctl -i --json`` (what erasure discovery reads): ``model,
    serial, firmware, vendor, protocol, device_type, size_bytes, rotation_rate, wwn``, only the
    keys smartctl gave; ``{}`` for empty or garbled input."""
    try:
        data = json.loads(text) if text and text.strip() else {}
    except json.JSONDecodeError:
        return {}
    if not isinstance(data, dict):
        return {}
    device = data.get("device") if isinstance(data.get("device"), dict) else {}
    capacity = data.get("user_capacity") if isinstance(data.get("user_capacity"), dict) else {}

    def text_of(value: Any) -> str | None:
        return str(value).strip() or None if value is not None else None

    out: dict[str, Any] = {
        "model": text_of(data.get("model_name") or data.get("scsi_model_name")),
        "serial": text_of(data.get("serial_number")),
        "firmware": text_of(data.get("firmware_version") or data.get("scsi_revision")),
        "vendor": text_of(data.get("model_family") or data.get("scsi_vendor")),
        "protocol": text_of(device.get("protocol")),
        "device_type": text_of(device.get("type")),
        "size_bytes": capacity.get("bytes") or data.get("nvme_total_capacity"),
        "rotation_rate": data.get("rotation_rate"),
        "wwn": None,
    }
    wwn = data.get("wwn")
    if isinstance(wwn, dict) and {"naa", "oui", "id"} <= set(wwn):
        out["wwn"] = f"0x{wwn['naa']:x}{wwn['oui']:06x}{wwn['id']:09x}"
    return {k: v for k, v in out.items() if v is not None}
