"""Profiles: which of a programme's profiles (job seeker, student...) a graded device fits.

A profile's requirements are checked against the facts, the answers and the grade; a miss is said
in the words a volunteer reads on the screen, and the same requirements are listed for
`refurb grade profiles`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from refurb.grading.facts import Facts
from refurb.grading.os_ready import minimum, ram_minimum, storage_minimum
from refurb.grading.rules import Profile, Rules
from refurb.grading.terms import GRADES, answer_label, fmt_num
from refurb.i18n import _


def requirement_misses(
    profile: Profile,
    facts: Facts,
    answers: Mapping[str, str],
    grade: str,
    areas: Mapping[str, Any],
    rules: Rules,
    win11: Mapping[str, Any],
) -> list[str]:
    """What keeps a device out of ``profile``, in plain words (empty: it fits)."""
    req = profile.require
    # Each requirement in order: met (True), missed (False) or unknown (None, also a miss).
    met: list[tuple[bool | None, str]] = []
    if "grade" in req and GRADES.index(grade) > GRADES.index(req["grade"]):
        met.append(
            (
                False,
                _("grade {grade}, needs {need} or better").format(grade=grade, need=req["grade"]),
            )
        )
    if "ram_gb" in req:
        met.append(ram_minimum(facts, req["ram_gb"]))
    if "storage_gb" in req:
        met.append(storage_minimum(facts, req["storage_gb"]))
    if req.get("ssd"):
        if facts.storage_kind is None:
            met.append((False, _("storage type unknown, needs an SSD")))
        elif facts.storage_kind != "ssd":
            met.append((False, _("hard disk, needs an SSD")))
    if req.get("healthy_storage") and (
        not facts.disks
        or any(d.get("smart_passed") is False for d in facts.disks)
        or areas["storage"]["grade"] == "D"
    ):
        met.append((False, _("storage not healthy (see the storage grade)")))
    if "battery_pct" in req:
        need = req["battery_pct"]
        if not facts.batteries:
            met.append((False, _("no battery, needs {need} %").format(need=fmt_num(need))))
        else:
            met.append(
                minimum(
                    facts.battery_pct,
                    need,
                    _("battery health unknown, needs {need} %").format(need=fmt_num(need)),
                    lambda has: _("battery at {has} %, needs {need} %").format(
                        has=fmt_num(round(has)), need=fmt_num(need)
                    ),
                )
            )
    if "cpu_year" in req:
        need = req["cpu_year"]
        met.append(
            minimum(
                facts.cpu.year,
                need,
                _("processor age unknown"),
                lambda year: _("processor from {year}, needs {need} or newer").format(
                    year=year, need=fmt_num(need)
                ),
            )
        )
    for check in req.get("checks", []):
        answer = answers.get(check, "not_checked")
        if answer not in ("ok", "worn"):
            met.append(
                (
                    False,
                    _("{check}: {answer}").format(
                        check=rules.checks[check].display() if check in rules.checks else check,
                        answer=answer_label(answer),
                    ),
                )
            )
    if req.get("windows11") and win11.get("ready") is not True:
        met.append((False, _("not ready for Windows 11")))
    return [text for ok, text in met if ok is not True]


def describe_requirements(profile: Profile, rules: Rules) -> list[str]:
    """A profile's requirements in plain words, for `refurb grade profiles`."""
    req = profile.require
    out: list[str] = []
    if profile.fallback:
        out.append(_("when no other profile fits"))
    if "grade" in req:
        out.append(_("grade {grade} or better").format(grade=req["grade"]))
    if "ram_gb" in req:
        out.append(_("at least {n} GB RAM").format(n=fmt_num(req["ram_gb"])))
    if req.get("ssd"):
        out.append(_("an SSD"))
    if "storage_gb" in req:
        out.append(_("at least {n} GB storage").format(n=fmt_num(req["storage_gb"])))
    if req.get("healthy_storage"):
        out.append(_("healthy storage"))
    if "battery_pct" in req:
        out.append(_("battery at least {n} %").format(n=fmt_num(req["battery_pct"])))
    if "cpu_year" in req:
        out.append(_("processor from {n} or newer").format(n=fmt_num(req["cpu_year"])))
    if req.get("checks"):
        names = ", ".join(
            rules.checks[c].display() if c in rules.checks else c for c in req["checks"]
        )
        out.append(_("working: {names}").format(names=names))
    if req.get("windows11"):
        out.append(_("ready for Windows 11"))
    return out
