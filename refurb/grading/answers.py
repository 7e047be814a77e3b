"""The volunteer's answers: the cosmetic condition and the function checks.

Typed answers are read here (``o``, ``worn``, ``A``...), refused with the known values when they
do not fit, and graded as the cosmetic and function areas.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from refurb.errors import InvalidInput
from refurb.grading.areas import Finding
from refurb.grading.rules import Rules
from refurb.grading.terms import ANSWER_KEYS, ANSWERS, COSMETIC, GRADES, answer_label, check_labels
from refurb.i18n import _


def grade_answers(answers: Mapping[str, str], rules: Rules, g: Mapping[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    unchecked: dict[str, list[str]] = {"function": [], "cosmetic": []}
    cosmetic = answers.get(COSMETIC, "not_checked")
    if cosmetic == "not_checked":
        unchecked["cosmetic"].append(check_labels()[COSMETIC])
    elif cosmetic != "A":
        out.append(
            Finding(
                "cosmetic",
                cosmetic,
                COSMETIC,
                _("cosmetic condition {grade} (as answered)").format(grade=cosmetic),
            )
        )
    for name, rule in rules.checks.items():
        answer = answers.get(name, "not_checked")
        if answer == "not_checked":
            unchecked[rule.area].append(rule.display())
        elif answer != "ok":
            out.append(
                Finding(
                    rule.area,
                    rule.grades[answer],
                    f"check_{name}",
                    _("{check}: {answer}").format(
                        check=rule.display(), answer=answer_label(answer)
                    ),
                )
            )
    for area, names in unchecked.items():
        if names:
            out.append(
                Finding(
                    area,
                    g["not_checked"],
                    "not_checked",
                    _("not checked: {names}").format(names=", ".join(names)),
                )
            )
    return out


def parse_answer(check: str, value: str, rules: Rules) -> str:
    """One answer as typed (``ok``, ``o``, ``worn``...; ``A``-``D`` for cosmetic) -> its token."""
    text = (value or "").strip().lower().replace("-", "_").replace(" ", "_")
    if check == COSMETIC:
        if text.upper() in GRADES:
            return text.upper()
        if text in ("not_checked", "n"):
            return "not_checked"
        raise InvalidInput(
            _("cosmetic condition {value!r} is out of range: answer A, B, C or D").format(
                value=value
            ),
            _("A = like new, B = light wear, C = clear wear, D = damaged"),
        )
    if check not in rules.checks:
        raise InvalidInput(
            _("unknown check {check!r}; checks: {known}").format(
                check=check, known=", ".join([*rules.checks, COSMETIC])
            ),
        )
    if text in ANSWER_KEYS:
        return ANSWER_KEYS[text]
    if text in ANSWERS:
        return text
    raise InvalidInput(
        _("{check}={value!r} is out of range: answer {answers}").format(
            check=check, value=value, answers=", ".join(ANSWERS)
        ),
        _("o = ok, w = worn, f = faulty, m = missing, n = not checked"),
    )


_CHECK_ALIASES = {
    "wifi": "wifi",
    "wlan": "wifi",
    "usbports": "usb",
    "trackpad": "touchpad",
    "camera": "webcam",
    "sound": "audio",
    "display": "screen",
    "hinge": "hinges",
}


def parse_check_options(items: Iterable[str], rules: Rules) -> dict[str, str]:
    """``["keyboard=ok", "hinges=worn"]`` -> answers; bad names or values are refused."""
    answers: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip().lower()
        if name not in rules.checks:  # common other spellings of the shipped checks
            loose = name.replace("-", "").replace("_", "").replace(" ", "")
            name = _CHECK_ALIASES.get(loose, name)
        if not sep or not name:
            raise InvalidInput(
                _("--check {item!r}: write CHECK=ANSWER, e.g. keyboard=ok").format(item=item),
                _("checks: {known}").format(known=", ".join(rules.checks)),
            )
        answers[name] = parse_answer(name, value, rules)
    return answers


def complete_answers(answers: Mapping[str, str], rules: Rules) -> dict[str, str]:
    """Every check and the cosmetic condition (checked), unanswered ones as ``not_checked``."""
    given = {name: parse_answer(name, value, rules) for name, value in answers.items()}
    out = {name: given.get(name, "not_checked") for name in rules.checks}
    out[COSMETIC] = given.get(COSMETIC, "not_checked")
    return out
