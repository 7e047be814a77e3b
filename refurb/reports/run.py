"""The two entry points the commands call: write a stock report, run an export."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from refurb.errors import InvalidInput
from refurb.i18n import _
from refurb.reports.model import Filters, Report

if TYPE_CHECKING:
    from refurb.store import Store

REPORT_FORMATS = ("table", "csv", "json", "xlsx", "html", "pdf")
BINARY = ("xlsx", "pdf")
EXPORTS: dict[str, tuple[tuple[str, ...], str]] = {  # export -> (formats, default format)
    "ords": (("csv", "json"), "csv"),
    "snipeit": (("csv",), "csv"),
    "csv": (("csv",), "csv"),
    "xlsx": (("xlsx",), "xlsx"),
}


def need_file(fmt: str, out: Path | None) -> None:
    if fmt in BINARY and out is None:
        raise InvalidInput(
            _("{fmt} is written to a file").format(fmt=fmt.upper()),
            _("add --out FILE.{ext}").format(ext=fmt),
        )


def write_report(report: Report, fmt: str, out: Path | IO[str]) -> None:
    """The report in ``fmt`` (anything but table) to a file or a text stream."""
    from refurb.reports import writers

    if fmt == "csv":
        writers.write_report_csv(report, out)
    elif fmt == "json":
        writers.write_json(report.as_dict(), out)
    elif fmt == "html":
        from refurb.reports.html import write_report_html

        write_report_html(report, out)
    elif fmt == "xlsx":
        assert isinstance(out, Path)
        writers.write_report_xlsx(report, out)
    elif fmt == "pdf":
        from refurb.reports.pdf import write_report_pdf

        assert isinstance(out, Path)
        write_report_pdf(report, out)
    else:  # pragma: no cover - the command checks the format first
        raise InvalidInput(_("unknown format {name!r}").format(name=fmt))


def export(
    store: Store,
    what: str,
    fmt: str,
    out: Path | IO[str],
    filters: Filters,
    config: Mapping[str, Any],
    *,
    country: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write one export; returns the number of devices written."""
    from refurb.reports import exports, writers

    if what == "ords":
        header: tuple[str, ...] | list[str] = exports.ORDS_FIELDS
        dicts = exports.ords_rows(store, filters, config, country)
        rows: Any = (tuple(d[k] for k in header) for d in dicts)
    elif what == "snipeit":
        header = exports.SNIPEIT_FIELDS
        rows = (tuple(d.values()) for d in exports.snipeit_rows(store, filters, config))
    else:
        header = exports.device_fields()
        rows = exports.device_rows(store, filters)
    if fmt == "json":
        return writers.write_rows_json(header, rows, out, progress)
    if fmt == "xlsx":
        assert isinstance(out, Path)
        types = exports.device_field_types() if what in ("csv", "xlsx") else None
        return writers.write_rows_xlsx(
            header, rows, out, sheet=_("Devices"), progress=progress, types=types
        )
    return writers.write_rows_csv(header, rows, out, progress)


def export_size(store: Store, filters: Filters) -> int:
    from refurb.reports.exports import count

    return count(store, filters)
