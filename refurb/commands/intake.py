"""`refurb intake`: register donated devices."""

from __future__ import annotations

import typer

from refurb.env import Env
from refurb.i18n import _

app = typer.Typer(
    help=(
        "Register donated devices: each gets an asset id to write on it or print on a label.\n\n"
        "Example: refurb intake new --serial PF0ABC12 --donor KBC --batch 2026-11"
    ),
    no_args_is_help=True,
)


@app.command("new")
def new(
    ctx: typer.Context,
    serial: str | None = typer.Option(None, "--serial", "-s", help="Serial number on the sticker."),
    manufacturer: str | None = typer.Option(None, "--manufacturer", help="e.g. Lenovo"),
    model: str | None = typer.Option(None, "--model", help="e.g. ThinkPad T460"),
    donor: str | None = typer.Option(None, "--donor", "-d", help="Who gave it."),
    batch: str | None = typer.Option(
        None, "--batch", "-b", help="Intake batch, e.g. 2026-11-ghent."
    ),
    notes: str | None = typer.Option(None, "--notes", help="Anything worth knowing."),
    location: str | None = typer.Option(None, "--location", help="Shelf or room."),
    kind: str = typer.Option(
        "laptop", "--kind", "-k", help="laptop, desktop, tablet, phone or screen (a monitor)."
    ),
    force: bool = typer.Option(
        False, "--force", help="Register even if the serial is already in the store."
    ),
    json_out: bool = typer.Option(False, "--json", help='Print {"asset_id": ...}.'),
) -> None:
    """Register one device and print its new asset id.

    Example: refurb intake new --serial PF0ABC12 --model "ThinkPad T460" --donor "KBC" --batch B-17

    A screen, tablet or phone: refurb intake new --kind screen --model "Dell P2419H"
    """
    from refurb.store import open_store

    env: Env = ctx.obj
    fields = {
        "serial": serial,
        "manufacturer": manufacturer,
        "model": model,
        "donor": donor,
        "batch": batch,
        "notes": notes,
        "location": location,
        "kind": kind,
    }
    with open_store(env) as store:
        device = store.intake(fields, force=force)
    if json_out:
        env.print_json({"asset_id": device.asset_id})
        return
    env.out.print(device.asset_id)
    env.err.print(
        _("Registered {asset}. Write it on the laptop or print its label.").format(
            asset=device.asset_id
        )
    )
