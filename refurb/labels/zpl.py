"""ZPL II for Zebra printers: each label is one ``^XA ... ^XZ`` format holding it as a bitmap.

The whole label (QR code and text) goes as one ``^GFA`` graphic drawn at the printer's resolution,
not as ``^BQ`` and ``^A0`` fields: the printer would pick the QR version and the font widths itself,
and then the code could grow into the text or a long model name run off the label. As a bitmap
the label prints exactly as the PNG looks, and a test can decode the code from the ZPL itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image


def graphic_field(image: Image.Image, threshold: int = 128) -> tuple[int, int, str]:
    """(total bytes, bytes per row, hex data) of a 1-bit bitmap; a set bit prints black."""
    from PIL import Image as PILImage

    mono = image.convert("L").point(lambda v: 255 if v < threshold else 0, mode="1")
    width, height = mono.size
    row_bytes = (width + 7) // 8
    padded = PILImage.new("1", (row_bytes * 8, height), 0)
    padded.paste(mono, (0, 0))
    data = padded.tobytes()
    return len(data), row_bytes, data.hex().upper()


def label_zpl(image: Image.Image, asset_id: str, copies: int = 1) -> str:
    """One ZPL format printing ``image`` (label size, printer dots) at the label's top-left."""
    total, row_bytes, hexdata = graphic_field(image)
    width, height = image.size
    safe_id = "".join(ch for ch in asset_id if ch not in "^~")
    return (
        "^XA\n"
        f"^FX refurb label {safe_id}^FS\n"
        "^LH0,0\n"
        f"^PW{width}\n"
        f"^LL{height}\n"
        f"^FO0,0^GFA,{total},{total},{row_bytes},{hexdata}^FS\n"
        f"^PQ{copies}\n"
        "^XZ\n"
    )


def parse_graphic(zpl: str) -> list[Image.Image]:
    """The ``^GFA`` bitmaps of a ZPL text (for tests and previews of what refurb wrote)."""
    import re

    from PIL import Image as PILImage

    images = []
    for match in re.finditer(r"\^GFA,(\d+),(\d+),(\d+),([0-9A-F]+)\^FS", zpl):
        total, row_bytes = int(match.group(1)), int(match.group(3))
        data = bytes.fromhex(match.group(4))
        if len(data) != total:
            raise ValueError(f"^GFA says {total} bytes, has {len(data)}")
        height = total // row_bytes
        mono = PILImage.frombytes("1", (row_bytes * 8, height), data)
        images.append(mono.point(lambda v: 0 if v else 255, mode="L"))
    return images
