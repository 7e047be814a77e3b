"""EDID (the identity block every screen sends) -> panel maker, size and native resolution.

Accepts the raw binary from ``/sys/class/drm/*/edid``, a hex dump (``xxd -p``,
``xrandr --verbose``), or linuxhw's files (hex dump followed by ``edid-decode`` text). Only the
128-byte base block is decoded (VESA E-EDID 1.3/1.4): it holds everything the probe needs.

Result::

    {"manufacturer_id": "AUO", "product_code": 8685, "product_code_hex": "21ED", "serial": int|None,
     "year": 2016, "version": "1.4", "digital": True, "image_size_cm": [34, 19],
     "size_mm": [344, 193], "diagonal_inches": 15.3, "native_resolution": "1920x1080",
     "name": "B156HAN02.1", "checksum_ok": True, "warnings": [str]}

``diagonal_inches`` is computed from the whole-centimetre image size (bytes 21-22), as the answer
keys do; ``size_mm`` is the first detailed timing's size in millimetres, which is more precise.
"""

from __future__ import annotations

import math
import re
from typing import Any

from refurb.i18n import _

HEADER = bytes.fromhex("00ffffffffffff00")
_HEX_LINE = re.compile(r"^(?:0x)?[0-9a-fA-F]{2}(?:[\s:,]*(?:0x)?[0-9a-fA-F]{2})*$")

FIELDS = (
    "manufacturer_id",
    "product_code",
    "product_code_hex",
    "serial",
    "year",
    "version",
    "digital",
    "image_size_cm",
    "size_mm",
    "diagonal_inches",
    "native_resolution",
    "name",
    "checksum_ok",
)


def _empty() -> dict[str, Any]:
    result: dict[str, Any] = dict.fromkeys(FIELDS)
    result["warnings"] = []
    return result


def extract_bytes(data: bytes | str) -> bytes:
    """The EDID bytes from raw binary or from text holding a hex dump (first dump only)."""
    if isinstance(data, bytes):
        if data.find(HEADER) >= 0:
            return data[data.find(HEADER) :]
        data = data.decode("utf-8", errors="replace")
    if not isinstance(data, str):
        return b""
    collected: list[str] = []
    for line in data.splitlines():
        line = line.strip()
        # xrandr --verbose and hexdump prefixes: "EDID:" on its own line, or "0000:" offsets.
        line = re.sub(r"^[0-9a-fA-F]{4,8}:\s+", "", line)
        if line and _HEX_LINE.match(line):
            collected.append(re.sub(r"0x|[\s:,]", "", line))
        elif collected:
            if len("".join(collected)) >= 256:
                break
            if line:
                collected = []  # a stray hex-looking word in prose; start over
    digits = "".join(collected)
    if len(digits) % 2:
        digits = digits[:-1]
    try:
        raw = bytes.fromhex(digits)
    except ValueError:
        return b""
    start = raw.find(HEADER)
    return raw[start:] if start >= 0 else raw


def _pnp_id(b8: int, b9: int) -> str | None:
    value = (b8 << 8) | b9
    letters = [(value >> 10) & 0x1F, (value >> 5) & 0x1F, value & 0x1F]
    if not all(1 <= c <= 26 for c in letters):
        return None
    return "".join(chr(ord("A") + c - 1) for c in letters)


def _descriptor_text(block: bytes) -> str | None:
    raw = block[5:18].split(b"\x0a", 1)[0]
    text = "".join(chr(b) if 32 <= b < 127 else " " for b in raw)
    return " ".join(text.split()) or None


def decode(edid: bytes) -> dict[str, Any]:
    """Decode a 128-byte base block (longer input: the rest is ignored)."""
    result = _empty()
    if len(edid) < 128:
        result["warnings"].append(
            _("EDID too short ({count} bytes, 128 needed)").format(count=len(edid))
        )
        return result
    block = edid[:128]
    if block[:8] != HEADER:
        result["warnings"].append(_("not an EDID block (bad header)"))
        return result
    result["checksum_ok"] = sum(block) % 256 == 0
    if not result["checksum_ok"]:
        result["warnings"].append(_("EDID checksum is wrong: the values may be corrupt"))
    result["manufacturer_id"] = _pnp_id(block[8], block[9])
    code = block[10] | (block[11] << 8)
    result["product_code"] = code
    result["product_code_hex"] = f"{code:04X}"
    serial = int.from_bytes(block[12:16], "little")
    result["serial"] = serial or None
    if block[17]:
        result["year"] = 1990 + block[17]
    result["version"] = f"{block[18]}.{block[19]}"
    result["digital"] = bool(block[20] & 0x80)
    width, height = block[21], block[22]
    if width and height:
        result["image_size_cm"] = [width, height]
        result["diagonal_inches"] = round(math.hypot(width, height) / 2.54, 1)

    for offset in range(54, 126, 18):
        desc = block[offset : offset + 18]
        pixel_clock = desc[0] | (desc[1] << 8)
        if pixel_clock:
            if result["native_resolution"] is None:
                h_active = desc[2] | ((desc[4] & 0xF0) << 4)
                v_active = desc[5] | ((desc[7] & 0xF0) << 4)
                if h_active and v_active:
                    result["native_resolution"] = f"{h_active}x{v_active}"
                w_mm = desc[12] | ((desc[14] & 0xF0) << 4)
                h_mm = desc[13] | ((desc[14] & 0x0F) << 8)
                if w_mm and h_mm:
                    result["size_mm"] = [w_mm, h_mm]
        elif desc[3] == 0xFC and result["name"] is None:  # display product name
            result["name"] = _descriptor_text(desc)
        elif desc[3] == 0xFE and result["name"] is None:
            # Laptop panels carry their part number as an alphanumeric string (the last one).
            text = _descriptor_text(desc)
            if text:
                result["_alnum"] = text
    alnum = result.pop("_alnum", None)
    if result["name"] is None and alnum:
        result["name"] = alnum
    if result["native_resolution"] is None:
        result["warnings"].append(_("EDID has no detailed timing: native resolution unknown"))
    return result


def parse(data: bytes | str) -> dict[str, Any]:
    """Facts from an EDID in any of the accepted forms; never raises on garbled input."""
    if not isinstance(data, bytes | str):
        data = b""
    raw = extract_bytes(data)
    if not raw:
        result = _empty()
        result["warnings"].append(_("no EDID found (neither binary nor a hex dump)"))
        return result
    return decode(raw)
