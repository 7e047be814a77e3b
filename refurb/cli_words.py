"""Click's and Typer's own words (Usage, Options, usage errors) in the user's language.

Typer vendors Click, whose help headings and usage errors are plain English literals, so they
cannot be translated through gettext. They are translated where they come out instead: a help
formatter that translates headings, the usage prefix and the ``[default: ...]`` notes before it
wraps them, and :func:`usage_error_lines`, which writes a usage error from the exception's parts.
Only public Click API is used (``Context.formatter_class``, ``HelpFormatter``'s write methods,
``UsageError.ctx`` and ``format_message``); an English run changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from refurb.i18n import _, current_language


def _english() -> bool:
    return current_language() == "en"


def _headings() -> dict[str, str]:
    return {
        "Options": _("Options"),
        "Arguments": _("Arguments"),
        "Commands": _("Commands"),
    }


_NOTE = re.compile(r"\[(default|env var|required)(?::\s*([^\]]*))?\]")
_META = re.compile(r"\[OPTIONS\]|\[ARGS\]\.\.\.|\bCOMMAND\b")


def _note(match: re.Match[str]) -> str:
    kind, value = match.group(1), match.group(2)
    if kind == "required":
        return "[" + _("required") + "]"
    if kind == "default":
        return "[" + _("default: {value}").format(value=value) + "]"
    return "[" + _("env var: {value}").format(value=value) + "]"


def translate_help_cell(text: str) -> str:
    """One option's or command's help cell, with Click's own notes in the active language."""
    if _english() or not text:
        return text
    text = text.replace("Show this message and exit.", _("Show this message and exit."))
    return _NOTE.sub(_note, text)


def translate_usage_args(args: str) -> str:
    """``[OPTIONS] COMMAND [ARGS]...`` as a reader of the active language writes it."""
    if _english():
        return args
    words = {
        "[OPTIONS]": "[" + _("OPTIONS") + "]",
        "[ARGS]...": "[" + _("ARGS") + "]...",
        "COMMAND": _("COMMAND"),
    }
    return _META.sub(lambda m: words[m.group(0)], args)


def translating_formatter(base: type) -> type:
    """A subclass of Click's help formatter ``base`` that writes Click's words translated."""

    class TranslatingFormatter(base):  # type: ignore[misc, valid-type]
        def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
            if not _english() and prefix in (None, "Usage: "):
                prefix = _("Usage: ")
            super().write_usage(prog, translate_usage_args(args), prefix)

        def write_heading(self, heading: str) -> None:
            if not _english():
                heading = _headings().get(heading, heading)
            super().write_heading(heading)

        def write_dl(self, rows: Sequence[tuple[str, str]], *args: Any, **kwargs: Any) -> None:
            rows = [(term, translate_help_cell(text)) for term, text in rows]
            super().write_dl(rows, *args, **kwargs)

    return TranslatingFormatter


def _patterns() -> list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]]:
    def word(kind: str) -> str:
        return {"option": _("option"), "argument": _("argument"), "parameter": _("parameter")}.get(
            kind, kind
        )

    return [
        (
            re.compile(r"No such option: (\S+) \(Possible options: (.*)\)$"),
            lambda m: _("No such option: {name} (did you mean {names}?)").format(
                name=m.group(1), names=m.group(2)
            ),
        ),
        (
            re.compile(r"No such option: (\S+)$"),
            lambda m: _("No such option: {name}").format(name=m.group(1)),
        ),
        (
            re.compile(r"No such command '(.*)'\.$"),
            lambda m: _("No such command '{name}'.").format(name=m.group(1)),
        ),
        (re.compile(r"Missing command\.$"), lambda m: _("Missing command.")),
        (
            re.compile(r"Missing (option|argument|parameter) (.+?)\.(?: (.*))?$"),
            lambda m: (
                _("Missing {kind} {name}.").format(kind=word(m.group(1)), name=m.group(2))
                + (" " + m.group(3) if m.group(3) else "")
            ),
        ),
        (
            re.compile(r"Got unexpected extra arguments? ?(?:\(s\))? \((.*)\)$"),
            lambda m: _("Unexpected extra argument(s): {args}").format(args=m.group(1)),
        ),
        (
            re.compile(r"Option '(.+)' requires an argument\.$"),
            lambda m: _("Option '{name}' needs a value.").format(name=m.group(1)),
        ),
        (
            re.compile(r"Option '(.+)' requires (\d+) arguments\.$"),
            lambda m: _("Option '{name}' needs {n} values.").format(name=m.group(1), n=m.group(2)),
        ),
        (
            re.compile(r"Option '(.+)' does not take a value\.$"),
            lambda m: _("Option '{name}' takes no value.").format(name=m.group(1)),
        ),
        (
            re.compile(r"Invalid value for (.+?): (?:Value error, )?(.*) is not one of (.*)\.$"),
            lambda m: _("Invalid value for {name}: {value} is not one of {choices}.").format(
                name=m.group(1), value=m.group(2), choices=m.group(3)
            ),
        ),
        (
            re.compile(r"Invalid value for (.+?): Input should be a valid (\w+).*$"),
            lambda m: _("Invalid value for {name}: a {kind} is needed.").format(
                name=m.group(1), kind=_type_word(m.group(2))
            ),
        ),
        (
            re.compile(r"Invalid value for (.+?): (.*)$"),
            lambda m: _("Invalid value for {name}: {why}").format(name=m.group(1), why=m.group(2)),
        ),
    ]


def _type_word(kind: str) -> str:
    return {
        "integer": _("whole number"),
        "number": _("number"),
        "boolean": _("yes or no"),
    }.get(kind, kind)


def translate_error_message(message: str) -> str:
    """A usage error's message in the active language (unknown shapes are left as they are)."""
    if _english():
        return message
    for pattern, render in _patterns():
        match = pattern.match(message)
        if match:
            return render(match)
    return message


def usage_error_lines(exc: Any) -> list[str]:
    """The lines Click would print for a usage error, in the active language."""
    message = exc.format_message()
    ctx = getattr(exc, "ctx", None)
    if _english():
        lines: list[str] = []
        if ctx is not None:
            lines.append(ctx.get_usage())
            if ctx.command.get_help_option(ctx) is not None:
                lines.append(f"Try '{ctx.command_path} {ctx.help_option_names[0]}' for help.")
            lines.append("")
        return [*lines, f"Error: {message}"]
    lines = []
    if ctx is not None:
        lines.append(ctx.get_usage())
        if ctx.command.get_help_option(ctx) is not None:
            lines.append(
                _("See '{command} {option}' for help.").format(
                    command=ctx.command_path, option=ctx.help_option_names[0]
                )
            )
        lines.append("")
    lines.append(_("Error: {message}").format(message=translate_error_message(message)))
    return lines
