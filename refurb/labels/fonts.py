"""The label font (DejaVu Sans, shipped in ``refurb/fonts``) and its metrics in em units.

Layout measures text as the sum of glyph advances without kerning: that is what fpdf2 draws in a
PDF and what the SVG paths use, and kerning in the PNG renderer only makes a line narrower. The
metrics come from FreeType (Pillow) at a large size, so they are hinting-free and cost one lookup
per character after the first.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
FONT_FILES = {False: FONT_DIR / "DejaVuSans.ttf", True: FONT_DIR / "DejaVuSans-Bold.ttf"}
_EM = 2048  # measure at the font's own units per em: exact advances


def font_path(bold: bool) -> Path:
    return FONT_FILES[bold]


@cache
def _font(bold: bool) -> FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(str(FONT_FILES[bold]), _EM, layout_engine=ImageFont.Layout.BASIC)


@cache
def vertical_metrics(bold: bool) -> tuple[float, float]:
    """(ascent, descent) in em: a line box is ascent + descent tall."""
    ascent, descent = _font(bold).getmetrics()
    return ascent / _EM, descent / _EM


class Metrics:
    """Advance widths (em) of one face, cached per character."""

    def __init__(self, bold: bool) -> None:
        self.bold = bold
        self._adv: dict[str, float] = {}
        self._ink: dict[str, tuple[float, float]] = {}

    def advance(self, ch: str) -> float:
        value = self._adv.get(ch)
        if value is None:
            value = _font(self.bold).getlength(ch) / _EM
            self._adv[ch] = value
        return value

    def ink(self, ch: str) -> tuple[float, float]:
        """How far a glyph's ink reaches left of its origin and right of its advance (em, ≥ 0)."""
        value = self._ink.get(ch)
        if value is None:
            left, _top, right, _bottom = _font(self.bold).getbbox(ch)
            value = (max(0.0, -left / _EM), max(0.0, right / _EM - self.advance(ch)))
            self._ink[ch] = value
        return value

    def width(self, text: str) -> float:
        """Width in em of ``text`` including any ink overhang at both ends."""
        if not text:
            return 0.0
        adv = self.advance
        total = sum(adv(ch) for ch in text)
        return total + self.ink(text[0])[0] + self.ink(text[-1])[1]


@cache
def metrics(bold: bool) -> Metrics:
    return Metrics(bold)
