"""Where things go on one label, in millimetres, shared by every renderer (PNG, SVG, PDF, ZPL).

A wide label puts the QR code left and the text right; a tall one puts the code on top. The text
is sized as large as the box allows: the asset id in bold on one line (it shrinks, never wraps,
since it is typed by hand), the model wrapped on up to three lines, the specs and the grade line
on up to two. When even the
smallest readable size does not hold everything, the least useful line is left off and the layout
says so in ``warnings``: text is never drawn outside the label or cut.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from refurb.i18n import _
from refurb.labels.data import LabelData
from refurb.labels.fonts import metrics, vertical_metrics
from refurb.labels.qr import QRSpec, choose
from refurb.labels.templates import MM_PER_INCH, Template

MIN_EM_MM = 1.4  # ~4 pt: the smallest size we normally print
FLOOR_EM_MM = 1.0  # used only to keep the model on a tiny label
MAX_EM_MM = 4.2  # larger text only wastes ink on big labels
ID_SCALE = 1.45
SMALL_SCALE = 0.85
GAP_EM = 0.25  # space between blocks, in units of the base size


@dataclass(frozen=True)
class TextLine:
    """One drawn line: ``x`` is the pen origin, ``baseline`` its baseline, ``size`` the em in mm."""

    text: str
    x: float
    baseline: float
    size: float
    bold: bool
    width: float  # ink-safe width in mm
    top: float  # top of the line box (ascent)
    bottom: float  # bottom of the line box (descent)


@dataclass
class LabelLayout:
    width: float
    height: float
    payload: str
    qr: QRSpec
    qr_x: float  # top-left of the first module (inside the quiet zone)
    qr_y: float
    text_box: tuple[float, float, float, float]  # x, y, w, h
    lines: list[TextLine] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Block:
    key: str
    text: str
    bold: bool
    scale: float
    max_lines: int


def _split_word(word: str, size: float, width: float, bold: bool) -> list[str]:
    """A word wider than the line, cut into pieces that fit (at least one character each)."""
    m = metrics(bold)
    pieces, current = [], ""
    for ch in word:
        if current and m.width(current + ch) * size > width:
            pieces.append(current)
            current = ch
        else:
            current += ch
    if current:
        pieces.append(current)
    return pieces


def wrap(text: str, size: float, width: float, bold: bool, separator: str = " · ") -> list[str]:
    """Lines of ``text`` no wider than ``width`` mm: parts first, then words."""
    m = metrics(bold)

    def fits(line: str) -> bool:
        return m.width(line) * size <= width + 1e-9

    lines: list[str] = []
    current = ""
    for part in text.split(separator):
        candidate = f"{current}{separator}{part}" if current else part
        if fits(candidate):
            current = candidate
            continue
        if current:
            lines.append(current)
            current = ""
        if fits(part):
            current = part
            continue
        for word in part.split(" "):
            candidate = f"{current} {word}" if current else word
            if fits(candidate):
                current = candidate
                continue
            if current:
                lines.append(current)
            if fits(word):
                current = word
            else:
                *full, current = _split_word(word, size, width, bold)
                lines.extend(full)
    if current:
        lines.append(current)
    return lines


def _fit(
    blocks: list[_Block], base: float, box_w: float, box_h: float
) -> list[tuple[_Block, float, list[str]]] | None:
    placed = []
    height = 0.0
    for block in blocks:
        ascent, descent = vertical_metrics(block.bold)
        size = base * block.scale
        if block.key == "id":
            size = min(size, box_w / max(metrics(True).width(block.text), 1e-6))
            lines = [block.text]
        else:
            lines = wrap(block.text, size, box_w, block.bold)
            if len(lines) > block.max_lines:
                return None
        height += len(lines) * (ascent + descent) * size
        placed.append((block, size, lines))
    height += GAP_EM * base * (len(blocks) - 1)
    return placed if height <= box_h + 1e-9 else None


def _ellipsize(text: str, size: float, width: float, bold: bool) -> str:
    m = metrics(bold)
    while text and m.width(text + "…") * size > width:
        text = text[:-1].rstrip()
    return text + "…"


def _best(blocks: list[_Block], box_w: float, box_h: float, floor: float):
    ascent, descent = vertical_metrics(False)
    top = min(MAX_EM_MM, box_h / ((ascent + descent) * ID_SCALE))
    base = top
    while base >= floor - 1e-9:
        placed = _fit(blocks, base, box_w, box_h)
        if placed is not None:
            return base, placed
        base *= 0.96
    return None


def layout(data: LabelData, template: Template, payload: str) -> LabelLayout:
    """Place the QR code and the text of one label on ``template``."""
    w, h, m = template.width_mm, template.height_mm, template.margin_mm
    dot = MM_PER_INCH / template.dpi
    inner_w, inner_h = w - 2 * m, h - 2 * m
    landscape = w >= 1.2 * h
    side = min(inner_h, 0.5 * inner_w) if landscape else min(inner_w, 0.55 * inner_h)
    spec = choose(payload, side, template.dpi)
    code_side = spec.side_mm

    def snap(value: float) -> float:
        return round(value / dot) * dot

    if landscape:
        qx = snap(m)
        qy = snap((h - code_side) / 2)
        bx = qx + code_side + max(0.6, dot)
        box = (bx, m, w - m - bx, inner_h)
    else:
        qx = snap((w - code_side) / 2)
        qy = snap(m)
        by = qy + code_side + max(0.6, dot)
        box = (m, by, inner_w, h - m - by)
    quiet = spec.quiet * spec.module_mm
    result = LabelLayout(w, h, payload, spec, qx + quiet, qy + quiet, box)
    _place_text(result, data)
    return result


def _place_text(result: LabelLayout, data: LabelData) -> None:
    bx, by, bw, bh = result.text_box
    blocks = [_Block("id", data.asset_id, True, ID_SCALE, 1)]
    if data.model:
        blocks.append(_Block("model", data.model, False, 1.0, 3))
    if data.spec_line():
        blocks.append(_Block("specs", data.spec_line(), False, SMALL_SCALE, 2))
    if data.status_line():
        blocks.append(_Block("status", data.status_line(), False, SMALL_SCALE, 2))
    if bw <= 2 or bh <= 2:
        result.warnings.append(_("no room for text on this label"))
        return
    found = _best(blocks, bw, bh, MIN_EM_MM)
    names = {"specs": _("the specs"), "status": _("the grade and erasure line")}
    for drop in ("specs", "status"):
        if found is not None:
            break
        if any(b.key == drop for b in blocks):
            blocks = [b for b in blocks if b.key != drop]
            result.warnings.append(
                _("{what} left off: no room on this label").format(what=names[drop])
            )
            found = _best(blocks, bw, bh, MIN_EM_MM)
    if found is None:
        found = _best(blocks, bw, bh, FLOOR_EM_MM)
    if found is None and any(b.key == "model" for b in blocks):
        # Last resort on a tiny label: the model on its lines, ending in an ellipsis.
        model = next(b for b in blocks if b.key == "model")
        size = FLOOR_EM_MM
        lines = wrap(model.text, size, bw, False)
        if len(lines) > 3:
            lines = [*lines[:2], _ellipsize(lines[2], size, bw, False)]
        text = " ".join(lines)
        blocks = [b if b.key != "model" else _Block("model", text, False, 1.0, 3) for b in blocks]
        result.warnings.append(_("the model name was shortened: no room on this label"))
        found = _best(blocks, bw, bh, FLOOR_EM_MM * 0.8)
    if found is None:
        blocks = [b for b in blocks if b.key == "id"]
        result.warnings.append(_("only the asset id fits on this label"))
        found = _best(blocks, bw, bh, 0.5)
    if found is None:
        result.warnings.append(_("no room for text on this label"))
        return
    base, placed = found
    total = sum(
        len(lines) * sum(vertical_metrics(block.bold)) * size for block, size, lines in placed
    )
    total += GAP_EM * base * (len(placed) - 1)
    y = by + (bh - total) / 2
    for index, (block, size, lines) in enumerate(placed):
        ascent, descent = vertical_metrics(block.bold)
        face = metrics(block.bold)
        for text in lines:
            left = face.ink(text[0])[0] * size if text else 0.0
            result.lines.append(
                TextLine(
                    text=text,
                    x=bx + left,
                    baseline=y + ascent * size,
                    size=size,
                    bold=block.bold,
                    width=face.width(text) * size,
                    top=y,
                    bottom=y + (ascent + descent) * size,
                )
            )
            y += (ascent + descent) * size
        if index < len(placed) - 1:
            y += GAP_EM * base
