"""`refurb sync`: exchange events with the shared inventory; `--status`, `--verify`, `conflicts`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from refurb.env import Env
from refurb.errors import Refused
from refurb.i18n import _

HELP = """Exchange events with the shared inventory: push this bench's new events, pull the other
benches', and bring the devices up to date on both sides.

The inventory is a PostgreSQL database (postgresql+psycopg://USER@HOST/DB) or a SQLite file on a
share (sqlite:////mnt/share/inventory.db), set once with refurb config inventory URL. A password
comes from PGPASSWORD, ~/.pgpass or a question; it is never stored. Exit status 4 when the inventory
cannot be reached: local work goes on.

Example: refurb sync   (or: refurb sync --status, refurb sync --verify, refurb sync conflicts)
"""

app = typer.Typer(help=HELP, invoke_without_command=True)


class OutOfStep(Refused):
    """The bench and the inventory disagree about an event both hold."""


class _Bar:
    """A progress bar on stderr for syncs of a thousand events or more."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.progress: Any = None
        self.tasks: dict[str, Any] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        if total < 1000:
            return
        if self.progress is None:
            from rich.progress import Progress

            self.progress = Progress(console=self.env.err, transient=True)
            self.progress.start()
        if phase not in self.tasks:
            label = _("pushing events") if phase == "push" else _("pulling events")
            self.tasks[phase] = self.progress.add_task(label, total=total)
        self.progress.update(self.tasks[phase], completed=done)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def _asking(env: Env, call: Callable[[str | None], Any]) -> Any:
    """Run ``call``; when the server wants a password and a person is there, ask once."""
    from refurb.sync_db import AuthFailed

    try:
        return call(None)
    except AuthFailed:
        if not env.stdin_isatty:
            raise
        password = typer.prompt(_("Password for the inventory"), hide_input=True, err=True)
        return call(password)


def _receipt_line(r: dict[str, Any]) -> str:
    return _(
        "receipt: workstation {ws} #{first}..{last} ({count} events), last hash {digest}"
    ).format(
        ws=r["workstation"][:8],
        first=r["first"],
        last=r["last"],
        count=r["count"],
        digest=r["last_hash"][:12],
    )


@app.callback(invoke_without_command=True)
def sync(
    ctx: typer.Context,
    to: str | None = typer.Option(
        None, "--to", help="Inventory URL for this sync (default: the one in the settings)."
    ),
    status: bool = typer.Option(
        False, "--status", help="Show what waits locally and the last receipt (no network)."
    ),
    verify: bool = typer.Option(
        False, "--verify", help="Compare the bench with the inventory; list missing ranges."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    if ctx.invoked_subcommand:
        return
    from refurb import sync as core

    env: Env = ctx.obj
    if status:
        result = core.status(env, to)
        if json_out:
            env.print_json(result)
            return
        _render_status(env, result)
        return
    if verify:
        result = _asking(env, lambda pw: core.verify(env, to, password=pw))
        if json_out:
            env.print_json(result)
        else:
            _render_verify(env, result)
        if result["tampered"]:
            raise OutOfStep(
                _("verification failed: an event was changed, or differs between the two sides"),
                _("run `refurb admin check` here and on the other benches"),
            )
        return
    bar = _Bar(env)
    try:
        result = _asking(env, lambda pw: core.sync(env, to, password=pw, progress=bar))
    finally:
        bar.close()
    if json_out:
        env.print_json(result)
        return
    env.out.print(
        _(
            "[green]✓[/green] synced with {url}: pushed {pushed}, pulled {pulled} ({s:.1f} s)"
        ).format(
            url=result["inventory"],
            pushed=result["pushed"],
            pulled=result["pulled"],
            s=result["seconds"],
        )
    )
    for r in result["receipts"]:
        env.out.print("  " + _receipt_line(r))
    if result["conflicts"]:
        env.err.print(
            _(
                "[yellow]{n} contradiction(s) need a person:[/yellow] see `refurb sync conflicts`"
            ).format(n=len(result["conflicts"]))
        )


def _render_status(env: Env, result: dict[str, Any]) -> None:
    out = env.out
    out.print(_("Inventory: {url}").format(url=result["inventory"] or _("(none set)")))
    out.print(
        _("This bench: {n} events, {waiting} waiting to be pushed").format(
            n=result["local_events"], waiting=result["waiting"]
        )
    )
    if result["last_receipt"]:
        out.print(_("Last receipt ({at}): ").format(at=result["last_receipt"]["at"][:19]))
        out.print("  " + _receipt_line(result["last_receipt"]))
    else:
        out.print(_("No receipt yet: this bench has not pushed to this inventory."))


def _render_verify(env: Env, result: dict[str, Any]) -> None:
    out = env.out
    for problem in result["bench_problems"]:
        env.err.print("[red]✗[/red] " + _("on this bench: {problem}").format(problem=problem))
    for problem in result["inventory_problems"]:
        env.err.print("[red]✗[/red] " + _("in the inventory: {problem}").format(problem=problem))
    for c in result["chains"]:
        ws = c["workstation"][:8]
        for a, b in c["missing_in_inventory"]:
            out.print(_("workstation {ws}: #{a}..{b} only on this bench").format(ws=ws, a=a, b=b))
        for a, b in c["missing_on_bench"]:
            out.print(
                _("workstation {ws}: #{a}..{b} only in the inventory").format(ws=ws, a=a, b=b)
            )
        if c["differs_at"] is not None:
            env.err.print(
                _("[red]✗[/red] workstation {ws}: event #{seq} differs between the two").format(
                    ws=ws, seq=c["differs_at"]
                )
            )
    if result["in_step"]:
        out.print(
            _("[green]✓[/green] bench and inventory hold the same {n} chain(s)").format(
                n=len(result["chains"])
            )
        )


@app.command("conflicts")
def conflicts(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print the contradictions as JSON."),
) -> None:
    """List contradictions between benches that a person has to settle (e.g. a device on loan on
    one bench and recycled on another). The later move shows in the device; both stay recorded.

    Example: refurb sync conflicts --json
    """
    from refurb import sync as core

    env: Env = ctx.obj
    found = core.conflicts(env)
    if json_out:
        env.print_json(found)
        return
    if not found:
        env.out.print(_("[green]✓[/green] no contradictions between benches"))
        return
    from rich.table import Table

    from refurb.terms import status_word

    table = Table(show_edge=False)
    for col in (_("Asset"), _("Now"), _("Was"), _("First move"), _("Later move")):
        table.add_column(col)
    for c in found:
        table.add_row(
            c["asset_id"],
            status_word(c["status"]),
            status_word(c["overrides"]) if c["overrides"] else "—",
            *map(side_text, (c["first"], c["second"])),
        )
    env.out.print(table)


def side_text(side: dict[str, Any]) -> str:
    return f"{side['at'][:16].replace('T', ' ')} {side['actor']} @{side['workstation'][:8]}"


def conflict_line(c: dict[str, Any]) -> str:
    """One line for `refurb show`."""
    from refurb.terms import status_word

    return _("contradiction: {first} moved it to {a}, {second} to {b} without seeing that").format(
        first=side_text(c["first"]),
        a=status_word(c["overrides"]),
        second=side_text(c["second"]),
        b=status_word(c["status"]),
    )
