"""Every message has a Dutch and a French translation, and the compiled catalogues are current."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from refurb.i18n import LOCALE_DIR, resolve_language

PACKAGE = Path(__file__).resolve().parents[1] / "refurb"


def _msgids() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for lineno, msg, _c, _ctx in extract_from_file("python", str(path), keywords={"_": None}):
            if isinstance(msg, str) and msg:
                found.setdefault(msg, f"{path.relative_to(PACKAGE.parent)}:{lineno}")
    return found


def _catalogue(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for po in sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            for message in read_po(fh, locale=lang):
                if message.id and isinstance(message.id, str) and message.string:
                    merged[message.id] = message.string
    return merged


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_every_message_is_translated(lang):
    have = _catalogue(lang)
    missing = [f"{where}: {msg!r}" for msg, where in _msgids().items() if msg not in have]
    assert not missing, f"{len(missing)} messages lack a {lang} translation:\n" + "\n".join(missing)


@pytest.mark.parametrize("po", sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")), ids=str)
def test_compiled_catalogues_are_current(po):
    """The .mo says what the .po says; Babel versions write different bytes for the same meaning."""
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=po.parent.parent.name)
    wanted: dict[object, str] = {}
    for message in catalog:
        if not message.id or not message.string or message.fuzzy:
            continue
        if isinstance(message.id, tuple):
            for n, text in enumerate(message.string):
                if text:
                    wanted[(message.id[0], n)] = text
        else:
            wanted[message.id] = message.string
    with po.with_suffix(".mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    have = {k: v for k, v in compiled._catalog.items() if k != ""}
    changed = {k for k in wanted if have.get(k) != wanted[k]}
    stale = sorted(str(k) for k in (set(wanted) ^ set(have)) | changed)
    assert not stale, f"run: python -m refurb.i18n ({len(stale)} messages differ, e.g. {stale[:3]})"


def test_language_resolution():
    assert resolve_language("fr", {}) == "fr"
    assert resolve_language(None, {"REFURB_LANG": "nl"}) == "nl"
    assert resolve_language(None, {"LANG": "nl_BE.UTF-8"}) == "nl"
    assert resolve_language(None, {"LANGUAGE": "de:fr"}) == "fr"
    assert resolve_language(None, {"LANG": "C.UTF-8"}) == "en"


@pytest.mark.parametrize("po", sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")), ids=str)
def test_no_message_is_in_a_catalogue_twice(po):
    """A catalogue merged by hand can hold one message twice; gettext would keep only one."""
    import collections
    import re

    text = po.read_text(encoding="utf-8")
    ids = re.findall(r'^msgid ((?:".*"\n)+)msgstr', text, re.M)
    twice = [k for k, n in collections.Counter(ids).items() if n > 1 and k.strip() != '""']
    assert not twice, twice
    # a msgstr line followed at once by a bare string means a lost `msgid ""` line
    glued = re.findall(r'^msgstr ".+"\n"', text, re.M)
    assert not glued, glued
    # so does a bare string right after a blank line: an entry that starts without its msgid
    orphan = re.findall(r'\n\n(".*")\n', text)
    assert not orphan, orphan
