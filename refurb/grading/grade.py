"""The whole grade: facts, areas, OS readiness and profiles put together into one result.

``grade_device`` is what `refurb grade` calls; ``GradeResult.to_payload`` is the stored ``grade``
event and the ``--json`` output.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from refurb.grading.answers import complete_answers, grade_answers
from refurb.grading.areas import Finding, grade_battery, grade_specs, grade_storage
from refurb.grading.facts import facts_from_probe
from refurb.grading.os_ready import os_readiness
from refurb.grading.rules import Rules
from refurb.grading.suitability import requirement_misses
from refurb.grading.terms import AREAS, GRADES, worst
from refurb.i18n import _


@dataclass
class GradeResult:
    grade: str
    profile: str
    profiles: list[str]
    reasons: list[str]
    findings: list[Finding]
    areas: dict[str, dict[str, Any]]
    suitability: dict[str, dict[str, Any]]
    answers: dict[str, str]
    windows11: dict[str, Any]
    linux: dict[str, dict[str, Any]]
    other_os: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        """The ``grade`` event payload (and the ``--json`` output)."""
        return {
            "grade": self.grade,
            "profile": self.profile,
            "profiles": self.profiles,
            "reasons": self.reasons,
            "answers": self.answers,
            "windows11": self.windows11,
            "linux": self.linux,
            "areas": self.areas,
            "suitability": self.suitability,
            "findings": [f.to_dict() for f in self.findings],
            **({"other_os": self.other_os} if self.other_os else {}),
        }


def _worst_first(findings: list[Finding]) -> list[Finding]:
    """The reasons as a volunteer reads them: the lowest grade first, then in area order."""
    return sorted(findings, key=lambda f: (-GRADES.index(f.grade), AREAS.index(f.area)))


def grade_device(
    probe: Mapping[str, Any],
    answers: Mapping[str, str],
    rules: Rules,
    profile: str | None = None,
) -> GradeResult:
    """Grade one device: the worst area sets the grade, every lowered area says why."""
    chosen = rules.profile(profile)
    g = chosen.grades
    facts = facts_from_probe(probe, rules.cpu_rules)
    full_answers = complete_answers(answers, rules)

    findings = grade_specs(facts, g) + grade_storage(facts, g)
    battery = grade_battery(facts, g)
    findings += battery or []
    findings += grade_answers(full_answers, rules, g)
    findings = [f for f in findings if f.grade != "A"]

    areas: dict[str, dict[str, Any]] = {}
    for area in AREAS:
        mine = [f for f in findings if f.area == area]
        if area == "battery" and battery is None:
            areas[area] = {
                "grade": None,
                "reasons": [_("no battery expected on this kind of computer")],
            }
        else:
            areas[area] = {"grade": worst(f.grade for f in mine), "reasons": [f.text for f in mine]}
    grade = worst(a["grade"] for a in areas.values())
    ordered = _worst_first(findings)
    reasons = [f.text for f in ordered] or [_("no problems found: every area is grade A")]

    win_spec = rules.os.get("windows11")
    windows11 = os_readiness(win_spec, facts) if win_spec else {}
    linux = {k: os_readiness(v, facts) for k, v in rules.os.items() if v.get("kind") == "linux"}
    other = {
        k: os_readiness(v, facts)
        for k, v in rules.os.items()
        if k != "windows11" and v.get("kind") != "linux"
    }

    suitability: dict[str, dict[str, Any]] = {}
    for name, prof in rules.profiles.items():
        if prof.fallback:
            continue
        misses = requirement_misses(prof, facts, full_answers, grade, areas, rules, windows11)
        suitability[name] = {"fits": not misses, "missing": misses}
    any_fit = any(s["fits"] for s in suitability.values())
    for name, prof in rules.profiles.items():
        if prof.fallback:
            misses = requirement_misses(prof, facts, full_answers, grade, areas, rules, windows11)
            if any_fit:
                misses = [_("fits a better profile")] + misses
            suitability[name] = {"fits": not misses, "missing": misses}
    fits = [name for name in rules.profiles if suitability[name]["fits"]]

    return GradeResult(
        grade=grade,
        profile=chosen.name,
        profiles=fits,
        reasons=reasons,
        findings=ordered,
        areas=areas,
        suitability={name: suitability[name] for name in rules.profiles},
        answers=full_answers,
        windows11=windows11,
        linux=linux,
        other_os=other,
    )


def grade_answers_only(answers: Mapping[str, str], rules: Rules) -> GradeResult:
    """Grade a device refurb cannot probe (a screen, a tablet, a phone) on its checks alone:
    the cosmetic and function areas; the probe's areas say they do not apply."""
    full_answers = complete_answers(answers, rules)
    g = rules.profile(None).grades
    findings = [f for f in grade_answers(full_answers, rules, g) if f.grade != "A"]
    areas: dict[str, dict[str, Any]] = {}
    for area in AREAS:
        if area in ("cosmetic", "function"):
            mine = [f for f in findings if f.area == area]
            areas[area] = {"grade": worst(f.grade for f in mine), "reasons": [f.text for f in mine]}
        else:
            areas[area] = {"grade": None, "reasons": [_("not graded for this kind of device")]}
    grade = worst(a["grade"] for a in areas.values())
    ordered = _worst_first(findings)
    reasons = [f.text for f in ordered] or [_("no problems found: every check is ok")]
    return GradeResult(
        grade=grade,
        profile=rules.kind,
        profiles=[],
        reasons=reasons,
        findings=ordered,
        areas=areas,
        suitability={},
        answers=full_answers,
        windows11={},
        linux={},
    )


def latest_probe(events: Iterable[Any]) -> dict[str, Any] | None:
    """The probe dict of the newest ``probe`` event (events oldest first), or None."""
    found = None
    for event in events:
        kind = getattr(event, "kind", None) if not isinstance(event, Mapping) else event.get("kind")
        if kind != "probe":
            continue
        payload = (
            getattr(event, "payload", None)
            if not isinstance(event, Mapping)
            else event.get("payload")
        )
        if hasattr(payload, "data"):  # a decoded event from the store
            payload = payload.data()
        if isinstance(payload, Mapping) and isinstance(payload.get("probe"), Mapping):
            found = dict(payload["probe"])
    return found
