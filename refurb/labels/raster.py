"""Labels as bitmaps (Pillow): the PNG output, Brother QL raster and the text part of ZPL.

Everything is drawn at the printer's own resolution: a QR module is a whole number of dots, and a
text line that hinting at this size would make wider than its box is drawn a little smaller.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from refurb.labels.fonts import font_path
from refurb.labels.layout import LabelLayout
from refurb.labels.qr import Matrix
from refurb.labels.templates import MM_PER_INCH, Template

if TYPE_CHECKING:
    from PIL import Image
    from PIL.ImageFont import FreeTypeFont


@cache
def _font(bold: bool, size_px: float) -> FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(str(font_path(bold)), size_px, layout_engine=ImageFont.Layout.BASIC)


def qr_image(matrix: Matrix, module_px: int) -> Image.Image:
    """The code alone (no quiet zone), black modules on white, ``module_px`` dots per module."""
    from PIL import Image

    n = len(matrix)
    small = Image.new("L", (n, n), 255)
    small.putdata([0 if cell else 255 for row in matrix for cell in row])
    return small.resize((n * module_px, n * module_px), Image.Resampling.NEAREST)


def render_label(
    layout: LabelLayout,
    matrix: Matrix,
    template: Template,
    *,
    text: bool = True,
    code: bool = True,
) -> Image.Image:
    """One label, greyscale, exactly ``template.pixel_size`` dots."""
    from PIL import Image, ImageDraw

    dpi = template.dpi
    px_per_mm = dpi / MM_PER_INCH
    width, height = template.pixel_size
    image = Image.new("L", (width, height), 255)
    if code:
        module_px = round(layout.qr.module_mm * px_per_mm)
        image.paste(
            qr_image(matrix, module_px),
            (round(layout.qr_x * px_per_mm), round(layout.qr_y * px_per_mm)),
        )
    if text:
        draw = ImageDraw.Draw(image)
        box_x, _box_y, box_w, _box_h = layout.text_box
        right = min((box_x + box_w) * px_per_mm, width)
        for line in layout.lines:
            x = line.x * px_per_mm
            size = line.size * px_per_mm
            font = _font(line.bold, round(size, 2))
            # Hinting can widen a line at small pixel sizes: shrink it until it is inside the box.
            while size > 4:
                font = _font(line.bold, round(size, 2))
                left, _t, ink_right, _b = font.getbbox(line.text, anchor="ls")
                if x + max(ink_right, font.getlength(line.text)) <= right and x + left >= 0:
                    break
                size *= 0.97
            draw.text((x, line.baseline * px_per_mm), line.text, font=font, fill=0, anchor="ls")
    return image


def render_page(
    items: list[tuple[LabelLayout, Matrix] | None], template: Template, dpi: int = 300
) -> Image.Image:
    """A sheet: each label drawn at ``dpi`` and pasted in its cell (None leaves a cell empty)."""
    from PIL import Image

    page_w, page_h = template.page_size_mm
    px_per_mm = dpi / MM_PER_INCH
    page = Image.new("L", (round(page_w * px_per_mm), round(page_h * px_per_mm)), 255)
    for (cx, cy), item in zip(template.cells(), items, strict=False):
        if item is None:
            continue
        layout, matrix = item
        label = render_label(layout, matrix, template)
        page.paste(label, (round(cx * px_per_mm), round(cy * px_per_mm)))
    return page


def to_brother_image(image: Image.Image, template: Template) -> Image.Image:
    """Turned for the printer: the raster width runs across the tape."""
    if template.rotate:
        return image.rotate(template.rotate, expand=True)
    return image
