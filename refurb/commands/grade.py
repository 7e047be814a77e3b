"""`refurb grade`: grade a device A-D from its probe and the volunteer's answers; list profiles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperCommand, TyperGroup

from refurb.commands.cbreak import Cbreak
from refurb.env import Env
from refurb.i18n import _

if TYPE_CHECKING:
    from refurb.grading import GradeResult, Rules

HELP = (
    "Grade a device A-D and see which profiles (school, job-seeker, basic, parts) it fits.\n\n"
    "Example: refurb grade RF-7K3QM-X4T2A --profile school\n\n"
    "Run `refurb grade RF-... --help` for the grading options, `refurb grade profiles` for the "
    "profiles.\n"
)

DEVICE_HELP = (
    "Grade one device: its latest probe plus the checks you answer give a grade A-D (the worst "
    "area sets it), the profiles it fits, the reasons in plain words, and whether it is ready "
    "for Windows 11 and Linux.\n\n"
    "At a terminal each check is asked with a one-key answer: o = ok, w = worn, f = faulty, m ="
    " missing, n = not checked; the cosmetic condition is A-D. Otherwise give them as options; "
    'a check left unanswered is recorded as "not checked" and caps the grade.\n\n'
    "Example: refurb grade RF-7K3QM-X4T2A --cosmetic B --check keyboard=ok --check hinges=worn\n"
)

PROFILES_HELP = (
    "List the grading profiles and what each requires. A site changes them with a profiles.toml"
    " in its config folder (see docs/grading.md).\n\n"
    "Example: refurb grade profiles --json\n"
)


class _GradeGroup(TyperGroup):
    """`refurb grade ASSET ...` grades; `refurb grade profiles` lists the profiles."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["device", *args]
        return super().parse_args(ctx, args)


class _GradeCommand(TyperCommand):
    """Shows its usage as `refurb grade ASSET [OPTIONS]`: its own name is an internal detail."""

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        path = ctx.parent.command_path if ctx.parent is not None else ctx.command_path
        formatter.write_usage(path, "ASSET [OPTIONS]")


app = typer.Typer(cls=_GradeGroup, help=HELP, no_args_is_help=True)


def _load_rules(env: Env, kind: str = "laptop") -> Rules:
    from refurb.grading import load_rules

    return load_rules(env.config_dir, kind or "laptop")


@app.command("device", cls=_GradeCommand, hidden=True, help=DEVICE_HELP)
def grade_device(
    ctx: typer.Context,
    asset: str = typer.Argument(..., help="Asset id, e.g. RF-7K3QM-X4T2A (RF- may be left out)."),
    profile: str | None = typer.Option(
        None, "--profile", "-p", help="Profile to grade against (default: the site's default)."
    ),
    cosmetic: str | None = typer.Option(
        None,
        "--cosmetic",
        "-c",
        help="Cosmetic condition: A like new, B light wear, C clear wear, D damaged.",
    ),
    check: list[str] = typer.Option(
        [],
        "--check",
        help="CHECK=ANSWER, repeatable: screen, keyboard, touchpad, webcam, wifi, audio, usb, "
        "hinges, case = ok|worn|faulty|missing|not_checked. Tablets and phones: screen, "
        "touchscreen, buttons, charging, battery_life, webcam, wifi, audio, case; screens "
        "(monitors): power, panel, dead_pixels, cables.",
    ),
    json_out: bool = typer.Option(
        False, "--json", help="Print grade, profiles, reasons and the rest as JSON."
    ),
) -> None:
    from refurb.errors import Refused
    from refurb.grading import (
        COSMETIC,
        grade_answers_only,
        grade_device,
        latest_probe,
        parse_answer,
        parse_check_options,
    )
    from refurb.store import open_store

    env: Env = ctx.obj
    from refurb.readiness import rule_for

    with open_store(env) as store:
        device = store.get_device(asset)
        asset_id, kind = device.asset_id, device.kind
        probe = latest_probe(store.events(asset_id))
    kind_rule = rule_for(kind)
    rules = _load_rules(env, kind)
    chosen = rules.profile(profile)
    answers = parse_check_options(check, rules)
    if cosmetic is not None:
        answers[COSMETIC] = parse_answer(COSMETIC, cosmetic, rules)
    if kind_rule.probe_grading and probe is None:
        raise Refused(
            _("{asset} has no probe yet: it cannot be graded").format(asset=asset_id),
            _("probe it first: refurb probe --save {asset}").format(asset=asset_id),
        )
    if env.stdin_isatty:
        _ask(env, rules, answers)

    if kind_rule.probe_grading:
        result = grade_device(probe or {}, answers, rules, chosen.name)
    else:
        result = grade_answers_only(answers, rules)
    payload = result.to_payload()
    with open_store(env) as store:
        event = store.append(asset_id, "grade", payload)
    if json_out:
        env.print_json({"asset_id": asset_id, "event_id": event.id, **payload})
        return
    _render(env, asset_id, result, rules)


_CHECK_KEYS = "owfmn"
_COSMETIC_KEYS = "abcdn"


class _Keys(Cbreak):
    """Key presses, one at a time, with the terminal in cbreak mode for the whole questionnaire.

    Keeping one mode throughout means a fast typist's (or a paste's) keys are neither echoed nor
    dropped between two questions. Ctrl-C still interrupts. Without a real terminal (tests, or a
    platform without termios) it falls back to ``typer.getchar``.
    """

    def _chunk(self) -> str:
        if self.terminal:
            return self.read_raw(64)
        try:
            return typer.getchar(echo=False)
        except EOFError:
            return ""

    def next(self) -> str:
        """The next key, or "" when the input has ended."""
        while not self.pending:
            chunk = self._chunk()
            if not chunk:
                return ""
            if chunk.startswith("\x1b"):
                continue  # arrow and function keys: not answers
            self.pending = chunk
        key, self.pending = self.pending[0], self.pending[1:]
        return key


def _read_key(env: Env, keys_in: _Keys, question: str, legend: str, keys: str) -> str:
    """One answer key; '?' repeats the legend, Ctrl-C stops without recording anything."""
    from refurb.errors import InvalidInput

    env.err.print(f"{question} [dim]({legend})[/dim] ", end="")
    while True:
        key = keys_in.next()
        if key == "\x03":  # Ctrl-C read as a key in raw mode
            env.err.print()
            raise KeyboardInterrupt
        if key in ("", "\x04"):
            env.err.print()
            raise InvalidInput(_("input ended before every check was answered; nothing recorded"))
        key = key.lower()
        if key in keys:
            return key
        if key == "?":
            env.err.print(f"\n  {legend}\n{question} ", end="")


def _ask(env: Env, rules: Rules, answers: dict[str, str]) -> None:
    """Ask every check not given as an option, one key each."""
    from refurb.grading import ANSWER_KEYS, COSMETIC, answer_label

    legend = _("o ok · w worn · f faulty · m missing · n not checked")
    todo = [rule for name, rule in rules.checks.items() if name not in answers]
    if not todo and COSMETIC in answers:
        return
    with _Keys() as keys_in:
        env.err.print(_("[bold]Checks[/bold] — one key each, ? for help, Ctrl-C to stop"))
        for rule in todo:
            question = "  " + _("{check}?").format(check=rule.display())
            key = _read_key(env, keys_in, question, legend, _CHECK_KEYS)
            answers[rule.name] = ANSWER_KEYS[key]
            env.err.print(answer_label(answers[rule.name]))
        if COSMETIC not in answers:
            legend = _("A like new · B light wear · C clear wear · D damaged · n not checked")
            question = "  " + _("{check}?").format(check=_("cosmetic condition"))
            key = _read_key(env, keys_in, question, legend, _COSMETIC_KEYS)
            answers[COSMETIC] = "not_checked" if key == "n" else key.upper()
            env.err.print(answer_label(answers[COSMETIC]) if key == "n" else key.upper())


_STYLE = {"A": "bold green", "B": "green", "C": "yellow", "D": "bold red"}


def _ready_word(ready: bool | None) -> str:
    if ready is True:
        return "[green]" + _("ready") + "[/green]"
    if ready is False:
        return "[red]" + _("not ready") + "[/red]"
    return "[yellow]" + _("unknown") + "[/yellow]"


def _render(env: Env, asset_id: str, result: GradeResult, rules: Rules) -> None:
    from rich.markup import escape
    from rich.table import Table

    out = env.out
    style = _STYLE.get(result.grade, "bold")
    out.print(
        _("{asset}: grade {grade} (profile {profile})").format(
            asset=f"[bold]{asset_id}[/bold]",
            grade=f"[{style}]{result.grade}[/{style}]",
            profile=result.profile,
        )
    )
    fits = ", ".join(result.profiles) or "—"
    out.print(_("Fits: {profiles}").format(profiles=f"[bold]{escape(fits)}[/bold]"))
    out.print(_("Why:"))
    for reason in result.reasons:
        out.print(f"  • {escape(reason)}")

    areas = Table(show_header=True, header_style="bold", box=None, padding=(0, 2))
    names = {
        "specs": _("specs"),
        "storage": _("storage"),
        "battery": _("battery"),
        "cosmetic": _("cosmetic"),
        "function": _("function"),
    }
    for area in result.areas:
        areas.add_column(names.get(area, area))
    areas.add_row(
        *(
            f"[{_STYLE.get(a['grade'] or '', 'dim')}]{a['grade'] or '—'}[/]"
            for a in result.areas.values()
        )
    )
    out.print(areas)

    chosen = result.suitability.get(result.profile, {})
    if chosen and not chosen["fits"]:
        out.print(
            _("Not fit for {profile}: {missing}").format(
                profile=result.profile, missing=escape("; ".join(chosen["missing"]))
            )
        )
    systems = []
    if result.windows11:
        systems.append(result.windows11)
    systems += list(result.linux.values()) + list(result.other_os.values())
    for system in systems:
        line = _("{system}: {readiness}").format(
            system=escape(system["name"]), readiness=_ready_word(system["ready"])
        )
        detail = system["missing"] or system["unknown"]
        if detail:
            line += " — " + escape("; ".join(detail))
        if system["notes"]:
            line += " [dim](" + escape("; ".join(system["notes"])) + ")[/dim]"
        out.print(line)


@app.command("profiles", help=PROFILES_HELP)
def profiles(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print the profiles as JSON."),
) -> None:
    from rich.markup import escape
    from rich.table import Table

    from refurb.grading import describe_requirements

    env: Env = ctx.obj
    rules = _load_rules(env)
    if json_out:
        env.print_json(
            {
                "default": rules.default,
                "sources": [str(p) for p in rules.sources],
                "profiles": [
                    {**p.to_dict(), "requirements": describe_requirements(p, rules)}
                    for p in rules.profiles.values()
                ],
            }
        )
        return
    table = Table(show_header=True, header_style="bold", show_lines=True)
    table.add_column(_("profile"), no_wrap=True)
    table.add_column(_("for"))
    table.add_column(_("requires"))
    for name, prof in rules.profiles.items():
        label = name + (" " + _("(default)") if name == rules.default else "")
        table.add_row(
            escape(label),
            escape(_(prof.description)),  # shipped descriptions are in grade.po; a site's as is
            escape("\n".join(describe_requirements(prof, rules)) or "—"),
        )
    env.out.print(table)
    env.err.print(
        _("Rules from: {files}").format(files=", ".join(str(p) for p in rules.sources)),
        style="dim",
    )
