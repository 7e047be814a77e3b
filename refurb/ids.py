"""Asset ids a volunteer can type from a label: ``RF-XXXXX-XXXXX``.

Ten Crockford base32 characters follow the optional ``RF-`` prefix. The first nine carry a 45-bit
number: a 28-bit station code drawn at random when a store is created, then a 17-bit counter. The
tenth is a Damm check character over GF(32): every single mistyped character and every swap of two
adjacent characters gives an invalid id. See docs/architecture.md for the collision figures.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from refurb.errors import InvalidInput
from refurb.i18n import _

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "RF"
STATION_BITS = 28
COUNTER_BITS = 17
DATA_CHARS = 9
COUNTER_LIMIT = 1 << COUNTER_BITS
_DECODE = {c: i for i, c in enumerate(ALPHABET)}
_DECODE.update({"O": 0, "I": 1, "L": 1})


def _mul_x(value: int) -> int:
    """Multiply by x in GF(2^5) with the primitive polynomial x^5 + x^2 + 1."""
    value <<= 1
    if value & 0x20:
        value ^= 0x25
    return value


def _damm(digits: Iterable[int]) -> int:
    # Quasigroup a*b = x·a + b: totally anti-symmetric because x != 1 (Damm, 2004).
    interim = 0
    for d in digits:
        interim = _mul_x(interim) ^ d
    return interim


def check_char(data: str) -> str:
    """The check character that makes ``data + check`` valid."""
    return ALPHABET[_mul_x(_damm(_DECODE[c] for c in data))]


def format_id(number: int) -> str:
    """The id for a 45-bit number."""
    chars = []
    for _i in range(DATA_CHARS):
        chars.append(ALPHABET[number & 31])
        number >>= 5
    data = "".join(reversed(chars))
    body = data + check_char(data)
    return f"{PREFIX}-{body[:5]}-{body[5:]}"


def make_id(station: int, counter: int) -> str:
    if not 0 <= station < (1 << STATION_BITS) or not 0 <= counter < COUNTER_LIMIT:
        raise ValueError("station or counter out of range")
    return format_id((station << COUNTER_BITS) | counter)


def new_station_code() -> int:
    return secrets.randbelow(1 << STATION_BITS)


# Dashes a word processor, a PDF or a phone puts in place of "-" when an id is copied, and blanks.
_SEPARATORS = str.maketrans("", "", "-\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d \t\u00a0")


def _clean(text: str) -> str:
    body = text.strip().upper().translate(_SEPARATORS)
    if body.startswith(PREFIX) and len(body) == DATA_CHARS + 1 + len(PREFIX):
        body = body[len(PREFIX) :]
    return body


def is_valid(text: str) -> bool:
    body = _clean(text)
    if len(body) != DATA_CHARS + 1 or any(c not in _DECODE for c in body):
        return False
    return _damm(_DECODE[c] for c in body) == 0


def normalize(text: str) -> str:
    """The canonical spelling of a typed id, or InvalidInput saying what is wrong with it."""
    body = _clean(text)
    shown = text.strip()
    if len(shown) > 40:  # a pasted paragraph is not echoed back whole
        shown = shown[:40] + "…"
    bad = [c for c in body if c not in _DECODE]
    if bad:
        raise InvalidInput(
            _("{typed!r} is not an asset id: {char!r} is not used in ids").format(
                typed=shown, char=bad[0]
            ),
            _("ids look like RF-7K3QM-X4T2A (letters and digits, no U)"),
        )
    if len(body) != DATA_CHARS + 1:
        raise InvalidInput(
            _(
                "{typed!r} is not an asset id: it has {n} characters, an id has {m} after RF-"
            ).format(typed=shown, n=len(body), m=DATA_CHARS + 1),
            _("ids look like RF-7K3QM-X4T2A (letters and digits, no U)"),
        )
    canonical = "".join(ALPHABET[_DECODE[c]] for c in body)
    if _damm(_DECODE[c] for c in canonical) != 0:
        raise InvalidInput(
            _(
                "{typed!r} is not a valid asset id: its check character does not match, "
                "so one character is mistyped"
            ).format(typed=shown),
        )
    return f"{PREFIX}-{canonical[:5]}-{canonical[5:]}"


def near_misses(text: str) -> list[str]:
    """Valid ids one typo (substitution or adjacent swap) away from what was typed."""
    body = _clean(text)
    if len(body) != DATA_CHARS + 1 or any(c not in _DECODE for c in body):
        return []
    body = "".join(ALPHABET[_DECODE[c]] for c in body)
    out: set[str] = set()
    for i in range(len(body)):
        for c in ALPHABET:
            if c != body[i]:
                cand = body[:i] + c + body[i + 1 :]
                if is_valid(cand):
                    out.add(cand)
        if i + 1 < len(body) and body[i] != body[i + 1]:
            cand = body[:i] + body[i + 1] + body[i] + body[i + 2 :]
            if is_valid(cand):
                out.add(cand)
    return sorted(f"{PREFIX}-{c[:5]}-{c[5:]}" for c in out)
