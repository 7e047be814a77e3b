"""Labels as vectors: SVG (text as glyph outlines) and PDF (fpdf2, the font embedded and subset).

Both draw the QR code as filled rectangles (runs of dark modules merged across rows), so it stays
sharp at any zoom and on any printer. SVG text is drawn as outlines of DejaVu Sans, so the file
looks the same wherever it is opened, whatever fonts that machine has; the text itself is kept in
a ``<title>`` for search and screen readers.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from refurb.labels.fonts import font_path
from refurb.labels.layout import LabelLayout
from refurb.labels.qr import Matrix
from refurb.labels.templates import Template

PT_PER_MM = 72 / 25.4


def qr_rects(matrix: Matrix) -> list[tuple[int, int, int, int]]:
    """(col, row, width, height) in modules: horizontal runs, merged with identical runs below."""
    open_rects: dict[tuple[int, int], list[int]] = {}
    done: list[tuple[int, int, int, int]] = []
    for r, row in enumerate(matrix):
        runs = []
        c, n = 0, len(row)
        while c < n:
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                runs.append((start, c - start))
            else:
                c += 1
        current = {}
        for run in runs:
            rect = open_rects.pop(run, None)
            if rect is None:
                rect = [run[0], r, run[1], 0]
            rect[3] += 1
            current[run] = rect
        done.extend(tuple(rect) for rect in open_rects.values())
        open_rects = current
    done.extend(tuple(rect) for rect in open_rects.values())
    return done


# -- SVG -------------------------------------------------------------------------------------


@cache
def _glyph_font(bold: bool) -> Any:
    from fontTools.ttLib import TTFont

    return TTFont(str(font_path(bold)), lazy=True)


@cache
def _glyph(bold: bool, ch: str) -> tuple[str, float]:
    """(SVG path data in font units with y up, advance in em)."""
    from fontTools.pens.svgPathPen import SVGPathPen

    font = _glyph_font(bold)
    cmap = font.getBestCmap()
    name = cmap.get(ord(ch), ".notdef")
    glyphs = font.getGlyphSet()
    pen = SVGPathPen(glyphs)
    glyphs[name].draw(pen)
    upem = font["head"].unitsPerEm
    return pen.getCommands(), glyphs[name].width / upem


def _text_svg(text: str, x: float, baseline: float, size: float, bold: bool) -> str:
    upem = _glyph_font(bold)["head"].unitsPerEm
    scale = size / upem
    parts = []
    pen_x = 0.0
    for ch in text:
        path, advance = _glyph(bold, ch)
        if path:
            parts.append(f'<path transform="translate({pen_x * upem:.1f} 0)" d="{path}"/>')
        pen_x += advance
    return (
        f'<g transform="translate({x:.3f} {baseline:.3f}) scale({scale:.6f} {-scale:.6f})">'
        + "".join(parts)
        + "</g>"
    )


def _label_svg(layout: LabelLayout, matrix: Matrix, ox: float = 0.0, oy: float = 0.0) -> str:
    m = layout.qr.module_mm
    d = "".join(f"M{c} {r}h{w}v{h}h{-w}z" for c, r, w, h in qr_rects(matrix))
    out = [
        f'<g transform="translate({ox:.3f} {oy:.3f})">',
        f"<title>{escape(layout.payload)}</title>",
        f'<path transform="translate({layout.qr_x:.3f} {layout.qr_y:.3f}) scale({m:.5f})" '
        f'd="{d}"/>',
    ]
    for line in layout.lines:
        out.append(_text_svg(line.text, line.x, line.baseline, line.size, line.bold))
    if layout.lines:
        text = " / ".join(line.text for line in layout.lines)
        out.append(f"<desc>{escape(text)}</desc>")
    out.append("</g>")
    return "".join(out)


def svg_document(
    items: list[tuple[LabelLayout, Matrix] | None],
    template: Template,
    cells: list[tuple[float, float]] | None = None,
) -> str:
    """One SVG: a single label (roll) or a page of a sheet, in millimetres."""
    width, height = template.page_size_mm
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.2f}mm" height="{height:.2f}mm" '
        f'viewBox="0 0 {width:.3f} {height:.3f}">'
        f'<rect width="{width:.3f}" height="{height:.3f}" fill="#fff"/><g fill="#000">'
    )
    positions = cells or template.cells()
    body = [
        _label_svg(item[0], item[1], x, y)
        for (x, y), item in zip(positions, items, strict=False)
        if item is not None
    ]
    return head + "".join(body) + "</g></svg>\n"


# -- PDF -------------------------------------------------------------------------------------


class PdfWriter:
    """Pages of labels in one PDF; labels are placed by their top-left corner in mm."""

    def __init__(self, template: Template, title: str = "refurb labels") -> None:
        import logging

        from fpdf import FPDF

        # fpdf2 logs an English line to stderr for each glyph its font lacks (an emoji in a
        # donor's model name); the PNG draws the same gap, so the label is still right.
        logging.getLogger("fpdf").addHandler(logging.NullHandler())
        logging.getLogger("fpdf").propagate = False

        width, height = template.page_size_mm
        orientation = "L" if width > height else "P"
        # fpdf2 takes the portrait size and turns it for "L"
        portrait = (min(width, height), max(width, height))
        self.pdf = FPDF(orientation=orientation, unit="mm", format=portrait)
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margin(0)
        self.pdf.set_creator("refurb")
        self.pdf.set_title(title)
        self.pdf.add_font("DejaVu", "", str(font_path(False)))
        self.pdf.add_font("DejaVu", "B", str(font_path(True)))
        self.pdf.set_fill_color(0, 0, 0)
        self.pdf.set_text_color(0, 0, 0)
        self._font: tuple[str, float] | None = None
        from fpdf.enums import RenderStyle

        self._fill = RenderStyle.F

    def add_page(self) -> None:
        self.pdf.add_page()

    def draw(self, layout: LabelLayout, matrix: Matrix, ox: float = 0.0, oy: float = 0.0) -> None:
        pdf = self.pdf
        m = layout.qr.module_mm
        qx, qy = ox + layout.qr_x, oy + layout.qr_y
        fill = self._fill
        for c, r, w, h in qr_rects(matrix):
            pdf.rect(qx + c * m, qy + r * m, w * m, h * m, style=fill)
        for line in layout.lines:
            style = "B" if line.bold else ""
            size_pt = line.size * PT_PER_MM
            if self._font != (style, size_pt):
                pdf.set_font("DejaVu", style, size_pt)
                self._font = (style, size_pt)
            pdf.text(ox + line.x, oy + line.baseline, line.text)

    def output(self) -> bytes:
        return bytes(self.pdf.output())
