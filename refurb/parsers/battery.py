"""``/sys/class/power_supply/<name>/uevent`` -> battery identity, capacity and health.

The kernel reports either energy (``ENERGY_*``, µWh) or charge (``CHARGE_*``, µAh) depending on
the firmware; charge converts to energy with the design minimum voltage (µV). Health is the full
capacity now over the design capacity. A cycle count of 0 means "not reported" on most laptops.
See the kernel's ``Documentation/ABI/testing/sysfs-class-power``.

Result::

    {"name", "type", "scope", "is_battery", "present", "status", "technology", "manufacturer",
     "model", "serial", "design_wh", "full_wh", "now_wh", "health_pct", "capacity_pct",
     "cycle_count", "warnings": [str]}

``is_battery`` is false for chargers (``Mains``, ``USB``) and for the batteries of devices such as
wireless mice (``POWER_SUPPLY_SCOPE=Device``).
"""

from __future__ import annotations

from typing import Any

from refurb.i18n import _
from refurb.parsers import clean

FIELDS = (
    "name",
    "type",
    "scope",
    "is_battery",
    "present",
    "status",
    "technology",
    "manufacturer",
    "model",
    "serial",
    "design_wh",
    "full_wh",
    "now_wh",
    "health_pct",
    "capacity_pct",
    "cycle_count",
)


def properties(text: str) -> dict[str, str]:
    """``KEY=value`` lines, with the ``POWER_SUPPLY_`` prefix removed."""
    props: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key or not key.replace("_", "").isalnum():
            continue
        props[key.removeprefix("POWER_SUPPLY_")] = value.strip()
    return props


def _micro(props: dict[str, str], key: str) -> int | None:
    value = clean.to_int(props.get(key))
    return value if value is not None and value >= 0 else None


def _wh(micro_wh: int | None) -> float | None:
    return None if micro_wh is None else round(micro_wh / 1_000_000, 2)


def parse(text: str | bytes) -> dict[str, Any]:
    """Facts from one power_supply uevent; never raises on garbled input."""
    result: dict[str, Any] = dict.fromkeys(FIELDS)
    result["warnings"] = []
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if not isinstance(text, str):
        text = ""
    props = properties(text)
    if not props:
        result["warnings"].append(_("no power-supply properties in the uevent file"))
        result["is_battery"] = False
        return result

    result["name"] = clean.text(props.get("NAME"))
    result["type"] = clean.text(props.get("TYPE"))
    result["scope"] = clean.text(props.get("SCOPE"))
    present = clean.to_int(props.get("PRESENT"))
    result["present"] = None if present is None else present != 0
    result["is_battery"] = (result["type"] or "Battery").lower() == "battery" and (
        (result["scope"] or "System").lower() != "device"
    )
    result["status"] = clean.text(props.get("STATUS"))
    result["technology"] = clean.text(props.get("TECHNOLOGY"))
    result["manufacturer"] = clean.text(props.get("MANUFACTURER"))
    result["model"] = clean.text(props.get("MODEL_NAME"))
    result["serial"] = clean.text(props.get("SERIAL_NUMBER"))
    result["capacity_pct"] = clean.to_int(props.get("CAPACITY"))
    cycles = clean.to_int(props.get("CYCLE_COUNT"))
    result["cycle_count"] = cycles if cycles and cycles > 0 else None

    design = _micro(props, "ENERGY_FULL_DESIGN")
    full = _micro(props, "ENERGY_FULL")
    now = _micro(props, "ENERGY_NOW")
    ratio_design, ratio_full = design, full
    if design is None and full is None:
        charge_design = _micro(props, "CHARGE_FULL_DESIGN")
        charge_full = _micro(props, "CHARGE_FULL")
        charge_now = _micro(props, "CHARGE_NOW")
        ratio_design, ratio_full = charge_design, charge_full
        volts = _micro(props, "VOLTAGE_MIN_DESIGN") or _micro(props, "VOLTAGE_MAX_DESIGN")
        if volts:
            design = None if charge_design is None else charge_design * volts // 1_000_000
            full = None if charge_full is None else charge_full * volts // 1_000_000
            now = None if charge_now is None else charge_now * volts // 1_000_000
    result["design_wh"] = _wh(design) if design else None
    result["full_wh"] = _wh(full)
    result["now_wh"] = _wh(now)
    if ratio_design and ratio_full is not None:
        result["health_pct"] = round(100 * ratio_full / ratio_design, 1)
    elif result["is_battery"] and result["present"] is not False:
        result["warnings"].append(
            _("the battery does not report its design and full capacity: health unknown")
        )
    return result
