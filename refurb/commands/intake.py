"""`refurb intake`: register donated devices.

Over 400 lines on purpose: one module per command group (new, import, scan, edit, receipt,
note), each command only parsing and rendering; the work is in :mod:`refurb.intake`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from refurb.commands.progress import CountProgress
from refurb.env import Env
from refurb.i18n import _, ngettext

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


IMPORT_HELP = """Register a donor's spreadsheet of devices at once (CSV in any common encoding and
delimiter, XLSX or ODS). Columns are found by their header in Dutch, French or English
(Serienummer / Numéro de série / Serial, Merk / Marque, Model / Modèle, Schenker / Donateur /
Donor, Datum ontvangst / Date de réception, Opmerkingen / Remarques), or named with --map.

The kind of each device (laptop, desktop, tablet, phone, screen) comes from a Soort / Genre /
Type / Kind column, in any of the three languages ("vaste pc", "ordinateur portable",
"écran", "gsm"...), or from --kind for the whole file; without either it is a laptop.

Devices are matched by serial: importing the same file again changes nothing, and a changed
cell becomes an update in the device's timeline. Every bad row is named by its line; nothing
is written from a file with bad rows unless --skip-bad.

Example: refurb intake import pallet-17.xlsx --donor "KBC" --batch 2026-12-kbc --dry-run
"""
PROGRESS_FROM = 100  # rows; fewer are written before a bar would be seen


@app.command("import", help=IMPORT_HELP)
def import_(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="The donor's spreadsheet (.csv, .xlsx, .ods)."),
    donor: str | None = typer.Option(None, "--donor", "-d", help="Donor of every row."),
    batch: str | None = typer.Option(None, "--batch", "-b", help="Intake batch of every row."),
    sheet: str | None = typer.Option(None, "--sheet", help="The sheet to read (XLSX, ODS)."),
    maps: list[str] | None = typer.Option(
        None,
        "--map",
        metavar="COLUMN=FIELD",
        help="Which field a column holds, e.g. --map 'S/N fabrikant=serial' (or =- to leave "
        "it out). Fields: serial, manufacturer, model, kind, donor, batch, received, notes, "
        "location.",
    ),
    kind: str | None = typer.Option(
        None,
        "--kind",
        "-k",
        help="Kind of every row: laptop, desktop, tablet, phone or screen (wins over a column).",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", "-n", help="Show what would be created and updated; write nothing."
    ),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Import the good rows, skip bad ones."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    from refurb.errors import InvalidInput
    from refurb.intake.importer import import_file, prepare
    from refurb.store import open_store

    env: Env = ctx.obj
    prepared = prepare(file, sheet=sheet, maps=maps or (), donor=donor, batch=batch, kind=kind)
    with (
        open_store(env) as store,
        CountProgress(env, _("Importing"), threshold=PROGRESS_FROM, quiet=json_out) as progress,
    ):
        result = import_file(store, prepared, dry_run=dry_run, skip_bad=skip_bad, progress=progress)
    if json_out:
        env.print_json(result.to_dict())
    else:
        _render_import(env, result)
    if result.blocked:
        raise InvalidInput(
            ngettext(
                "{n} bad row in {file}: nothing was written",
                "{n} bad rows in {file}: nothing was written",
                len(prepared.errors),
            ).format(n=len(prepared.errors), file=prepared.file),
            _("correct them, or add --skip-bad to import the other rows"),
        )


def _render_import(env: Env, result: Any) -> None:
    from rich.markup import escape

    p = result.prepared
    for error in p.errors:
        env.err.print(
            _("line {line}: {error}").format(line=error.line, error=escape(error.message)),
            markup=False,
        )
    if p.ignored:
        env.err.print(
            _("Columns left out: {names}").format(names=", ".join(p.ignored)), markup=False
        )
    if result.dry_run:
        for item in result.created:
            env.out.print(
                _("line {line}: would register serial {serial}").format(**item), markup=False
            )
        for item in result.updated:
            env.out.print(
                _("line {line}: would update {asset}: {changes}").format(
                    line=item["line"], asset=item["asset_id"], changes=_changes(item["changes"])
                ),
                markup=False,
            )
    else:
        for item in result.updated:
            env.out.print(
                _("{asset} updated: {changes}").format(
                    asset=item["asset_id"], changes=_changes(item["changes"])
                ),
                markup=False,
            )
    counts = {
        "created": len(result.created),
        "updated": len(result.updated),
        "unchanged": len(result.unchanged),
        "bad": len(p.errors),
    }
    if result.dry_run:
        message = _(
            "Dry run, nothing written. To register: {created}, to update: {updated}, "
            "unchanged: {unchanged}, bad rows: {bad}."
        )
    elif result.blocked:
        message = _(
            "To register: {created}, to update: {updated}, unchanged: {unchanged}, bad rows: {bad}."
        )
    else:
        message = _(
            "Registered: {created}, updated: {updated}, unchanged: {unchanged}, "
            "bad rows skipped: {bad}."
        )
    env.err.print(message.format(**counts), markup=False)


def _changes(changes: dict[str, dict[str, Any]]) -> str:
    return ", ".join(
        f"{field} {c['from'] if c['from'] is not None else '—'} → {c['to']}"
        for field, c in changes.items()
    )


SCAN_HELP = """Register devices as they come in: scan (or type) one serial number or asset id per
line. A known serial or id finds its device, a new serial registers one with --donor and
--batch; with --label its label is made at once. End with Ctrl-D (end of input) or Ctrl-C.

Example: refurb intake scan --donor "KBC" --batch 2026-12-kbc --label brother-62x29 --print usb://0x04f9:0x2042
"""


@app.command("scan", help=SCAN_HELP)
def scan(
    ctx: typer.Context,
    donor: str | None = typer.Option(None, "--donor", "-d", help="Donor of new devices."),
    batch: str | None = typer.Option(None, "--batch", "-b", help="Intake batch of new devices."),
    label: str | None = typer.Option(
        None, "--label", "-t", metavar="TEMPLATE", help="Make each device's label (a template)."
    ),
    label_out: str | None = typer.Option(
        None,
        "--label-out",
        help="Where labels go: a file name with {asset}, e.g. labels/{asset}.png.",
    ),
    printer: str | None = typer.Option(
        None, "--print", "-p", help="Print each label: usb://..., tcp://HOST, a CUPS name."
    ),
    json_out: bool = typer.Option(False, "--json", help="One JSON object a line per device."),
) -> None:
    import json
    import sys

    from refurb.errors import RefurbError
    from refurb.intake.scan import clean, scan_one
    from refurb.store import open_store

    env: Env = ctx.obj
    if (label_out or printer) and not label:
        raise typer.BadParameter(_("--label-out and --print need --label TEMPLATE"))
    if label and not (label_out or printer):
        raise typer.BadParameter(_("--label needs --label-out FILE or --print PRINTER"))
    labels = _label_maker(env, label, label_out, printer) if label else None
    counts = {"new": 0, "found": 0, "errors": 0}
    interactive = bool(env.stdin_isatty)
    interrupted = False
    with open_store(env) as store:
        if interactive:
            env.err.print(_("Scan a serial number or asset id; Ctrl-D ends."), markup=False)
        try:
            while True:
                line = sys.stdin.readline()
                if not line:
                    break
                text = clean(line)
                if text is None:
                    continue
                try:
                    found = scan_one(store, text, donor=donor, batch=batch)
                except RefurbError as exc:
                    counts["errors"] += 1
                    env.err.print(
                        _("{input}: {error}").format(input=text, error=exc.message), markup=False
                    )
                    continue
                counts["new" if found.created else "found"] += 1
                if json_out:
                    sys.stdout.write(json.dumps(found.to_dict()) + "\n")
                else:
                    word = _("new") if found.created else _("found")
                    sys.stdout.write(f"{found.asset_id}\t{word}\t{found.serial or ''}\n")
                sys.stdout.flush()
                if labels is not None:
                    try:
                        labels(store, found.asset_id)
                    except RefurbError as exc:
                        env.err.print(
                            _("{asset}: no label: {error}").format(
                                asset=found.asset_id, error=exc.message
                            ),
                            markup=False,
                        )
        except KeyboardInterrupt:
            interrupted = True
    env.err.print(
        _("{new} registered, {found} found, {errors} not understood.").format(**counts),
        markup=False,
    )
    if interrupted:
        raise typer.Exit(130)


def _label_maker(env: Env, template_name: str, out: str | None, printer: str | None) -> Any:
    from refurb.labels import check_label_url, get_template, make_labels

    label_url = env.settings.label_url
    brother = env.settings.get("brother_model")
    brother = brother.strip() or None if isinstance(brother, str) else None
    if label_url:
        check_label_url(label_url)
    template = get_template(template_name, env.config_dir)
    if out and "{asset}" not in out:
        raise typer.BadParameter(
            _("--label-out needs {asset} in the name, e.g. labels/{asset}.png"),
            param_hint="--label-out",
        )

    def make(store: Any, asset_id: str) -> None:
        make_labels(
            store,
            assets=[asset_id],
            batch=None,
            template=template,
            fmt=None,
            out=out,
            printer=printer,
            skip=0,
            label_url=label_url,
            runner=env.runner,
            brother_model=brother,
            progress=None,
        )

    return make


EDIT_HELP = """Correct a device's intake record: each given field is changed, as an update in its
timeline. --confirm accepts what the probe found where it differs from the donor's sheet.

Example: refurb intake edit RF-7K3QM-X4T2A --model "ThinkPad T470" --notes "charger missing"
"""


@app.command("edit", help=EDIT_HELP)
def edit(
    ctx: typer.Context,
    asset: str = typer.Argument(..., help="Asset id."),
    serial: str | None = typer.Option(None, "--serial", help="Serial number."),
    manufacturer: str | None = typer.Option(None, "--manufacturer", help="e.g. Lenovo"),
    model: str | None = typer.Option(None, "--model", help="e.g. ThinkPad T460"),
    donor: str | None = typer.Option(None, "--donor", help="Who gave it."),
    batch: str | None = typer.Option(None, "--batch", help="Intake batch."),
    notes: str | None = typer.Option(None, "--notes", help="Anything worth knowing."),
    location: str | None = typer.Option(None, "--location", help="Shelf or room."),
    received: str | None = typer.Option(
        None, "--received", help="Date of receipt, e.g. 2026-12-31 or 31/12/2026."
    ),
    confirm: bool = typer.Option(
        False, "--confirm", help="The probe is right where it differs from the donor's sheet."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print what changed as JSON."),
) -> None:
    from refurb.intake.edit import edit_device
    from refurb.store import open_store

    env: Env = ctx.obj
    changes = {
        "serial": serial,
        "manufacturer": manufacturer,
        "model": model,
        "donor": donor,
        "batch": batch,
        "notes": notes,
        "location": location,
        "received": received,
    }
    with open_store(env) as store:
        done = edit_device(store, asset, changes, confirm=confirm)
    if json_out:
        env.print_json(done)
        return
    for field, value in done["changed"].items():
        env.out.print(
            _("{asset}: {field} is now {value}").format(
                asset=done["asset_id"], field=field, value=value if value is not None else "—"
            ),
            markup=False,
        )
    if done["confirmed"]:
        env.out.print(
            _("{asset}: the probe's {fields} confirmed").format(
                asset=done["asset_id"], fields=", ".join(done["confirmed"])
            ),
            markup=False,
        )


RECEIPT_HELP = """A receipt for the donor of an intake batch: how many devices, which models, the
date of receipt and an estimate of their weight, in the donor's language (--lang).

Example: refurb intake receipt --batch 2026-12-kbc --lang nl --pdf receipt-kbc.pdf
"""


@app.command("receipt", help=RECEIPT_HELP)
def receipt(
    ctx: typer.Context,
    batch: str = typer.Option(..., "--batch", "-b", help="The intake batch."),
    pdf: Path | None = typer.Option(None, "--pdf", help="Also write the receipt as PDF."),
    lang: str | None = typer.Option(
        None, "--lang", help="The donor's language: nl, fr or en (default: yours)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the receipt as JSON."),
) -> None:
    from refurb.intake.receipt import build_receipt, language, number, receipt_lines, render_pdf
    from refurb.store import open_store

    env: Env = ctx.obj
    if lang is not None and lang.lower()[:2] not in ("nl", "fr", "en"):
        raise typer.BadParameter(_("{lang!r}: choose nl, fr or en").format(lang=lang))
    site = env.settings.site
    with language(lang.lower()[:2] if lang else None):
        with open_store(env) as store:
            data = build_receipt(store, batch.strip(), site=site)
        form = _("{label}: {value}")
        lines = [form.format(label=label, value=value) for label, value in receipt_lines(data)]
        title = _("Receipt for donated devices")
        counts = [(number(item["count"]), item["model"]) for item in data["models"]]
        if pdf is not None:
            render_pdf(data, pdf)
    if json_out:
        env.print_json({**data, "pdf": str(pdf) if pdf else None})
        return
    env.out.print(title, markup=False)
    for line in lines:
        env.out.print("  " + line, markup=False)
    for count, model in counts:
        env.out.print(f"  {count:>5}  {model}", markup=False)
    if pdf is not None:
        env.err.print(_("Wrote {file}.").format(file=pdf), markup=False)


NOTE_HELP = """Add a note to a device's timeline (kept as an event, never overwritten).

Example: refurb note RF-7K3QM-X4T2A "keyboard replaced, charger missing"
"""


def note(
    ctx: typer.Context,
    asset: str = typer.Argument(..., help="Asset id."),
    text: list[str] = typer.Argument(..., help="The note."),
    json_out: bool = typer.Option(False, "--json", help="Print the event as JSON."),
) -> None:
    from refurb.errors import InvalidInput
    from refurb.store import open_store

    env: Env = ctx.obj
    message = " ".join(" ".join(text).split())
    if not message:
        raise InvalidInput(_("the note is empty"))
    with open_store(env) as store:
        ev = store.append(asset, "note", {"text": message})
    if json_out:
        env.print_json({"asset_id": ev.asset_id, "event_id": ev.id, "text": message})
        return
    env.out.print(_("Noted on {asset}.").format(asset=ev.asset_id), markup=False)
