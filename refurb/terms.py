"""The words shown for typed values: statuses, erasure methods and results, in the user's language.

What a person types (``ready``, ``in_progress``, ``--method zero``), what ``--json`` prints and
what the store holds stay the codes; sentences and tables show these words. In English a status
is shown as the code itself, so the screen teaches the word to type.
"""

from __future__ import annotations

from collections.abc import Callable

from refurb.i18n import _

# "context|word": the context keeps two senses of one English word apart in the catalogues and
# is dropped when no translation replaces it (English).
_STATUS: dict[str, Callable[[], str]] = {
    "intake": lambda: _("status|intake"),
    "in_progress": lambda: _("status|in_progress"),
    "ready": lambda: _("status|ready"),
    "on_loan": lambda: _("status|on_loan"),
    "handed_out": lambda: _("status|handed_out"),
    "parts": lambda: _("status|parts"),
    "recycled": lambda: _("status|recycled"),
    "quarantine": lambda: _("status|quarantine"),
}
_METHOD: dict[str, Callable[[], str]] = {
    "auto": lambda: _("method|auto"),
    "zero": lambda: _("method|zero"),
    "prng": lambda: _("method|prng"),
    "firmware": lambda: _("method|firmware"),
    "overwrite": lambda: _("method|overwrite"),
    "firmware erase": lambda: _("method|firmware erase"),
}
_RESULT: dict[str, Callable[[], str]] = {
    "erased": lambda: _("result|erased"),
    "erased_with_exceptions": lambda: _("result|erased_with_exceptions"),
    "failed": lambda: _("result|failed"),
    "interrupted": lambda: _("result|interrupted"),
    "started": lambda: _("result|started"),
    "passed": lambda: _("result|passed"),
    "not done": lambda: _("result|not done"),
}


def _word(table: dict[str, Callable[[], str]], code: str | None) -> str:
    if code is None:
        return "—"
    factory = table.get(code)
    if factory is None:
        return str(code)
    word = factory()
    return word.split("|", 1)[1] if "|" in word else word


def status_word(code: str | None) -> str:
    """A device status (``in_progress``) as shown: "in bewerking", "en cours", "in_progress"."""
    return _word(_STATUS, code)


def method_word(code: str | None) -> str:
    """An erasure method or technique (``zero``, ``overwrite``, ``firmware erase``) as shown."""
    return _word(_METHOD, code)


def result_word(code: str | None) -> str:
    """An erasure result or verification result (``erased``, ``passed``) as shown."""
    return _word(_RESULT, code)


def status_words(codes: list[str] | tuple[str, ...]) -> str:
    return ", ".join(status_word(c) for c in codes)
