"""Reports and exports as CSV, JSON and XLSX (openpyxl: a sheet per view, typed cells, frozen
header row). Long exports stream: rows go to the file as the database hands them over."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from refurb.i18n import _
from refurb.reports.charts import none_label
from refurb.reports.model import Report
from refurb.reports.output import atomic_path, atomic_text

Progress = Callable[[int], None]


def report_table_rows(report: Report) -> Iterator[tuple[str, str, Any, str, str]]:
    """(section, item, value, unit, source): the whole report as one long table."""
    yield ("summary", _("site"), report.site, "", "")
    yield ("summary", _("generated"), report.generated_at.isoformat(timespec="seconds"), "", "")
    yield ("summary", _("period"), report.period_text(), "", "")
    yield ("summary", _("devices"), report.total, _("devices"), "")
    if report.empty:
        yield ("summary", _("note"), report.empty_message(), "", "")
    for view in report.views:
        if not view.available:
            yield (view.name, _("(not recorded in this store)"), "", "", "")
            continue
        for key, n in view.rows:
            yield (view.name, none_label(key), n, _("devices"), "")
    for line in report.flow:
        yield ("flow", line.label, line.devices, _("times"), "")
    for item in report.impact:
        label = item.label + (" — " + item.factor if item.factor else "")
        yield ("impact", label, item.value, item.unit, item.source)


REPORT_HEADER = ("section", "item", "value", "unit", "source")


def write_report_csv(report: Report, out: Path | IO[str]) -> None:
    with atomic_text(out) as fh:
        writer = csv.writer(fh)
        writer.writerow(REPORT_HEADER)
        writer.writerows(report_table_rows(report))


def write_json(data: Any, out: Path | IO[str]) -> None:
    with atomic_text(out) as fh:
        json.dump(data, fh, indent=2, ensure_ascii=False, default=str)
        fh.write("\n")


def _bold_header(ws: Any, header: Sequence[str]) -> None:
    from openpyxl.styles import Font

    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"


def write_report_xlsx(report: Report, out: Path) -> None:
    """A summary sheet, one sheet per view, the flow and the impact with its sources."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = _("Summary")[:31]
    _bold_header(ws, (_("Item"), _("Value")))
    ws.append([_("Site"), report.site])
    ws.append([_("Generated"), report.generated_at.replace(tzinfo=None)])
    ws.cell(row=ws.max_row, column=2).number_format = "yyyy-mm-dd hh:mm"
    ws.append([_("Period"), report.period_text()])
    ws.append([_("Devices"), report.total])
    if report.empty:
        ws.append([_("Note"), report.empty_message()])
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 40
    for view in report.views:
        sheet = wb.create_sheet(view.label[:31])
        _bold_header(sheet, (view.label, _("Devices")))
        sheet.column_dimensions["A"].width = 32
        if not view.available:
            sheet.append([_("(not recorded in this store)"), None])
        for key, n in view.rows:
            sheet.append([none_label(key), n])
    sheet = wb.create_sheet(_("Flow")[:31])
    _bold_header(sheet, (_("Flow, {period}").format(period=report.period_text()), _("Count")))
    sheet.column_dimensions["A"].width = 32
    for line in report.flow:
        sheet.append([line.label, line.devices])
    sheet = wb.create_sheet(_("Impact")[:31])
    _bold_header(sheet, (_("Figure"), _("Value"), _("Unit"), _("Factor"), _("Source")))
    for col, width in zip("ABCDE", (34, 12, 12, 60, 80), strict=True):
        sheet.column_dimensions[col].width = width
    for item in report.impact:
        label = item.label + (" (" + _("estimate") + ")" if item.estimate else "")
        sheet.append([label, item.value, item.unit, item.factor, item.source])
    with atomic_path(out) as tmp:
        wb.save(tmp)


# -- row exports ---------------------------------------------------------------------------------


def write_rows_csv(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    out: Path | IO[str],
    progress: Progress | None = None,
) -> int:
    n = 0
    with atomic_text(out) as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
            n += 1
            if progress and n % 1000 == 0:
                progress(1000)
    if progress:
        progress(n % 1000)
    return n


def write_rows_json(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    out: Path | IO[str],
    progress: Progress | None = None,
) -> int:
    """A JSON array of objects, written as it streams."""
    n = 0
    with atomic_text(out) as fh:
        fh.write("[")
        for row in rows:
            fh.write(",\n  " if n else "\n  ")
            fh.write(json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False))
            n += 1
            if progress and n % 1000 == 0:
                progress(1000)
        fh.write("\n]\n" if n else "]\n")
    if progress:
        progress(n % 1000)
    return n


def write_rows_xlsx(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    out: Path,
    *,
    sheet: str,
    progress: Progress | None = None,
    types: Sequence[str | None] | None = None,
) -> int:
    """One sheet, streamed (see ``xlsx_stream``), header bold and frozen, cells typed."""
    from refurb.reports.xlsx_stream import write_xlsx

    with atomic_path(out) as tmp:
        return write_xlsx(tmp, sheet, header, rows, progress, types)
