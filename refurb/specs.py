"""The facts a person reads about a laptop, worked out once: vendor names, CPU short names,
storage text and battery health. Used by the probe's summary, the device projection (``show``,
stock lists), labels and grading.

**Battery health** of a laptop is its pooled capacity: the sum of the batteries' full-charge
capacities over the sum of their design capacities (a ThinkPad with a worn internal battery and a
good external one runs as long as the pool says). Where a battery reports only a percentage, the
capacities cannot be pooled and the lowest percentage is taken. Values over 100 % (new cells)
count as 100 %.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from refurb import disks as disk_model
from refurb import units
from refurb.i18n import _

_INTERNAL_PANEL = re.compile(r"(^|-)(eDP|LVDS|DSI)(-|$)", re.I)

_VENDOR_NAMES = (
    ("lenovo", "Lenovo"),
    ("dell", "Dell"),
    ("hewlett-packard", "HP"),
    ("hp", "HP"),
    ("asustek", "ASUS"),
    ("asus", "ASUS"),
    ("acer", "Acer"),
    ("fujitsu", "Fujitsu"),
    ("toshiba", "Toshiba"),
    ("dynabook", "Dynabook"),
    ("apple", "Apple"),
    ("microsoft", "Microsoft"),
    ("samsung", "Samsung"),
    ("sony", "Sony"),
    ("medion", "Medion"),
    ("micro-star", "MSI"),
    ("gigabyte", "Gigabyte"),
    ("huawei", "Huawei"),
    ("panasonic", "Panasonic"),
    ("lg electronics", "LG"),
    ("google", "Google"),
    ("razer", "Razer"),
    ("framework", "Framework"),
    ("packard bell", "Packard Bell"),
    ("getac", "Getac"),
    ("chuwi", "Chuwi"),
    ("xiaomi", "Xiaomi"),
)
_GENERIC_MAKERS = frozenset({"notebook", "laptop", "notebook pc", "computer", "portable"})
# Panel sizes as sold; a diagonal measured from the panel's millimetres snaps to these.
_PANEL_INCHES = (
    10.1, 10.6, 11.6, 12.0, 12.1, 12.3, 12.5, 13.0, 13.3, 13.4, 13.5, 14.0, 14.1, 14.5,
    15.0, 15.4, 15.6, 16.0, 16.1, 17.0, 17.3, 18.4,
)  # fmt: skip


def vendor_name(manufacturer: str | None) -> str | None:
    """The short brand people use: "LENOVO" -> "Lenovo", "ASUSTeK COMPUTER INC." -> "ASUS".

    Clevo and other white-label boards say only "Notebook" (or "Laptop"): no brand, so None, or
    the label would read "Notebook NL40_50GU".
    """
    if not manufacturer:
        return None
    low = manufacturer.lower()
    if low.strip(" .") in _GENERIC_MAKERS:
        return None
    for prefix, name in _VENDOR_NAMES:
        if low == prefix or low.startswith((prefix + " ", prefix + ",", prefix + ".")):
            return name
        if prefix not in ("hp", "asus", "lg electronics") and low.startswith(prefix):
            return name
    return manufacturer


def cpu_name(model: str | None) -> str | None:
    """A processor name fit for a label: "Intel(R) Core(TM) i5-6200U CPU @ 2.30GHz" ->
    "Intel Core i5-6200U"; "AMD Ryzen 5 3500U with Radeon Vega Mobile Gfx" -> "AMD Ryzen 5 3500U".
    """
    if not model:
        return None
    name = re.sub(r"\((R|TM|tm|r)\)", "", model)
    name = re.sub(r"\s*@\s*[\d.]+\s*[GM]Hz.*$", "", name)
    name = re.sub(r"\s+(?:with|w/)\s*Radeon.*$", "", name, flags=re.I)
    name = re.sub(r"\bCore2\b", "Core 2", name)
    name = re.sub(r",\s*\d+\s+COMPUTE CORES.*$", "", name, flags=re.I)
    name = re.sub(r"\b(CPU|Processor)\b", "", name)
    name = re.sub(r"^\d+th Gen\s+", "", name.strip())
    name = re.sub(r"\s+\d+-Core$", "", name.strip())
    return " ".join(name.split()) or model


def disk_health(disk: dict[str, Any]) -> tuple[str, list[str]]:
    """``("good" | "worn" | "failing" | "unknown", reasons)`` from a probe disk's SMART facts."""
    reasons: list[str] = []
    flags = set(disk.get("smart_flags") or [])
    failing = disk.get("smart_passed") is False or "failing" in flags
    if disk.get("smart_passed") is False:
        reasons.append(_("SMART overall health: FAILED"))
    elif "failing" in flags:
        reasons.append(_("smartctl says the disk is failing"))
    if "prefail_at_threshold" in flags:
        failing = True
        reasons.append(_("a pre-failure attribute is at its threshold"))
    worn = False
    for key, template in (
        ("reallocated_sectors", _("{n} reallocated sectors")),
        ("pending_sectors", _("{n} pending sectors")),
        ("nvme_media_errors", _("{n} media errors")),
    ):
        value = disk.get(key)
        if isinstance(value, int) and value > 0:
            worn = True
            reasons.append(template.format(n=value))
    used = disk.get("nvme_percentage_used")
    if isinstance(used, int) and used >= 80:
        worn = True
        reasons.append(_("{n}% of its rated writes used").format(n=used))
    if "past_threshold" in flags:
        worn = True
        reasons.append(_("an attribute was at its threshold in the past"))
    if failing:
        return "failing", reasons
    if worn:
        return "worn", reasons
    if disk.get("smart_passed") is True:
        return "good", reasons
    return "unknown", reasons


def disk_kind(disk: Mapping[str, Any]) -> str | None:
    """ "NVMe SSD", "SSD", "HDD" or "eMMC" (see :func:`refurb.disks.kind`)."""
    return disk_model.kind(disk)


def screen_inches(display: dict[str, Any]) -> float | None:
    """The panel's marketed size: from its millimetres when they agree with the centimetres
    (snapped to a size panels are sold in), else the whole-centimetre diagonal."""
    size_mm = display.get("size_mm")
    cm_diagonal = display.get("diagonal_inches")
    if isinstance(size_mm, list) and len(size_mm) == 2 and all(isinstance(v, int) for v in size_mm):
        inches = (size_mm[0] ** 2 + size_mm[1] ** 2) ** 0.5 / 25.4
        agrees = cm_diagonal is None or abs(inches - cm_diagonal) <= 1.0
        if 7 <= inches <= 25 and agrees:
            nearest = min(_PANEL_INCHES, key=lambda s: abs(s - inches))
            return nearest if abs(nearest - inches) <= 0.1 else round(inches, 1)
    return cm_diagonal


def summary(probe: dict[str, Any]) -> dict[str, Any]:
    """The few facts a person looks for, from a ``refurb.probe/1`` dict.

    Keys: ``manufacturer, model, name, serial, cpu, cpu_cores, cpu_threads, ram_bytes,
    ram_from_modules, disks[] (name, model, serial, size_bytes, kind, health, reasons),
    storage_bytes, battery_health_pct, battery_count, screen, screen_inches, screen_resolution,
    warnings``. Only the laptop's own disks (:func:`refurb.disks.is_internal`) are in ``disks``.
    """
    system = probe.get("system") or {}
    cpu = probe.get("cpu") or {}
    memory = probe.get("memory") or {}
    vendor = vendor_name(system.get("manufacturer"))
    model = system.get("model")
    if model and vendor and not model.lower().startswith(vendor.lower()):
        name = f"{vendor} {model}"
    else:
        name = model or vendor

    disks = []
    for disk in disk_model.own_probe_disks(probe):
        health, reasons = disk_health(disk)
        disks.append(
            {
                "name": disk.get("name"),
                "model": disk.get("model"),
                "serial": disk.get("serial"),
                "size_bytes": disk.get("size_bytes"),
                "kind": disk_kind(disk),
                "health": health,
                "reasons": reasons,
            }
        )
    sizes = [d["size_bytes"] for d in disks if d["size_bytes"]]

    batteries = [b for b in probe.get("batteries") or [] if isinstance(b, Mapping)]
    battery_health = battery_health_pct(batteries)

    displays = probe.get("displays") or []
    internal = [d for d in displays if _INTERNAL_PANEL.search(d.get("connector") or "")]
    panel = internal[0] if internal else (displays[0] if len(displays) == 1 else None)
    inches = screen_inches(panel) if panel else None
    resolution = panel.get("native_resolution") if panel else None
    screen = None
    if inches or resolution:
        screen = " ".join(p for p in (f'{inches:g}"' if inches else None, resolution) if p)

    installed = memory.get("installed_bytes")
    return {
        "manufacturer": vendor,
        "model": model,
        "name": name,
        "serial": system.get("serial"),
        "cpu": cpu_name(cpu.get("model")),
        "cpu_cores": cpu.get("cores"),
        "cpu_threads": cpu.get("threads"),
        "ram_bytes": installed or memory.get("usable_bytes"),
        "ram_from_modules": bool(installed),
        "disks": disks,
        "storage_bytes": sum(sizes) if sizes else None,
        "battery_health_pct": battery_health,
        "battery_count": len(batteries),
        "screen": screen,
        "screen_inches": inches,
        "screen_resolution": resolution,
        "warnings": len(probe.get("warnings") or []),
    }


def _battery_pct(battery: Mapping[str, Any]) -> float | None:
    pct = battery.get("health_pct")
    if isinstance(pct, bool) or not isinstance(pct, int | float):
        pct = None
    if pct is None:
        design, full = battery.get("design_wh"), battery.get("full_wh")
        if isinstance(design, int | float) and isinstance(full, int | float) and design > 0:
            pct = 100.0 * full / design
    return None if pct is None else max(0.0, min(float(pct), 100.0))


def battery_health_pct(batteries: Iterable[Mapping[str, Any]]) -> float | None:
    """The laptop's battery health in percent (the rule is in this module's docstring)."""
    found = [b for b in batteries if isinstance(b, Mapping)]
    if not found:
        return None
    design = [b.get("design_wh") for b in found]
    full = [b.get("full_wh") for b in found]
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in design + full)
    if numbers and sum(design) > 0:  # type: ignore[arg-type]
        pooled = 100 * sum(full) / sum(design)  # type: ignore[arg-type]
        return round(max(0.0, min(pooled, 100.0)), 1)
    known = [p for p in (_battery_pct(b) for b in found) if p is not None]
    return round(min(known), 1) if known else None


def cpu_short(model: str | None) -> str:
    """What fits on a label: :func:`cpu_name` without the maker ("Core i5-6300U")."""
    name = cpu_name(model) or ""
    return re.sub(r"^(Intel|AMD)\s+", "", name).strip(" -,")


def model_line(manufacturer: str | None, model: str | None) -> str:
    """'Lenovo' + 'ThinkPad T460' -> 'Lenovo ThinkPad T460', without saying the maker twice."""
    maker = (vendor_name(manufacturer) or "").strip()
    model = (model or "").strip()
    if not model:
        return maker
    if maker and not model.lower().startswith(maker.split()[0].lower()):
        return f"{maker} {model}"
    return model


def disk_text(disk: Mapping[str, Any]) -> str:
    """One disk as people say it: "256 GB NVMe SSD", "64 GB eMMC", "500 GB HDD".

    The words stay English ("disk" when the kind is unknown): the text is stored in the device row.
    """
    kind = disk.get("kind") or disk_model.kind(disk) or "disk"
    return f"{units.disk_size(disk.get('size_bytes'))} {kind}"


def storage_text(disks: Iterable[Mapping[str, Any]], sep: str = ", ") -> str | None:
    """The laptop's own disks (``summary()["disks"]``) in one line: "256 GB NVMe SSD, 1 TB HDD"."""
    return sep.join(disk_text(d) for d in disks) or None
