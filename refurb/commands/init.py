"""`refurb init`: the store, the config (0600) and the site's signing key."""

from __future__ import annotations

import typer

from refurb.env import Env
from refurb.i18n import _

HELP = """Create the local store and this site's settings.

Run it once per workbench (it is safe to run again: existing data is kept).

Example: refurb init --site "Repair Café Gent" --lang nl
"""


def init(
    ctx: typer.Context,
    site: str | None = typer.Option(
        None, "--site", help="Name of the workshop, shown on certificates."
    ),
    contact: str | None = typer.Option(
        None,
        "--contact",
        help="How donors reach the workshop (address, phone, e-mail), shown on certificates.",
    ),
    operator: str | None = typer.Option(
        None,
        "--operator",
        help="Who answers for this bench's erasures, named on certificates (not root).",
    ),
    inventory: str | None = typer.Option(
        None,
        "--inventory",
        help="URL of the shared inventory that refurb sync uses (kept without its password).",
    ),
    label_url: str | None = typer.Option(
        None,
        "--label-url",
        help="Put this URL in QR codes instead of the bare id; must hold {asset}.",
    ),
    lang: str | None = typer.Option(
        None,
        "--lang",
        help="Language of this workbench, kept in the settings: nl, fr or en.",
    ),
    stick: str | None = typer.Option(
        None,
        "--stick",
        help="Prepare this live stick (device or mounted REFURB-DATA folder) for this site.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    from refurb.setup import initialize

    env: Env = ctx.obj
    if lang is not None:
        if lang.lower()[:2] not in ("nl", "fr", "en"):
            raise typer.BadParameter(f"{lang!r}: nl, fr, en", param_hint="--lang")
        env.apply_settings(lang.lower()[:2])  # this run speaks it already
    if stick is not None:
        _prepare_stick(env, stick, json_out, site, contact, operator, inventory, label_url, lang)
        return
    result = initialize(
        env,
        site=site,
        inventory=inventory,
        label_url=label_url,
        contact=contact,
        operator=operator,
        lang=lang.lower()[:2] if lang else None,
    )
    if json_out:
        env.print_json(result)
        return
    env.out.print(_("[green]✓[/green] Store ready: {db}").format(db=result["database"]))
    env.out.print(_("  Site: {site}").format(site=result["site"] or _("(not named)")))
    env.out.print(_("  Config: {path}").format(path=result["config"]))
    if result.get("public_key"):
        env.out.print(_("  Signing key: {path}").format(path=result["public_key"]))
    if result.get("password_dropped"):
        env.err.print(
            _(
                "[yellow]The password was not stored:[/yellow] put it in ~/.pgpass or "
                "PGPASSWORD, or type it when refurb sync asks"
            )
        )
    env.out.print(_("Next: [bold]refurb intake new --serial SERIAL[/bold] for each laptop."))


def _prepare_stick(
    env: Env,
    target: str,
    json_out: bool,
    site: str | None,
    contact: str | None,
    operator: str | None,
    inventory: str | None,
    label_url: str | None,
    lang: str | None,
) -> None:
    from refurb.keys import short_fingerprint
    from refurb.stick import prepare_stick

    result = prepare_stick(
        env,
        target,
        site=site,
        contact=contact,
        operator=operator,
        inventory=inventory,
        label_url=label_url,
        lang=lang.lower()[:2] if lang else None,
    )
    if json_out:
        env.print_json(result)
        return
    env.out.print(_("[green]✓[/green] Stick ready: {part}").format(part=result["partition"]))
    env.out.print(_("  Site: {site}").format(site=result["site"] or _("(not named)")))
    env.out.print(
        _("  Inventory: {url}").format(
            url=result["inventory"] or _("(none: records stay on the stick)")
        )
    )
    words = {"copied": _("copied onto the stick"), "same": _("already on the stick")}
    state = words.get(result["key"], result["key"])
    env.out.print(_("  Signing key: {state}").format(state=state))
    env.out.print("    " + short_fingerprint(result["fingerprint"]), soft_wrap=True)
    if result.get("password_dropped"):
        env.err.print(
            _(
                "[yellow]The password was not stored:[/yellow] put it in ~/.pgpass or "
                "PGPASSWORD, or type it when refurb sync asks"
            )
        )
    env.out.print(_("Next: boot a laptop from the stick (docs/live.md)."))
