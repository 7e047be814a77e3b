"""`refurb config`: show or change one of this site's settings."""

from __future__ import annotations

import typer

from refurb.env import Env
from refurb.i18n import _

HELP = """Show this site's settings, or change one: site, lang, inventory, label_url, and
for refurb workbench label_printer, label_template, os_image, os_version.

The inventory URL is kept without its password (put that in ~/.pgpass or PGPASSWORD).
An empty value removes the setting.

Example: refurb config inventory postgresql+psycopg://refurb@stock.example.org/inventory
"""


def config(
    ctx: typer.Context,
    key: str | None = typer.Argument(
        None,
        help="The setting: site, lang, inventory, label_url, label_printer, label_template, "
        "os_image or os_version.",
    ),
    value: str | None = typer.Argument(None, help="Its new value (leave out to show it)."),
    json_out: bool = typer.Option(False, "--json", help="Print the settings as JSON."),
) -> None:
    from refurb.setup import set_setting, settings

    env: Env = ctx.obj
    if value is not None and key is not None:
        result = set_setting(env, key, value)
        if json_out:
            env.print_json(result)
            return
        env.out.print(
            _("[green]✓[/green] {key} = {value}").format(key=result["key"], value=result["value"])
        )
        if result.get("password_dropped"):
            env.err.print(
                _(
                    "[yellow]The password was not stored:[/yellow] put it in ~/.pgpass or "
                    "PGPASSWORD, or type it when refurb sync asks"
                )
            )
        return
    shown = settings(env, key)
    if json_out:
        env.print_json(shown)
        return
    for name, current in shown.items():
        env.out.print(f"{name} = {current}", markup=False, highlight=False)
