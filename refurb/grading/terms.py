"""The words grading shares: grades, areas, answers, and how a check or an answer is shown.

Kept apart so that the rule files, the areas and the command all name a grade or a check the same
way, in the active language, while the stored values stay English tokens.
"""

from __future__ import annotations

from collections.abc import Iterable

from refurb.i18n import _

GRADES = ("A", "B", "C", "D")
AREAS = ("specs", "storage", "battery", "cosmetic", "function")
ANSWERS = ("ok", "worn", "faulty", "missing", "not_checked")
ANSWER_KEYS = {"o": "ok", "w": "worn", "f": "faulty", "m": "missing", "n": "not_checked"}
COSMETIC = "cosmetic"
# The kinds of device a check is asked for unless its [checks.X] says `kinds = [...]`.
DEFAULT_CHECK_KINDS = ("laptop", "desktop")


def check_labels() -> dict[str, str]:
    return {
        "screen": _("screen"),
        "keyboard": _("keyboard"),
        "touchpad": _("touchpad"),
        "webcam": _("webcam"),
        "wifi": _("Wi-Fi"),
        "audio": _("audio"),
        "usb": _("USB ports"),
        "hinges": _("hinges"),
        "case": _("case"),
        "touchscreen": _("touchscreen"),
        "buttons": _("buttons"),
        "charging": _("charging"),
        "battery_life": _("battery life"),
        "power": _("power"),
        "panel": _("panel (backlight, colours)"),
        "dead_pixels": _("dead pixels"),
        "cables": _("cables"),
        COSMETIC: _("cosmetic condition"),
    }


def answer_label(answer: str) -> str:
    """An answer in the active language (the stored value stays the English token)."""
    return {
        "ok": _("ok"),
        "worn": _("worn"),
        "faulty": _("faulty"),
        "missing": _("missing"),
        "not_checked": _("not checked"),
    }.get(answer, answer)


def worst(grades: Iterable[str | None]) -> str:
    found = [g for g in grades if g]
    return max(found, key=GRADES.index) if found else "A"


def fmt_num(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
