"""The root command: global options and the one place where errors become exit codes.

Command groups live in ``refurb/commands/<group>.py``. Nothing heavy (SQLAlchemy, the probe, the
PDF and image libraries) is imported here, so ``refurb --help`` and ``--version`` start fast.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from refurb import __version__
from refurb.env import Env
from refurb.errors import RefurbError
from refurb.exit import ExitStatus
from refurb.i18n import _


def translate_help(command: Any) -> None:
    """Put every help text of ``command`` and its subcommands into the active language.

    Typer reads help texts when the module is imported, before the language is known; their
    Dutch and French live in ``help.po``. Typer builds the command tree afresh on each run.
    """
    if getattr(command, "help", None):
        command.help = _(command.help)
    for param in getattr(command, "params", ()):
        if getattr(param, "help", None):
            param.help = _(param.help)
    for sub in (getattr(command, "commands", None) or {}).values():
        translate_help(sub)


def _early_language() -> str:
    """The language for `refurb --help`, which runs before the root callback.

    Only --lang and the environment (REFURB_LANG, LANG...): reading the config would cost
    `--help` its start-up budget. Every other help page also follows the config's language.
    """
    import os

    from refurb.i18n import resolve_language, set_language

    args = sys.argv[1:]
    explicit = None
    for n, arg in enumerate(args):
        if arg == "--lang" and n + 1 < len(args):
            explicit = args[n + 1]
        elif arg.startswith("--lang="):
            explicit = arg.split("=", 1)[1]
    lang = resolve_language(explicit, os.environ)
    set_language(lang)
    return lang


class RefurbGroup(TyperGroup):
    """Runs a command and maps what escapes it to a message and an exit status."""

    def format_help(self, ctx: typer.Context, formatter: Any) -> None:
        if ctx.parent is None and _early_language() != "en":  # before the root callback
            translate_help(self)
        super().format_help(ctx, formatter)

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except typer.Exit:
            raise
        except (Exception, KeyboardInterrupt) as exc:
            env = ctx.obj if isinstance(ctx.obj, Env) else None
            debug = env is not None and env.debug
            if (
                isinstance(exc, Exception)
                and not isinstance(exc, typer.Abort)
                and (debug or _is_usage_error(exc))
            ):
                raise
            raise typer.Exit(exit_status_for(exc)) from None


def exit_status_for(exc: BaseException) -> int:
    """Say in one line (and a hint) on stderr what went wrong; return the exit status."""
    if isinstance(exc, RefurbError):
        report_error(exc.message, exc.hint)
        return int(exc.exit_status)
    if isinstance(exc, typer.Abort) and isinstance(exc.__context__, EOFError):
        # A prompt turns end of input into Abort, which Typer would print as English "Aborted!".
        report_error(
            _("no answer: the input ended at a question"),
            _("answer at a terminal, or give the answer as an option (see --help)"),
        )
        return int(ExitStatus.ERROR)
    if isinstance(exc, (KeyboardInterrupt, typer.Abort)):  # Ctrl-C, also at a prompt
        sys.stderr.write("\n" + _("refurb: interrupted") + "\n")
        return int(ExitStatus.CTRL_C)
    report_error(
        _("unexpected {kind}: {detail}").format(
            kind=type(exc).__name__, detail=str(exc).splitlines()[0] if str(exc) else ""
        ),
        _("run again with --debug to see where it happened"),
    )
    return int(ExitStatus.ERROR)


def _is_usage_error(exc: Exception) -> bool:
    # Typer's own parameter and usage errors must reach Typer, which prints usage and exits 2.
    # They all derive from (Typer's vendored) ClickException, which Typer does not export.
    return isinstance(exc, typer.BadParameter) or any(
        cls.__name__ == "ClickException" for cls in type(exc).__mro__
    )


def report_error(message: str, hint: str | None = None) -> None:
    sys.stderr.write(_("refurb: error: {message}").format(message=message) + "\n")
    if hint:
        sys.stderr.write(_("hint: {hint}").format(hint=hint) + "\n")
    sys.stderr.flush()


def _version_callback(value: bool) -> None:
    if value:
        sys.stdout.write(f"refurb {__version__}\n")
        raise typer.Exit(0)


app = typer.Typer(
    cls=RefurbGroup,
    name="refurb",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    help=(
        "Refurbish donated laptops and keep a trustworthy inventory of them.\n\n"
        "Start with refurb init, then refurb intake new "
        "for each laptop.\n\n"
        "Example: refurb intake new --serial PF0ABC12 --donor 'City of Ghent'"
    ),
)


@app.callback()
def root(
    ctx: typer.Context,
    db: str | None = typer.Option(
        None,
        "--db",
        envvar="REFURB_DB",
        help="Database URL (sqlite:///path or postgresql+psycopg://...). Default: the local store.",
        show_envvar=True,
    ),
    lang: str | None = typer.Option(
        None, "--lang", help="Language of messages: nl, fr or en.", envvar="REFURB_LANG"
    ),
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
    version: bool = typer.Option(
        False,
        "--version",
        callback=_version_callback,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    env = ctx.obj if isinstance(ctx.obj, Env) else Env()
    ctx.obj = env
    env.debug = env.debug or debug
    if db:
        env.db_url = db
    if lang and lang.lower()[:2] not in ("nl", "fr", "en"):
        raise typer.BadParameter(f"{lang!r}: choose nl, fr or en", param_hint="--lang")
    env.apply_settings(lang)
    if env.lang != "en":
        translate_help(ctx.command)


def _register() -> None:
    from refurb.commands import admin, device, grade, init, intake, label, os_, wipe
    from refurb.commands import probe as probe_cmd

    app.command("init", help=init.HELP)(init.init)
    app.add_typer(intake.app, name="intake")
    app.command("note", help=intake.NOTE_HELP)(intake.note)
    app.command("show", help=device.SHOW_HELP)(device.show)
    app.command("list", help=device.LIST_HELP)(device.list_devices)
    app.command("status", help=device.STATUS_HELP)(device.status)
    app.add_typer(admin.app, name="admin")
    app.command("label", help=label.HELP)(label.label)
    app.add_typer(label.app, name="labels")
    app.add_typer(wipe.app, name="wipe")
    app.command("probe", help=probe_cmd.HELP)(probe_cmd.probe)
    app.add_typer(grade.app, name="grade")
    app.add_typer(os_.app, name="os")


_register()


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns the exit status."""
    args = sys.argv[1:] if argv is None else list(argv)
    for stream in (sys.stdout, sys.stderr):
        # A name refurb cannot show in this terminal's encoding is shown as "?", not a crash.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    if args[:1] == ["probe"]:  # `probe --json` skips Typer's pydantic import (see fast_json)
        from refurb.commands.probe import fast_json

        status = fast_json(args[1:])
        if status is not None:
            return status
    try:
        app(args=argv, prog_name="refurb")
    except SystemExit as exc:
        if exc.code is None:
            return 0
        return exc.code if isinstance(exc.code, int) else 1
    return 0
