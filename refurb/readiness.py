"""What each kind of device needs before it may be ``ready``: data in ``data/readiness.toml``.

Laptops and desktops need a probe, every own disk erased, an OS record and a grade; tablets and
phones a factory-reset record and a grade; screens a grade of their own checks. The projection
and ``refurb status`` ask :func:`missing` what is still lacking, so the rule lives here once.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from refurb.errors import InvalidInput
from refurb.i18n import _

DATA_FILE = Path(__file__).parent / "data" / "readiness.toml"
STEPS = ("probe", "erasure", "os", "reset", "grade")
DEFAULT_KIND = "laptop"
ERASED = "erased"


@dataclass(frozen=True)
class KindRule:
    name: str
    needs: tuple[str, ...]
    probe_grading: bool
    specs_on_label: bool


@cache
def kind_rules() -> dict[str, KindRule]:
    """The kinds refurb knows, in the order of the data file."""
    data = tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))
    rules: dict[str, KindRule] = {}
    for name, raw in data.get("kind", {}).items():
        needs = tuple(raw.get("needs", []))
        unknown = [step for step in needs if step not in STEPS]
        if unknown:  # a packaging mistake, caught by the tests
            raise ValueError(f"readiness.toml: kind {name}: unknown steps {unknown}")
        rules[name] = KindRule(
            name, needs, bool(raw.get("probe_grading")), bool(raw.get("specs_on_label"))
        )
    return rules


def kinds() -> tuple[str, ...]:
    return tuple(kind_rules())


def rule_for(kind: str | None) -> KindRule:
    """The readiness rule of a kind; a device from before kinds existed is a laptop."""
    return kind_rules()[check_kind(kind or DEFAULT_KIND)]


def check_kind(kind: str) -> str:
    """A kind as typed -> its name; an unknown one is refused, listing the known ones."""
    name = (kind or "").strip().lower()
    if name not in kind_rules():
        raise InvalidInput(
            _("unknown kind {kind!r}").format(kind=kind),
            _("kinds: {names}").format(names=", ".join(kinds())),
        )
    return name


def kind_word(kind: str | None) -> str:
    """A kind in the active language, as printed on a label or in a list."""
    words = {
        "laptop": _("laptop"),
        "desktop": _("desktop"),
        "tablet": _("tablet"),
        "phone": _("phone"),
        "screen": _("monitor"),
    }
    return words.get(kind or DEFAULT_KIND, kind or DEFAULT_KIND)


def missing(state: dict[str, Any], erasure_word: Any) -> list[str]:
    """What a device still lacks before it may be ``ready``, in words a volunteer understands."""
    rule = rule_for(state.get("kind"))
    out: list[str] = []
    if "probe" in rule.needs and not state.get("probed_at"):
        out.append(_("a hardware probe (refurb probe --save)"))
    if "erasure" in rule.needs:
        disks = state.get("disks") or {}
        if state.get("probed_at") and not disks:
            out.append(_("a probe that found the internal disk"))
        for key, d in disks.items():
            if d.get("erasure") != ERASED:
                label = d.get("name") or key
                out.append(
                    _("erasure of disk {disk} ({state})").format(
                        disk=label, state=erasure_word(d.get("erasure") or "pending")
                    )
                )
    if "os" in rule.needs and not state.get("os"):
        out.append(_("an OS install record (refurb os record)"))
    if "reset" in rule.needs and not state.get("reset_at"):
        out.append(_("a factory-reset record (refurb os record ASSET --factory-reset)"))
    if "grade" in rule.needs and not state.get("grade"):
        out.append(_("a grade (refurb grade)"))
    return out
