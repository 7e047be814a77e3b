"""The stock report as a printable PDF for funders (fpdf2, DejaVu Sans shipped with refurb):
the impact figures with their sources, the same bar charts as the HTML report, and the counts."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from refurb.i18n import _
from refurb.reports.charts import PALETTE, Chart, charts, row_label
from refurb.reports.model import Report
from refurb.reports.output import atomic_path

FONTS = Path(__file__).resolve().parent.parent / "fonts"
ROWS_PER_VIEW = 15


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


class _Doc:
    def __init__(self, report: Report) -> None:
        from fpdf import FPDF

        logging.getLogger("fpdf").addHandler(logging.NullHandler())
        logging.getLogger("fpdf").propagate = False
        self.report = report
        pdf = FPDF(format="A4", unit="mm")
        pdf.add_font("Sans", "", str(FONTS / "DejaVuSans.ttf"))
        pdf.add_font("Sans", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        pdf.set_margins(15, 15, 15)
        pdf.set_auto_page_break(True, margin=15)
        pdf.set_title(_("Stock report"))
        pdf.set_creator("refurb")
        self.pdf = pdf
        self.width = pdf.w - pdf.l_margin - pdf.r_margin

    def heading(self, text: str, size: float = 13) -> None:
        pdf = self.pdf
        if pdf.get_y() > pdf.h - 40:
            pdf.add_page()
        pdf.ln(3)
        pdf.set_font("Sans", "B", size)
        pdf.cell(self.width, 8, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Sans", "", 9.5)

    def row(self, cells: list[tuple[str, float, str]], bold: bool = False) -> None:
        pdf = self.pdf
        pdf.set_font("Sans", "B" if bold else "", 9.5)
        for text, width, align in cells:
            pdf.cell(width, 5.5, text, border="B", align=align)
        pdf.ln(5.5)

    def chart(self, chart: Chart, x: float, y: float, width: float) -> float:
        """Draw one bar chart at (x, y); return its height."""
        pdf = self.pdf
        label_w, bar_h, gap = 38.0, 4.2, 1.4
        bar_w = width - label_w - 14
        pdf.set_xy(x, y)
        pdf.set_font("Sans", "B", 9.5)
        pdf.cell(width, 5, chart.title[:60])
        pdf.set_font("Sans", "", 8)
        top = y + 6.5
        for i, (label, value) in enumerate(chart.bars):
            yy = top + i * (bar_h + gap)
            pdf.set_xy(x, yy)
            short = label if len(label) <= 22 else label[:21] + "…"
            pdf.cell(label_w - 1.5, bar_h, short, align="R")
            w = max(bar_w * value / chart.peak, 0.3 if value else 0)
            pdf.set_fill_color(*_rgb(PALETTE[i % len(PALETTE)]))
            if w:
                pdf.rect(x + label_w, yy, w, bar_h, style="F")
            pdf.set_xy(x + label_w + w + 1, yy)
            pdf.cell(12, bar_h, str(value))
        return 6.5 + len(chart.bars) * (bar_h + gap) + 3

    def build(self) -> Any:
        report, pdf = self.report, self.pdf
        pdf.add_page()
        pdf.set_font("Sans", "B", 18)
        site = report.site or _("(site not named)")
        pdf.multi_cell(
            self.width,
            9,
            _("Stock report: {site}").format(site=site),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_font("Sans", "", 9.5)
        pdf.multi_cell(
            self.width,
            5,
            _("Made {when}; period: {period}; devices counted: {n}").format(
                when=report.generated_at.strftime("%Y-%m-%d %H:%M"),
                period=report.period_text(),
                n=report.total,
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        if report.empty:
            pdf.ln(2)
            pdf.set_fill_color(255, 244, 214)
            pdf.set_font("Sans", "B", 11)
            pdf.multi_cell(
                self.width, 8, report.empty_message(), fill=True, new_x="LMARGIN", new_y="NEXT"
            )
        self.heading(_("Impact"))
        for item in report.impact:
            label = item.label + (f" ({_('estimate')})" if item.estimate else "")
            pdf.set_font("Sans", "B", 10)
            pdf.cell(self.width * 0.62, 6, label)
            pdf.cell(
                self.width * 0.38,
                6,
                f"{_number(item.value)} {item.unit}",
                align="R",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            pdf.set_font("Sans", "", 7.5)
            pdf.set_text_color(80, 88, 100)
            pdf.multi_cell(
                self.width,
                3.6,
                _("Factor: {factor}").format(factor=item.factor),
                align="L",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            pdf.multi_cell(
                self.width,
                3.6,
                _("Source: {source}").format(source=item.source),
                align="L",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            pdf.set_text_color(0, 0, 0)
            pdf.ln(1)
        self.heading(_("Charts"))
        column_w = (self.width - 6) / 2
        items = charts(report)
        for start in range(0, len(items), 2):
            pair = items[start : start + 2]
            need = max(6.5 + len(c.bars) * 5.6 + 3 for c in pair)
            if pdf.get_y() + need > pdf.h - 15:
                pdf.add_page()
            y = pdf.get_y()
            heights = [
                self.chart(c, pdf.l_margin + i * (column_w + 6), y, column_w)
                for i, c in enumerate(pair)
            ]
            pdf.set_xy(pdf.l_margin, y + max(heights))
        self.heading(_("Flow, {period}").format(period=report.period_text()))
        self.row([(_("Step"), self.width * 0.7, "L"), (_("Count"), self.width * 0.3, "R")], True)
        for line in report.flow:
            self.row(
                [(line.label, self.width * 0.7, "L"), (str(line.devices), self.width * 0.3, "R")]
            )
        self.heading(_("Counts"))
        for view in report.views:
            if pdf.get_y() > pdf.h - 35:
                pdf.add_page()
            pdf.ln(1)
            self.row(
                [(view.label, self.width * 0.7, "L"), (_("Devices"), self.width * 0.3, "R")], True
            )
            if not view.available:
                self.row([(_("(not recorded in this store)"), self.width, "L")])
                continue
            for key, n in view.rows[:ROWS_PER_VIEW]:
                self.row(
                    [
                        (row_label(view.name, key)[:80], self.width * 0.7, "L"),
                        (str(n), self.width * 0.3, "R"),
                    ]
                )
            rest = view.rows[ROWS_PER_VIEW:]
            if rest:
                self.row(
                    [
                        (
                            _("… and {n} more (see the XLSX or CSV report)").format(n=len(rest)),
                            self.width * 0.7,
                            "L",
                        ),
                        (str(sum(n for _k, n in rest)), self.width * 0.3, "R"),
                    ]
                )
        return pdf


def write_report_pdf(report: Report, out: Path) -> None:
    pdf = _Doc(report).build()
    with atomic_path(out) as tmp:
        pdf.output(str(tmp))
