"""A kind of device as a donor's sheet writes it, in Dutch, French or English -> refurb's kind.

"Laptop", "portable", "ordinateur portable", "vaste pc", "tablette", "gsm", "scherm", "écran",
"monitor"... -> ``laptop``, ``desktop``, ``tablet``, ``phone`` or ``screen``. Words are compared
like headers (no case, accents, spaces or punctuation), and a plural finds its singular.
Pure: no I/O.
"""

from __future__ import annotations

from typing import Any

from refurb.intake.columns import norm

WORDS: dict[str, tuple[str, ...]] = {
    "laptop": (
        "laptop",
        "notebook",
        "netbook",
        "ultrabook",
        "chromebook",
        "macbook",
        "portable",
        "ordinateur portable",
        "pc portable",
        "portable pc",
        "draagbare computer",
        "draagbare pc",
        "schootcomputer",
        "lap top",
    ),
    "desktop": (
        "desktop",
        "desktop pc",
        "desktop computer",
        "vaste pc",
        "vaste computer",
        "pc",
        "computer",
        "tower",
        "toren",
        "torenpc",
        "mini pc",
        "all in one",
        "aio",
        "workstation",
        "werkstation",
        "ordinateur",
        "ordinateur de bureau",
        "ordinateur fixe",
        "pc fixe",
        "pc de bureau",
        "unité centrale",
        "tour",
    ),
    "tablet": ("tablet", "tablette", "ipad", "tab", "tabletcomputer"),
    "phone": (
        "phone",
        "smartphone",
        "mobile phone",
        "cell phone",
        "mobile",
        "gsm",
        "telefoon",
        "mobiele telefoon",
        "smartfoon",
        "iphone",
        "téléphone",
        "téléphone portable",
        "téléphone mobile",
        "natel",
    ),
    "screen": (
        "screen",
        "monitor",
        "display",
        "scherm",
        "beeldscherm",
        "computerscherm",
        "écran",
        "moniteur",
        "écran pc",
    ),
}

_LOOKUP = {norm(word): kind for kind, words in WORDS.items() for word in words}
_LOOKUP.update({kind: kind for kind in WORDS})


def kind_of(value: Any) -> str | None:
    """The kind a cell names, or None when it names none refurb knows (or is blank)."""
    key = norm(value)
    if not key:
        return None
    if key in _LOOKUP:
        return _LOOKUP[key]
    for ending in ("s", "x", "en", "es"):  # laptops, écrans, tablets, schermen, tablettes
        if key.endswith(ending) and key[: -len(ending)] in _LOOKUP:
            return _LOOKUP[key[: -len(ending)]]
    return None


def looks_like_kinds(values: list[Any]) -> bool:
    """Whether a column ("Type") holds kinds rather than models: most of its cells are kinds."""
    filled = [v for v in values if norm(v)]
    if not filled:
        return False
    return sum(1 for v in filled if kind_of(v) is not None) * 2 > len(filled)
