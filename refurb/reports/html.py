"""The stock report as one self-contained HTML file: inline CSS and SVG charts, no script, no
font, image or style sheet from anywhere else, so it opens the same offline."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import IO

from refurb.i18n import _, current_language
from refurb.reports.charts import PALETTE, Chart, charts, row_label
from refurb.reports.model import Report
from refurb.reports.output import atomic_text

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:2rem;
color:#1d2430;max-width:70rem}
h1{margin:0 0 .2rem}h2{margin:2rem 0 .6rem;border-bottom:1px solid #ccd3dc;padding-bottom:.2rem}
.meta{color:#56606d}.empty{background:#fff4d6;border:1px solid #e7c66b;padding:.8rem;
border-radius:.3rem}
.grid{display:flex;flex-wrap:wrap;gap:1.5rem}.card{border:1px solid #dde3ea;border-radius:.4rem;
padding:.8rem}
table{border-collapse:collapse;margin:.3rem 0 1rem}th,td{padding:.25rem .7rem;text-align:left;
border-bottom:1px solid #e6eaef;vertical-align:top}td.n{text-align:right;font-variant-numeric:
tabular-nums}.src{font-size:.85rem;color:#56606d}.est{font-style:italic}
.kpi{display:flex;gap:1rem;flex-wrap:wrap}.kpi div{background:#eef4f9;border-radius:.4rem;
padding:.6rem 1rem}.kpi b{display:block;font-size:1.6rem}
@media print{body{margin:1cm}}
"""
BAR_H, GAP, LABEL_W, BAR_W = 22, 6, 160, 240


def svg_chart(chart: Chart) -> str:
    """A horizontal bar chart, sized to its bars; every bar carries its number."""
    height = len(chart.bars) * (BAR_H + GAP) + 30
    width = LABEL_W + BAR_W + 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(chart.title)}">',
        f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(chart.title)}</text>',
    ]
    for i, (label, value) in enumerate(chart.bars):
        y = 26 + i * (BAR_H + GAP)
        w = round(BAR_W * value / chart.peak, 1)
        colour = PALETTE[i % len(PALETTE)]
        short = label if len(label) <= 24 else label[:23] + "…"
        parts.append(
            f'<text x="{LABEL_W - 6}" y="{y + 15}" font-size="12" text-anchor="end">'
            f"<title>{escape(label)}</title>{escape(short)}</text>"
            f'<rect x="{LABEL_W}" y="{y}" width="{w}" height="{BAR_H}" fill="{colour}" rx="2"/>'
            f'<text x="{LABEL_W + w + 5}" y="{y + 15}" font-size="12">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]], numeric: set[int]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="n">{escape(c)}</td>' if i in numeric else f"<td>{escape(c)}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def render_html(report: Report) -> str:
    title = _("Stock report")
    site = report.site or _("(site not named)")
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{current_language()}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)} — {escape(site)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(_('Stock report: {site}').format(site=site))}</h1>",
        '<p class="meta">'
        + escape(
            _("Made {when}; period: {period}; devices counted: {n}").format(
                when=report.generated_at.strftime("%Y-%m-%d %H:%M"),
                period=report.period_text(),
                n=report.total,
            )
        )
        + "</p>",
    ]
    if report.empty:
        out.append(f'<p class="empty">{escape(report.empty_message())}</p>')
    out.append(f'<h2>{escape(_("Impact"))}</h2><div class="kpi">')
    for item in report.impact:
        label = item.label
        out.append(
            f'<div class="{"est" if item.estimate else ""}"><b>{_number(item.value)}</b>'
            f"{escape(item.unit)} · {escape(label)}</div>"
        )
    out.append("</div>")
    out.append(
        _table(
            (_("Figure"), _("Value"), _("Factor"), _("Source")),
            [
                (
                    i.label + (f" ({_('estimate')})" if i.estimate else ""),
                    f"{_number(i.value)} {i.unit}",
                    i.factor,
                    i.source,
                )
                for i in report.impact
            ],
            {1},
        ).replace("<td>", '<td class="src">')
    )
    out.append(f'<h2>{escape(_("Charts"))}</h2><div class="grid">')
    for chart in charts(report):
        out.append(f'<div class="card">{svg_chart(chart)}</div>')
    out.append("</div>")
    out.append(f"<h2>{escape(_('Flow, {period}').format(period=report.period_text()))}</h2>")
    out.append(
        _table(
            (_("Step"), _("Count")),
            [(line.label, str(line.devices)) for line in report.flow],
            {1},
        )
    )
    out.append(f'<h2>{escape(_("Counts"))}</h2><div class="grid">')
    for view in report.views:
        out.append('<div class="card">')
        if not view.available:
            out.append(
                f"<b>{escape(view.label)}</b><p>{escape(_('(not recorded in this store)'))}</p>"
            )
        else:
            out.append(
                _table(
                    (view.label, _("Devices")),
                    [(row_label(view.name, k), str(n)) for k, n in view.rows],
                    {1},
                )
            )
        out.append("</div>")
    out.append("</div></body></html>\n")
    return "\n".join(out)


def write_report_html(report: Report, out: Path | IO[str]) -> None:
    with atomic_text(out) as fh:
        fh.write(render_html(report))
