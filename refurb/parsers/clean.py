"""Firmware strings made honest: placeholders and masked values become ``None``.

Firmware vendors fill unused DMI fields with text such as ``To Be Filled By O.E.M.``, ``Default
string``, ``0123456789`` or runs of zeros, and published dumps mask serials (``--``, ``XXXX``,
``REDACTED``). A probe must never record one of those as a serial number or a model name, or every
white-label laptop would land on the same asset. Sizes in DMI are binary (``MB`` = MiB).
"""

from __future__ import annotations

import re

# Compared lowercased, with runs of whitespace collapsed.
PLACEHOLDERS = frozenset(
    {
        "",
        "to be filled by o.e.m.",
        "to be filled by oem",
        "to be filled by o.e.m",
        "filled by oem",
        "default string",
        "default",
        "system serial number",
        "system product name",
        "system manufacturer",
        "system version",
        "system name",
        "system sku",
        "system sku number",
        "system sku#",
        "sku",
        "sku number",
        "chassis manufacturer",
        "chassis version",
        "chassis serial number",
        "chassis version unknown",
        "base board serial number",
        "base board product name",
        "base board manufacturer",
        "board serial number",
        "not specified",
        "not applicable",
        "not available",
        "not present",
        "not provided",
        "not settable",
        "not defined",
        "unknown",
        "undefined",
        "none",
        "null",
        "nul",
        "n/a",
        "na",
        "oem",
        "o.e.m.",
        "invalid",
        "empty",
        "other",
        "type1productconfigid",
        "type1family",
        "type2 - board product name1",
        "type2 - board vendor name1",
        "type2 - board serial number",
        "<bad index>",
        "<out of spec>",
        "0123456789",
        "123456789",
        "1234567890",
        "12345678",
        "1234567",
        "123456",
        "0123456789abcdef",
        "serial",
        "serial number",
        "serialnumber",
        "asset tag",
        "no asset tag",
        "no asset information",
        "redacted",
        "masked",
        "xxxxx",
        "part number",
        "partnum0",
        "serialnum0",
        "array1_partnumber0",
        "dimm_partnumber",
    }
)

_PLACEHOLDER_PATTERNS = (
    re.compile(r"^oem[ _-]?define[ _-]?\d*$"),
    re.compile(r"^a\d_manufacturer\d*$"),
    re.compile(r"^(manufacturer|partnum|sernum|assettag|partnumber|serialnumber)\d+$"),
    re.compile(r"^dimm\d*_?(manufacturer|partnumber|serialnumber)\d*$"),
    re.compile(r"^module(manufacturer|partnumber|serialnumber)\d+$"),
    re.compile(r"^unknown \(\w*\)$"),  # coreboot's memory maker: "Unknown (0)"
)

# A value made of one repeated character: "00000000", "FFFF", "----", "****", "....".
_REPEATED = re.compile(r"^(.)\1*$")
_REPEATED_CHARS = set("0Ff-*.#?xX _9")
# Masking inside an otherwise real-looking value: "9RK1XXXX", "PF0A****".
_MASK_RUN = re.compile(r"(X{4,}|x{4,}|\*{3,}|#{4,})")

_PLACEHOLDER_UUIDS = frozenset(
    {
        "03000200-0400-0500-0006-000700080009",  # AMI's default
        "00020003-0004-0005-0006-000700080009",
        "12345678-1234-5678-90ab-cddeefaabbcc",
    }
)


def text(value: object) -> str | None:
    """Trimmed text, or None when the value is empty, a placeholder or not a string."""
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", "").strip()
    if is_placeholder(value):
        return None
    return value


# Counting runs that firmware templates leave in SKU and Family fields (a Toshiba Satellite A200:
# "012345678912345678912345678", "ABCDEFGHIJKLMNOPQRSTUVWXYZ").
_RUNS = ("0123456789" + "123456789" * 6, "0123456789" * 6, "abcdefghijklmnopqrstuvwxyz")


def is_placeholder(value: str) -> bool:
    """True for strings firmware uses to mean "nothing here"."""
    norm = " ".join(value.split()).lower()
    if norm in PLACEHOLDERS:
        return True
    if any(p.match(norm) for p in _PLACEHOLDER_PATTERNS):
        return True
    compact = norm.replace(" ", "")
    if len(compact) >= 8 and any(run.startswith(compact) for run in _RUNS):
        return True
    if len(compact) >= 2 and _REPEATED.match(compact) and compact[0] in _REPEATED_CHARS:
        return True
    return compact in {"0", "-", "*", "."}


def serial(value: object) -> str | None:
    """A serial number, or None when it is a placeholder, masked or too short to identify."""
    value = text(value)
    if value is None:
        return None
    if _MASK_RUN.search(value):
        return None
    if len(value.replace(" ", "")) < 3:
        return None
    return value


def uuid(value: object) -> str | None:
    """A system UUID, or None for all-zero, all-F and well-known default UUIDs."""
    value = text(value)
    if value is None:
        return None
    low = value.lower()
    if low in _PLACEHOLDER_UUIDS:
        return None
    digits = low.replace("-", "")
    if not re.fullmatch(r"[0-9a-f]{32}", digits):
        return None
    if _REPEATED.match(digits):
        return None
    return low


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(bytes|b|kb|kib|mb|mib|gb|gib|tb|tib)?\s*$", re.I)
_UNIT = {
    None: 1,
    "b": 1,
    "bytes": 1,
    "kb": 1024,
    "kib": 1024,
    "mb": 1024**2,
    "mib": 1024**2,
    "gb": 1024**3,
    "gib": 1024**3,
    "tb": 1024**4,
    "tib": 1024**4,
}


def dmi_size(value: object) -> int | None:
    """Bytes of a DMI size ("8192 MB", "8 GB"); 0 for an empty slot; None when unknown.

    DMI reports binary units: ``MB`` means MiB, ``GB`` GiB.
    """
    if not isinstance(value, str):
        return None
    low = value.strip().lower()
    if low in ("no module installed", "not installed", "empty") or low.startswith("no module"):
        return 0
    match = _SIZE.match(value)
    if not match:
        return None
    number, unit = match.groups()
    return int(float(number) * _UNIT[unit.lower() if unit else None])


def to_int(value: object) -> int | None:
    """An int from an int or a decimal string; None for anything else (bools included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        value = value.strip()
        if re.fullmatch(r"[+-]?\d+", value):
            return int(value)
    return None


def leading_int(value: object) -> int | None:
    """The number at the start of "2400 MT/s", "1.0 V" (-> 1), "100 MHz"."""
    if not isinstance(value, str):
        return None
    match = re.match(r"\s*(\d+)", value)
    return int(match.group(1)) if match else None
