"""`refurb stock` and `refurb export ...`: what the workshop has, and its data for others."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import typer

from refurb.env import Env
from refurb.i18n import _

STOCK_HELP = """Stock counts by status, grade, kind, model, batch, donor, location and partner, the
flow over a period (taken in, erased, graded, ready, lent, returned, recycled) and the impact
figures with their sources. As a table, CSV, JSON, XLSX, HTML or PDF (from --out's extension).
--since and --until select the devices taken in then, and the period of the flow.

Example: refurb stock --since 2026-01-01 --until 2026-12-31 --out report-2026.pdf
"""
EXPORT_HELP = """Export devices for other systems: the Open Repair Data Standard, Snipe-IT's asset
importer, or every device with every field as CSV or XLSX.

Example: refurb export ords --country BEL --out ords.csv
"""
ORDS_HELP = """Devices worked on as Open Repair Data Standard v0.3 records (CSV, or JSON).

Example: refurb export ords --country BEL --out ords.csv
"""
SNIPEIT_HELP = """A CSV for Snipe-IT's asset importer (custom fields CPU, RAM, Storage, Grade and
Erasure Date: create them in Snipe-IT first).

Example: refurb export snipeit --status ready --out snipeit.csv
"""
CSV_HELP = """Every device with every field, as CSV.

Example: refurb export csv --batch 2026-11 --out devices.csv
"""
XLSX_HELP = """Every device with every field, as an XLSX workbook.

Example: refurb export xlsx --out devices.xlsx
"""

app = typer.Typer(help=EXPORT_HELP, no_args_is_help=True, rich_markup_mode=None)

STATUS_OPT = typer.Option(None, "--status", help="Only this status (repeat for several).")
BATCH_OPT = typer.Option(None, "--batch", "-b", help="Only this intake batch.")
DONOR_OPT = typer.Option(None, "--donor", help="Only this donor's devices.")
SINCE_OPT = typer.Option(
    None,
    "--since",
    help="From this day (2026-01-31 or 31/01/2026): devices taken in, and the flow.",
)
UNTIL_OPT = typer.Option(None, "--until", help="Up to and including this day.")
OUT_OPT = typer.Option(None, "--out", "-o", help="Write to this file (format from its extension).")


def _filters(status: list[str] | None, batch: Any, donor: Any, since: Any, until: Any) -> Any:
    from refurb.lifecycle import check_status_names
    from refurb.reports.model import Filters, parse_date

    names = [s.strip().lower() for s in status or []]
    check_status_names(names)
    day_since: date | None = parse_date(since, "--since") if since else None
    day_until: date | None = parse_date(until, "--until") if until else None
    return Filters(tuple(names), batch, donor, day_since, day_until)


class _Progress:
    """A rich progress bar on stderr for a long export; nothing for a small one."""

    def __init__(self, env: Env, total: int) -> None:
        self.env, self.total, self.bar, self.task = env, total, None, None

    def __enter__(self) -> _Progress:
        if self.total >= 5000:
            from rich.progress import Progress

            self.bar = Progress(console=self.env.err, transient=True)
            self.bar.start()
            self.task = self.bar.add_task(_("Exporting"), total=self.total)
        return self

    def __call__(self, done: int) -> None:
        if self.bar is not None:
            self.bar.advance(self.task, done)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def stock(
    ctx: typer.Context,
    status: list[str] | None = STATUS_OPT,
    batch: str | None = BATCH_OPT,
    donor: str | None = DONOR_OPT,
    since: str | None = SINCE_OPT,
    until: str | None = UNTIL_OPT,
    by: list[str] | None = typer.Option(
        None, "--by", help="Only these views (status, grade, kind, model, batch, donor, ...)."
    ),
    fmt: str | None = typer.Option(
        None, "--format", "-f", help="table, csv, json, xlsx, html or pdf."
    ),
    out: Path | None = OUT_OPT,
    json_out: bool = typer.Option(False, "--json", help="Same as --format json."),
) -> None:
    from refurb.reports.model import check_views
    from refurb.reports.output import check_target, choose_format
    from refurb.reports.run import REPORT_FORMATS, need_file, write_report
    from refurb.reports.stock import build_report
    from refurb.store import open_store

    env: Env = ctx.obj
    chosen = choose_format("json" if json_out and not fmt else fmt, out, REPORT_FORMATS, "table")
    need_file(chosen, out)
    if out is not None:
        check_target(out)
    filters = _filters(status, batch, donor, since, until)
    views = check_views(list(by or []))
    config = env.extra.get("config") or {}
    with open_store(env) as store:
        report = build_report(store, filters, views=views, config=config)
    if chosen == "table":
        if out is None:
            _render(env, report)
            return
        from rich.console import Console

        from refurb.reports.output import atomic_text

        with atomic_text(out) as fh:
            _render(env, report, Console(file=fh, width=120, no_color=True))
        env.err.print(_("Wrote {path}").format(path=out))
        return
    write_report(report, chosen, out if out is not None else sys.stdout)
    if out is not None:
        env.err.print(_("Wrote {path}").format(path=out))


def _render(env: Env, report: Any, console: Any = None) -> None:
    from rich.table import Table

    from refurb.reports.charts import row_label

    out = console or env.out
    site = report.site or _("(site not named)")
    out.print(
        f"[bold]{_('Stock report: {site}').format(site=site)}[/bold]  "
        + _("period: {period}; devices counted: {n}").format(
            period=report.period_text(), n=report.total
        )
    )
    if report.empty:
        out.print(f"[yellow]{report.empty_message()}[/yellow]")
    grid = Table.grid(padding=(0, 3))
    tables = []
    for view in report.views:
        table = Table(title=view.label, title_justify="left", show_edge=False)
        table.add_column(view.label)
        table.add_column(_("Devices"), justify="right")
        if not view.available:
            table.add_row(_("(not recorded in this store)"), "")
        for key, n in view.rows[:15]:
            table.add_row(row_label(view.name, key), str(n))
        if len(view.rows) > 15:
            rest = view.rows[15:]
            table.add_row(_("… and {n} more").format(n=len(rest)), str(sum(n for _k, n in rest)))
        tables.append(table)
    flow = Table(
        title=_("Flow, {period}").format(period=report.period_text()),
        title_justify="left",
        show_edge=False,
    )
    flow.add_column(_("Step"))
    flow.add_column(_("Count"), justify="right")
    for line in report.flow:
        flow.add_row(line.label, str(line.devices))
    tables.append(flow)
    for start in range(0, len(tables), 3):
        grid.add_row(*tables[start : start + 3])
    out.print(grid)
    impact = Table(title=_("Impact"), title_justify="left", show_edge=False)
    for col in (_("Figure"), _("Value"), _("Factor"), _("Source")):
        impact.add_column(col, overflow="fold")
    for item in report.impact:
        label = item.label + (f" ({_('estimate')})" if item.estimate else "")
        value = f"{item.value:,.1f}".removesuffix(".0")
        impact.add_row(label, f"{value} {item.unit}", item.factor, item.source)
    out.print(impact)


def _export(
    ctx: typer.Context,
    what: str,
    fmt: str | None,
    out: Path | None,
    status: list[str] | None,
    batch: str | None,
    donor: str | None,
    since: str | None,
    until: str | None,
    country: str | None = None,
) -> None:
    from refurb.reports.output import check_target, choose_format
    from refurb.reports.run import EXPORTS, export, export_size, need_file
    from refurb.store import open_store

    env: Env = ctx.obj
    formats, default = EXPORTS[what]
    chosen = choose_format(fmt, out, formats, default)
    need_file(chosen, out)
    if out is not None:
        check_target(out)
    filters = _filters(status, batch, donor, since, until)
    config = env.extra.get("config") or {}
    with open_store(env) as store:
        size = export_size(store, filters)
        with _Progress(env, size) as progress:
            n = export(
                store,
                what,
                chosen,
                out if out is not None else sys.stdout,
                filters,
                config,
                country=country,
                progress=progress,
            )
    if out is not None:
        from refurb.i18n import ngettext

        env.err.print(
            ngettext("Wrote {n} device to {path}", "Wrote {n} devices to {path}", n).format(
                n=n, path=out
            )
        )


@app.command("ords", help=ORDS_HELP)
def export_ords(
    ctx: typer.Context,
    out: Path | None = OUT_OPT,
    fmt: str | None = typer.Option(None, "--format", "-f", help="csv or json."),
    country: str | None = typer.Option(
        None, "--country", help="Country as a 3-letter ISO code (BEL); default: the settings."
    ),
    status: list[str] | None = STATUS_OPT,
    batch: str | None = BATCH_OPT,
    donor: str | None = DONOR_OPT,
    since: str | None = SINCE_OPT,
    until: str | None = UNTIL_OPT,
) -> None:
    _export(ctx, "ords", fmt, out, status, batch, donor, since, until, country)


@app.command("snipeit", help=SNIPEIT_HELP)
def export_snipeit(
    ctx: typer.Context,
    out: Path | None = OUT_OPT,
    status: list[str] | None = STATUS_OPT,
    batch: str | None = BATCH_OPT,
    donor: str | None = DONOR_OPT,
    since: str | None = SINCE_OPT,
    until: str | None = UNTIL_OPT,
) -> None:
    _export(ctx, "snipeit", None, out, status, batch, donor, since, until)


@app.command("csv", help=CSV_HELP)
def export_csv(
    ctx: typer.Context,
    out: Path | None = OUT_OPT,
    status: list[str] | None = STATUS_OPT,
    batch: str | None = BATCH_OPT,
    donor: str | None = DONOR_OPT,
    since: str | None = SINCE_OPT,
    until: str | None = UNTIL_OPT,
) -> None:
    _export(ctx, "csv", None, out, status, batch, donor, since, until)


@app.command("xlsx", help=XLSX_HELP)
def export_xlsx(
    ctx: typer.Context,
    out: Path | None = OUT_OPT,
    status: list[str] | None = STATUS_OPT,
    batch: str | None = BATCH_OPT,
    donor: str | None = DONOR_OPT,
    since: str | None = SINCE_OPT,
    until: str | None = UNTIL_OPT,
) -> None:
    _export(ctx, "xlsx", None, out, status, batch, donor, since, until)
