"""Messages in Dutch, French and English.

Catalogues are gettext ``.po`` files under ``refurb/locale/<lang>/LC_MESSAGES/``, one per area of
the code (``refurb.po``, ``probe.po``, ...) so that areas can be translated independently; their
compiled ``.mo`` files are committed beside them. Run ``python -m refurb.i18n`` after editing a
``.po`` file (a test fails when a ``.mo`` is stale).

The language is chosen once per invocation (``--lang``, ``REFURB_LANG``, the config, then
``LANGUAGE``/``LC_ALL``/``LANG``) and English is the fallback.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "nl", "fr")

_active: gettext.NullTranslations = gettext.NullTranslations()
_active_lang = "en"


def resolve_language(explicit: str | None, environ: Mapping[str, str]) -> str:
    """Pick nl, fr or en from an explicit choice or the usual locale variables."""
    candidates = [explicit, environ.get("REFURB_LANG")]
    candidates += [environ.get(k) for k in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")]
    for value in candidates:
        if not value:
            continue
        for part in value.split(":"):
            code = part.strip().lower()[:2]
            if code in LANGUAGES:
                return code
    return "en"


def load(lang: str) -> gettext.NullTranslations:
    """All catalogues of one language chained together (English: none)."""
    chain: gettext.NullTranslations = gettext.NullTranslations()
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    if lang == "en" or not folder.is_dir():
        return chain
    for mo in sorted(folder.glob("*.mo")):
        with mo.open("rb") as fh:
            trans = gettext.GNUTranslations(fh)
        trans.add_fallback(chain)
        chain = trans
    return chain


def set_language(lang: str) -> None:
    global _active, _active_lang
    if lang not in LANGUAGES:
        lang = "en"
    _active = load(lang)
    _active_lang = lang


def current_language() -> str:
    return _active_lang


def _(message: str) -> str:
    """Translate a message into the active language."""
    return _active.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _active.ngettext(singular, plural, n)


def compile_catalogues() -> list[Path]:
    """Compile every .po to .mo with Babel (a development step, not a runtime one)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        written.append(mo)
    return written


if __name__ == "__main__":
    for path in compile_catalogues():
        print(path)
