"""The charts of a stock report, as data: the HTML (SVG) and the PDF draw the same ones."""

from __future__ import annotations

from dataclasses import dataclass

from refurb.i18n import _
from refurb.reports.model import Report

TOP = 10  # bars at most; the rest are summed into one "other" bar
PALETTE = ("#2f6f9f", "#4f9d69", "#d08c2f", "#b5485d", "#6c5b9e", "#3c8c8c", "#8a6d3b", "#777777")


@dataclass
class Chart:
    title: str
    bars: list[tuple[str, int]]

    @property
    def peak(self) -> int:
        return max((v for _l, v in self.bars), default=0) or 1


def none_label(value: str | None) -> str:
    return value if value not in (None, "") else _("(none)")


def row_label(view: str, value: str | None) -> str:
    """A row of a view as a reader sees it: a status in the reader's words (``refurb.terms``)."""
    if view == "status" and value:
        from refurb.terms import status_word

        return status_word(value)
    return none_label(value)


def charts(report: Report) -> list[Chart]:
    out: list[Chart] = []
    for view in report.views:
        if view.name not in ("status", "grade", "kind", "model", "partner") or not view.available:
            continue
        bars = [(row_label(view.name, k), n) for k, n in view.rows[:TOP]]
        rest = sum(n for _k, n in view.rows[TOP:])
        if rest:
            bars.append((_("other"), rest))
        if bars:
            out.append(Chart(_("Devices by {view}").format(view=view.label.lower()), bars))
    out.append(
        Chart(
            _("Flow, {period}").format(period=report.period_text()),
            [(line.label, line.devices) for line in report.flow],
        )
    )
    return out
