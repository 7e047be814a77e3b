"""The partner's reference for a borrower must stay opaque: no name, address, e-mail, phone or
Belgian national register number ever enters the store.

:func:`check_ref` is a pure function of the text typed; it raises ``InvalidInput`` saying which kind
of personal data the reference looks like. :func:`digest` is what the hashed event log keeps.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from refurb.errors import InvalidInput
from refurb.i18n import _

MAX_LENGTH = 64

_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]{2,}|@")
# 11 digits as people write a rijksregisternummer / numéro de registre national:
# 85.07.30-033.28, 850730 033 28, 850730-033-28, 85073003328 (also BIS numbers).
_NATIONAL = re.compile(r"(?<!\d)(\d{2})[. ]?(\d{2})[. ]?(\d{2})[-. /]?(\d{3})[-. /]?(\d{2})(?!\d)")
# International: +32 471 12 34 56, 0032 471/12.34.56, +33 6 12 34 56 78, (+32) 9 123 45 67.
_PHONE_INTL = re.compile(r"(?:\(?\+|(?<!\d)00)\s?\(?[1-9][\d ./()-]{6,20}\d")
# Belgian: 0471 12 34 56, 0471/12.34.56, 09 123 45 67, 02-123-45-67; and 32471123456.
_PHONE_BE = re.compile(r"(?<![\d])(?:0|32)[1-9][\d ./-]{6,14}\d(?!\d)")
_STREET = re.compile(
    r"(?:straat|laan|lei|weg|plein|dreef|steenweg|baan|kaai|markt|rue|avenue|chauss[ée]e|"
    r"boulevard|place|quai|street|road)\b\.?\s*\d+|\b(?:rue|avenue|place|chauss[ée]e|boulevard|"
    r"quai)\s+\w+",
    re.IGNORECASE,
)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def national_number_valid(digits: str) -> bool:
    """Whether 11 digits carry the check digits of a Belgian national (or BIS) number.

    The check is 97 minus the first nine digits modulo 97; for people born from 2000 a 2 is put
    before those nine digits first.
    """
    if len(digits) != 11 or not digits.isdigit():
        return False
    body, check = int(digits[:9]), int(digits[9:])
    return check in (97 - body % 97, 97 - (2_000_000_000 + body) % 97)


def personal_kind(ref: str) -> str | None:
    """Which personal datum ``ref`` looks like ("email", "national", "phone", "address",
    "name"), or None for an opaque reference."""
    text = ref.strip()
    if _EMAIL.search(text):
        return "email"
    for match in _NATIONAL.finditer(text):
        if national_number_valid("".join(match.groups())):
            return "national"
    for match in _PHONE_INTL.finditer(text):
        if 8 <= len(_digits(match.group(0))) <= 15:
            return "phone"
    for match in _PHONE_BE.finditer(text):
        digits = _digits(match.group(0))
        if (digits.startswith("0") and len(digits) in (9, 10)) or (
            digits.startswith("32") and len(digits) in (10, 11)
        ):
            return "phone"
    if _STREET.search(text):
        return "address"
    if not re.search(r"\d", text) and re.search(r"[^\W\d_]", text):
        return "name"
    return None


def check_ref(ref: str) -> str:
    """The reference, trimmed; refused (saying why) when it is empty, too long or personal."""
    text = (ref or "").strip()
    if not text:
        raise InvalidInput(_("--ref is empty: give the partner's own reference for the person"))
    if len(text) > MAX_LENGTH or any(ord(ch) < 32 for ch in text):
        raise InvalidInput(
            _("--ref {ref!r} is not a short reference (at most {n} characters, one line)").format(
                ref=text[:20] + "…", n=MAX_LENGTH
            )
        )
    kind = personal_kind(text)
    if kind is None:
        return text
    why = {
        "email": _("--ref {ref!r} looks like an e-mail address"),
        "national": _("--ref {ref!r} looks like a national register number (its check digits fit)"),
        "phone": _("--ref {ref!r} looks like a phone number"),
        "address": _("--ref {ref!r} looks like an address"),
        "name": _("--ref {ref!r} has no digit and reads like a person's name"),
    }[kind]
    raise InvalidInput(
        why.format(ref=text),
        _(
            "refurb never stores who borrows a device: give the partner's own file number or "
            "code for the person, e.g. DL-2026-0147"
        ),
    )


def new_salt() -> str:
    return secrets.token_hex(16)


def digest(ref: str, salt: str) -> str:
    """What the event log keeps of a reference: useless without the purgeable salt."""
    return hashlib.sha256((salt + "\x00" + ref).encode("utf-8")).hexdigest()
