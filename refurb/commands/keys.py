"""`refurb keys`: hand out this site's public key and choose which other sites' keys to trust."""

from __future__ import annotations

from pathlib import Path

import typer

from refurb.env import Env
from refurb.i18n import _

app = typer.Typer(
    help=(
        "Share this site's public key and trust other sites' keys, so that `refurb wipe "
        "verify-cert` accepts the certificates they sign.\n\n"
        "Example: refurb keys trust repair-cafe-gent.pub"
    ),
    no_args_is_help=True,
)


@app.command("export")
def export(
    ctx: typer.Context,
    out: Path | None = typer.Option(
        None, "--out", help="Write the key to this file instead of printing it."
    ),
) -> None:
    """Print (or write) this site's public key, to give to donors and other workshops.

    Example: refurb keys export --out repair-cafe-gent.pub
    """
    from refurb import keys
    from refurb.errors import InvalidInput

    env: Env = ctx.obj
    site = str((env.extra.get("config") or {}).get("site") or "") or None
    text = keys.export_text(env, site)
    if out is None:
        env.out.print(text, end="", markup=False, highlight=False, soft_wrap=True)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(
            _("cannot write {path}: {why}").format(path=out, why=exc.strerror or exc)
        ) from exc
    fp = text.split("fingerprint: ", 1)[1].split("\n", 1)[0]
    env.out.print(_("Public key written to {path}").format(path=out), markup=False)
    env.out.print("  " + fp, markup=False)


@app.command("trust")
def trust(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="Another site's public key file (from keys export)."),
    name: str | None = typer.Option(
        None, "--name", help="A name for the key, e.g. the workshop's (default: from the file)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Trust certificates signed by another site's key. Check its fingerprint with them first.

    Example: refurb keys trust repair-cafe-gent.pub --name "Repair Café Gent"
    """
    from refurb import keys

    env: Env = ctx.obj
    entry = keys.trust_key(env, file, name=name)
    if as_json:
        env.print_json(entry)
        return
    if entry["source"] == keys.SITE:
        env.out.print(_("This is this site's own key: it is always trusted."))
    elif entry["new"]:
        env.out.print(_("Trusted the key of {name}.").format(name=entry["name"]), markup=False)
    else:
        env.out.print(_("The key of {name} was already trusted.").format(name=entry["name"]))
    env.out.print("  " + entry["fingerprint"], markup=False)


@app.command("untrust")
def untrust(
    ctx: typer.Context,
    fingerprint: str = typer.Argument(..., help="The fingerprint shown by `refurb keys list`."),
) -> None:
    """Stop trusting a key added with `refurb keys trust`.

    Example: refurb keys untrust SHA256:3f1c...
    """
    from refurb import keys

    env: Env = ctx.obj
    gone = keys.untrust_key(env, fingerprint)
    env.out.print(_("No longer trusted: {name}.").format(name=gone["name"] or "-"), markup=False)
    env.out.print("  " + gone["fingerprint"], markup=False)


@app.command("list")
def list_keys(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print the keys as JSON."),
) -> None:
    """List the keys whose certificates `verify-cert` accepts, with their fingerprints.

    Example: refurb keys list
    """
    from refurb import keys

    env: Env = ctx.obj
    entries = keys.trusted_keys(env)
    if as_json:
        env.print_json(entries)
        return
    if not entries:
        env.out.print(_("No keys: run `refurb init` to create this site's key."))
        return
    site = str((env.extra.get("config") or {}).get("site") or "")
    for entry in entries:
        if entry["source"] == keys.SITE:
            head = _("this site: {name}").format(name=site or "-")
        else:
            head = _("trusted: {name} (added {date})").format(
                name=entry.get("name") or "-", date=str(entry.get("added_at") or "-")[:10]
            )
        env.out.print(head, markup=False)
        env.out.print("  " + entry["fingerprint"], markup=False)
