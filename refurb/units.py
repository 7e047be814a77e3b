"""Bytes, sizes, durations and speeds as people read them: one way everywhere.

The same disk must read the same in ``probe``, ``show``, ``wipe list``, on the label and on the
certificate, so every one of them calls these functions.

- :func:`disk_size`: a disk as it was sold, in decimal units (``"256 GB"``, ``"1 TB"``,
  ``"500 GB"``). Makers sell flash (eMMC, SD cards) by powers of two of decimal gigabytes and the
  user area comes out a little smaller (a "64 GB" eMMC holds 62.5 GB), so a size just under a power
  of two is written as that power of two.
- :func:`memory_size`: memory in binary units written "GB", as people say it (``"8 GB"`` for
  8 GiB).
- :func:`byte_count`: an exact-ish amount of data (bytes written, a file), binary, ``"3.7 GiB"``.
- :func:`duration` (``"1 h 05 min"``, ``"4 min 10 s"``, ``"12 s"``) and :func:`throughput`
  (``"512 MB/s"``, decimal as disk makers quote it).

All return ``"?"`` for an unknown or non-positive value unless ``unknown`` says otherwise.
"""

from __future__ import annotations

import math
from typing import Any

# Capacities disks are sold in, in decimal GB, that are not powers of two.
_SOLD_GB = (
    40, 60, 80, 100, 120, 160, 180, 200, 240, 250, 275, 300, 320, 400, 480, 500, 525, 640, 750,
    800, 960, 1000, 1500, 2000, 3000, 4000, 5000, 6000, 8000, 10000, 12000, 14000, 16000, 18000,
    20000,
)  # fmt: skip
_POWERS_GB = tuple(2**i for i in range(0, 15))  # 1 GB ... 16 TB


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value <= 0:
        return None
    return float(value)


def _trim(value: float, places: int = 1) -> str:
    text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _gb_text(gb: float) -> str:
    if gb >= 1000:
        return f"{_trim(gb / 1000)} TB"
    return f"{_trim(gb) if gb < 10 else f'{gb:.0f}'} GB"


def sold_gb(size_bytes: Any) -> float | None:
    """The capacity a disk was sold as, in decimal GB (``256_060_514_304`` -> 256)."""
    size = _number(size_bytes)
    if size is None:
        return None
    gb = size / 1e9
    for sold in _SOLD_GB + _POWERS_GB:
        if abs(gb - sold) <= sold * 0.01:
            return float(sold)
    for sold in _POWERS_GB:
        if sold * 0.95 <= gb < sold:
            return float(sold)
    return gb


def disk_size(size_bytes: Any, unknown: str = "?") -> str:
    """A disk's size as sold: ``"256 GB"``, ``"1 TB"``, ``"64 GB"`` (eMMC), ``"3.5 GB"``."""
    size = _number(size_bytes)
    if size is None:
        return unknown
    if size < 1e9:
        return f"{size / 1e6:.0f} MB" if size >= 1e6 else f"{size:.0f} B"
    gb = sold_gb(size)
    assert gb is not None
    return _gb_text(gb)


def memory_size(size_bytes: Any, unknown: str = "?") -> str:
    """Memory in binary units, written the way people say it: 8 GiB -> ``"8 GB"``."""
    size = _number(size_bytes)
    if size is None:
        return unknown
    for factor, unit in ((2**40, "TB"), (2**30, "GB"), (2**20, "MB")):
        if size >= factor * 0.95:
            value = size / factor
            near_whole = abs(value - round(value)) < 0.05
            text = f"{value:.0f}" if value >= 10 or near_whole else f"{value:.1f}"
            return f"{text} {unit}"
    return f"{size:.0f} B"


def byte_count(size_bytes: Any, unknown: str = "?") -> str:
    """An amount of data in binary units with one decimal: ``"3.7 GiB"``, ``"512 B"``."""
    if isinstance(size_bytes, int) and not isinstance(size_bytes, bool) and size_bytes == 0:
        return "0 B"
    size = _number(size_bytes)
    if size is None:
        return unknown
    for factor, unit in ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size:.0f} B"


def duration(seconds: Any, unknown: str = "?") -> str:
    """``"1 h 05 min"``, ``"4 min 10 s"``, ``"12 s"``, ``"0.4 s"``."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return unknown
    if not math.isfinite(seconds) or seconds < 0:
        return unknown
    if seconds < 10:
        return f"{_trim(seconds)} s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def throughput(bytes_per_second: Any, unknown: str = "?") -> str:
    """Disk speed in decimal units as makers quote it: ``"512 MB/s"``, ``"1.2 GB/s"``."""
    speed = _number(bytes_per_second)
    if speed is None:
        return unknown
    if speed >= 1e9:
        return f"{_trim(speed / 1e9)} GB/s"
    if speed >= 1e6:
        return f"{speed / 1e6:.0f} MB/s"
    return f"{speed / 1e3:.0f} kB/s"
