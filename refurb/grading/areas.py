"""The probe's areas: specs, storage and battery, each a list of findings that say why not an A.

A finding carries the grade it allows; the worst finding of an area is that area's grade.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from refurb.grading.facts import ARCH_32, Facts, disk_kind, disk_name, number, size_gb
from refurb.grading.terms import GRADES, fmt_num
from refurb.i18n import _


@dataclass(frozen=True)
class Finding:
    """One reason an area is not an A: the area, the grade it allows, and the plain words."""

    area: str
    grade: str
    code: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"area": self.area, "grade": self.grade, "code": self.code, "text": self.text}


def _at_least(value: float, limits: list[float]) -> str:
    for grade, limit in zip(GRADES, limits, strict=False):
        if value >= limit:
            return grade
    return "D"


def _at_most(value: float, limits: list[float]) -> str:
    for grade, limit in zip(GRADES, limits, strict=False):
        if value <= limit:
            return grade
    return "D"


def _lowered(out: list[Finding], finding: Finding) -> None:
    """Keep a finding only when it lowers the area below A (a site may set a cap to A)."""
    if finding.grade != "A":
        out.append(finding)


def grade_specs(facts: Facts, g: Mapping[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    if facts.arch in ARCH_32:
        out.append(
            Finding(
                "specs",
                g["cpu_32bit"],
                "cpu_32bit",
                _("32-bit processor: no current operating system runs on it"),
            )
        )
    if facts.ram_gb is None:
        out.append(Finding("specs", g["ram_unknown"], "ram_unknown", _("memory size unknown")))
    else:
        grade = _at_least(facts.ram_gb, g["ram_gb"])
        _lowered(
            out,
            Finding(
                "specs",
                grade,
                "ram",
                _("{ram} GB RAM ({need} GB for A)").format(
                    ram=fmt_num(facts.ram_gb), need=fmt_num(g["ram_gb"][0])
                ),
            ),
        )
    cpu = facts.cpu
    if cpu.family is None or cpu.year is None:
        what = cpu.family or cpu.model
        out.append(
            Finding(
                "specs",
                g["cpu_unknown"],
                "cpu_unknown",
                _("processor {model!r} not recognised: its age is unknown").format(model=what)
                if what
                else _("processor unknown"),
            )
        )
    else:
        grade = _at_least(cpu.year, g["cpu_year"])
        _lowered(
            out,
            Finding(
                "specs",
                grade,
                "cpu_year",
                _("processor from {year} ({family}); {need} or newer for A").format(
                    year=cpu.year, family=cpu.family, need=fmt_num(g["cpu_year"][0])
                ),
            ),
        )
    if cpu.tier == "entry":
        _lowered(
            out,
            Finding(
                "specs",
                g["entry_cpu"],
                "entry_cpu",
                _("entry-level processor ({family}): slow for its age").format(family=cpu.family),
            ),
        )
    if facts.main_disk is not None:
        size = size_gb(facts.main_disk.get("size_bytes"))
        if size is not None:
            grade = _at_least(size, g["storage_gb"])
            _lowered(
                out,
                Finding(
                    "specs",
                    grade,
                    "storage_size",
                    _("{size} GB storage ({need} GB for A)").format(
                        size=fmt_num(round(size)), need=fmt_num(g["storage_gb"][0])
                    ),
                ),
            )
        if facts.storage_kind == "hdd":
            _lowered(
                out,
                Finding(
                    "specs",
                    g["hdd"],
                    "hdd",
                    _("hard disk (HDD), not an SSD: slow to start and to open programs"),
                ),
            )
    return out


def grade_storage(facts: Facts, g: Mapping[str, Any]) -> list[Finding]:
    if not facts.disks:
        return [Finding("storage", g["no_disk"], "no_disk", _("no internal disk found"))]
    out: list[Finding] = []
    for disk in facts.disks:
        name = disk_name(disk)
        passed = disk.get("smart_passed")
        if passed is False:
            out.append(
                Finding(
                    "storage",
                    g["smart_failed"],
                    "smart_failed",
                    _("SMART says disk {disk} is failing").format(disk=name),
                )
            )
        elif passed is None:
            out.append(
                Finding(
                    "storage",
                    g["smart_unknown"],
                    "smart_unknown",
                    _("SMART health of disk {disk} could not be read").format(disk=name),
                )
            )
        counters = (
            ("reallocated_sectors", _("disk {disk} has {n} reallocated sectors")),
            (
                "pending_sectors",
                _("disk {disk} has {n} unreadable sectors waiting to be reallocated"),
            ),
            ("nvme_media_errors", _("disk {disk} has {n} media errors")),
        )
        for key, message in counters:
            value = number(disk.get(key))
            if value is not None:
                grade = _at_most(value, g[key])
                _lowered(
                    out, Finding("storage", grade, key, message.format(disk=name, n=fmt_num(value)))
                )
        used = number(disk.get("nvme_percentage_used"))
        if used is not None:
            grade = _at_most(used, g["nvme_percentage_used"])
            _lowered(
                out,
                Finding(
                    "storage",
                    grade,
                    "nvme_percentage_used",
                    _("SSD {disk} has used {pct} % of its rated life").format(
                        disk=name, pct=fmt_num(used)
                    ),
                ),
            )
        hours = number(disk.get("power_on_hours"))
        if hours is not None and disk_kind(disk) == "hdd":
            grade = _at_most(hours, g["hdd_power_on_hours"])
            _lowered(
                out,
                Finding(
                    "storage",
                    grade,
                    "hdd_power_on_hours",
                    _("hard disk {disk} has run {hours} hours").format(
                        disk=name, hours=fmt_num(hours)
                    ),
                ),
            )
    return out


def grade_battery(facts: Facts, g: Mapping[str, Any]) -> list[Finding] | None:
    if not facts.batteries:
        if not facts.battery_expected:
            return None  # a desktop: the area does not apply
        return [
            Finding(
                "battery",
                g["no_battery"],
                "no_battery",
                _("no battery found: works on the charger only"),
            )
        ]
    if facts.battery_pct is None:
        return [
            Finding("battery", g["battery_unknown"], "battery_unknown", _("battery health unknown"))
        ]
    grade = _at_least(facts.battery_pct, g["battery_pct"])
    if grade == "A":
        return []
    return [
        Finding(
            "battery",
            grade,
            "battery_pct",
            _("battery holds {pct} % of its design capacity ({need} % for A)").format(
                pct=fmt_num(round(facts.battery_pct)), need=fmt_num(g["battery_pct"][0])
            ),
        )
    ]
