"""`refurb admin`: integrity of the event log."""

from __future__ import annotations

import typer

from refurb.env import Env
from refurb.errors import RefurbError
from refurb.i18n import _, ngettext

app = typer.Typer(
    help=(
        "Check and repair the store.\n\n"
        "Example: refurb admin check  (then refurb admin rebuild after an upgrade)"
    ),
    no_args_is_help=True,
)


class ChainBroken(RefurbError):
    pass


@app.command("check")
def check(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Verify the hash chain of every event: detects changed, removed or reordered events.

    Example: refurb admin check
    """
    from refurb.store import open_store

    env: Env = ctx.obj
    with open_store(env) as store:
        count, problems = store.check_chain()
    if json_out:
        env.print_json({"events": count, "ok": not problems, "problems": problems})
    elif not problems:
        env.out.print(
            ngettext(
                "[green]✓[/green] {n} event, chain intact",
                "[green]✓[/green] {n} events, chain intact",
                count,
            ).format(n=count)
        )
    else:
        for problem in problems:
            env.err.print(f"[red]✗[/red] {problem}", markup=True, highlight=False)
    if problems:
        raise ChainBroken(
            _("the event log was tampered with: {n} problem(s)").format(n=len(problems))
        )


@app.command("rebuild")
def rebuild(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Recompute every device from its events (after an upgrade or a manual repair).

    Example: refurb admin rebuild
    """
    from refurb.store import open_store

    env: Env = ctx.obj
    with open_store(env) as store:
        n = store.rebuild()
        _count, problems = store.check_chain()
    if json_out:
        env.print_json({"devices": n, "chain_ok": not problems, "problems": problems})
    else:
        env.out.print(
            ngettext(
                "[green]✓[/green] rebuilt {n} device from the event log",
                "[green]✓[/green] rebuilt {n} devices from the event log",
                n,
            ).format(n=n)
        )
    if problems and not json_out:
        # Rebuilding trusts the log as it is: say so when the log itself was changed.
        env.err.print(
            _(
                "[yellow]Warning:[/yellow] the event log has {n} problem(s), so the rebuilt "
                "devices may show changed data; see `refurb admin check`"
            ).format(n=len(problems))
        )
