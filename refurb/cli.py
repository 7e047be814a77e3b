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
from refurb.boundary import exit_status_for, is_usage_error
from refurb.cli_words import translating_formatter, usage_error_lines
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
    command.context_class = RefurbContext  # Click's own words too (refurb.cli_words)
    for param in getattr(command, "params", ()):
        if getattr(param, "help", None):
            param.help = _(param.help)
    for sub in (getattr(command, "commands", None) or {}).values():
        translate_help(sub)


def _early_language(argv: list[str] | None = None) -> str:
    """The language for `refurb --help`, which runs before the root callback.

    Only --lang and the environment (REFURB_LANG, LANG...): reading the config would cost
    `--help` its start-up budget. Every other help page also follows the config's language.
    """
    import os

    from refurb.i18n import resolve_language, set_language

    args = sys.argv[1:] if argv is None else argv
    explicit = None
    for n, arg in enumerate(args):
        if arg == "--lang" and n + 1 < len(args):
            explicit = args[n + 1]
        elif arg.startswith("--lang="):
            explicit = arg.split("=", 1)[1]
    lang = resolve_language(explicit, os.environ)
    set_language(lang)
    return lang


class RefurbContext(typer.Context):
    """A context whose help pages write Click's headings and notes in the user's language."""

    formatter_class = translating_formatter(typer.Context.formatter_class)


class RefurbGroup(TyperGroup):
    """Runs a command and maps what escapes it to a message and an exit status."""

    context_class = RefurbContext
    _argv: list[str] | None = None

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Typer's main, with its usage errors written in the user's language."""
        standalone = kwargs.pop("standalone_mode", True)
        argv = kwargs.get("args", args[0] if args else None)
        self._argv = None if argv is None else [str(a) for a in argv]
        _early_language(self._argv)  # errors in the root's own options come before its callback
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)
        except typer.Abort:
            if not standalone:
                raise
            sys.stderr.write(_("Aborted!") + "\n")
            sys.exit(int(ExitStatus.ERROR))
        except Exception as exc:
            if not standalone or not is_usage_error(exc):
                raise
            sys.stderr.write("\n".join(usage_error_lines(exc)) + "\n")
            sys.exit(getattr(exc, "exit_code", int(ExitStatus.USAGE)))
        if not standalone:
            return rv
        sys.exit(rv if isinstance(rv, int) else int(ExitStatus.OK))

    def format_help(self, ctx: typer.Context, formatter: Any) -> None:
        if ctx.parent is None and _early_language(self._argv) != "en":  # before the callback
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
                and (debug or is_usage_error(exc))
            ):
                raise
            if (
                env is not None
                and env.raise_unexpected
                and isinstance(exc, Exception)
                and not isinstance(exc, (RefurbError, typer.Abort))
            ):
                raise
            raise typer.Exit(exit_status_for(exc)) from None


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
    from refurb.commands import admin, device, grade, init, intake, label, loans, os_, reports, wipe
    from refurb.commands import demo as demo_cmd
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
    app.add_typer(loans.partner_app, name="partner")
    app.add_typer(loans.loan_app, name="loan")
    app.command("handout", help=loans.HANDOUT_HELP)(loans.handout)
    app.command("stock", help=reports.STOCK_HELP)(reports.stock)
    app.add_typer(reports.app, name="export")
    from refurb.commands import keys as keys_cmd

    app.add_typer(keys_cmd.app, name="keys")
    from refurb.commands import config as config_cmd
    from refurb.commands import sync as sync_cmd

    app.add_typer(sync_cmd.app, name="sync")
    app.command("config", help=config_cmd.HELP)(config_cmd.config)
    app.command("demo", help=demo_cmd.HELP)(demo_cmd.demo)
    from refurb.commands import workbench as workbench_cmd

    app.command("workbench", help=workbench_cmd.HELP)(workbench_cmd.workbench)


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
