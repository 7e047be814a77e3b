"""`refurb label ASSET...` makes QR labels; `refurb labels templates` lists the label stock.

`label` is a plain command (its asset ids are a variadic argument, which a Typer group cannot also
take next to subcommands), and the template list lives in the `labels` group. `refurb label
templates`, the spelling in the design notes, still works: "templates" is never an asset id.
"""

from __future__ import annotations

import sys

import typer

from refurb.commands.progress import CountProgress
from refurb.env import Env
from refurb.i18n import _

HELP = """Make QR labels for devices: a PNG, SVG, PDF or ZPL file, or print them.

The QR code holds the asset id (or the site's label_url with the id filled in). Several labels
go into one PDF; on a sheet template they fill the cells in order, --skip N leaves the first N
cells of the first sheet empty. --print sends them to a Brother QL (usb://..., tcp://...,
file:PATH), a Zebra (tcp://HOST with a zebra template) or a CUPS printer by its name.

Example: refurb label RF-7K3QM-X4T2A --template brother-62x29 --print usb://0x04f9:0x209b

Example: refurb label --batch B-17 --template avery-l7163 --skip 3 --out batch-17.pdf
"""

TEMPLATES_HELP = """List the label templates: the shipped ones and the site's own.

A site adds templates in label_templates.toml in its config folder (see docs/labels.md).

Example: refurb labels templates --json
"""

app = typer.Typer(
    help=("Label templates (`refurb label` makes the labels).\n\nExample: refurb labels templates"),
    no_args_is_help=True,
)

PROGRESS_FROM = 40  # labels; fewer are done before a bar would be seen


def label(
    ctx: typer.Context,
    assets: list[str] | None = typer.Argument(
        None, help="Asset ids to label (RF- may be left out).", show_default=False
    ),
    batch: str | None = typer.Option(
        None, "--batch", "-b", help="Label every device of this intake batch."
    ),
    template_name: str | None = typer.Option(
        None,
        "--template",
        "-t",
        help="Label template (see `refurb labels templates`). Default: the config's "
        "label_template, else brother-62x29.",
    ),
    fmt: str | None = typer.Option(
        None,
        "--format",
        "-f",
        help="png, svg, pdf or zpl. Default: from --out, else the template's.",
    ),
    out: str | None = typer.Option(
        None,
        "--out",
        "-o",
        help="File to write; {asset} / {page} in the name make one file per label / page; "
        "'-' writes SVG or ZPL to stdout.",
    ),
    printer: str | None = typer.Option(
        None,
        "--print",
        "-p",
        help="Printer: usb://..., tcp://HOST[:PORT], file:PATH or a CUPS name.",
    ),
    skip: int = typer.Option(0, "--skip", min=0, help="Used cells to skip on the first sheet."),
    printer_model: str | None = typer.Option(
        None, "--printer-model", help="Brother QL model (default: the config's, else QL-700)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print what was made as JSON."),
) -> None:
    from refurb.labels import DEFAULT_TEMPLATE, check_label_url, get_template, make_labels
    from refurb.store import open_store

    env: Env = ctx.obj
    assets = list(assets or [])
    if assets == ["templates"] and not batch:
        _show_templates(env, json_out)
        return
    label_url = env.settings.label_url
    if label_url:
        check_label_url(label_url)
    template = get_template(
        template_name or _setting(env, "label_template") or DEFAULT_TEMPLATE, env.config_dir
    )
    if not assets and not batch:
        raise typer.BadParameter(_("give asset ids or --batch"), param_hint="ASSETS")
    with (
        open_store(env) as store,
        CountProgress(env, _("Labels"), threshold=PROGRESS_FROM, quiet=json_out) as progress,
    ):
        run = make_labels(
            store,
            assets=assets,
            batch=batch,
            template=template,
            fmt=fmt,
            out=out,
            printer=printer,
            skip=skip,
            label_url=label_url,
            runner=env.runner,
            brother_model=printer_model or _setting(env, "brother_model"),
            progress=progress,
        )
    for warning in run.warnings:
        env.err.print(f"[yellow]{_('warning')}:[/yellow] {warning}", markup=True)
    if run.stdout is not None:
        sys.stdout.write(run.stdout.decode())
        sys.stdout.flush()
        return
    if json_out:
        env.print_json(run.to_dict())
        return
    count = len(run.labels)
    for name in run.files:
        env.out.print(name, markup=False, highlight=False)
    if run.printer:
        env.err.print(
            _("Printed {count} label(s) on {printer} ({detail}).").format(
                count=count, printer=run.printer, detail=run.print_detail or "ok"
            ),
            markup=False,
        )
    if run.files:
        env.err.print(
            _("Wrote {count} label(s) with template {template}.").format(
                count=count, template=run.template
            ),
            markup=False,
        )


@app.command("templates", help=TEMPLATES_HELP)
def templates(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print the templates as JSON."),
) -> None:
    _show_templates(ctx.obj, json_out)


def _show_templates(env: Env, json_out: bool) -> None:
    from refurb.labels import load_templates

    found = load_templates(env.config_dir)
    if json_out:
        env.print_json([t.summary() for t in found.values()])
        return
    from rich.table import Table

    table = Table(show_edge=False)
    for col in (_("Template"), _("Size (mm)"), _("Per page"), _("Printer"), _("Description")):
        table.add_column(col)
    for t in found.values():
        table.add_row(
            t.name,
            f"{t.width_mm:.1f} × {t.height_mm:.1f}",
            str(t.per_page),
            t.printer,
            # shipped descriptions are in labels.po; a site's own stay as written
            _(t.description) + ("" if t.source.startswith("refurb/") else f" ({_('site')})"),
        )
    env.out.print(table)


def _setting(env: Env, key: str) -> str | None:
    value = env.settings.get(key)
    return value.strip() or None if isinstance(value, str) else None
