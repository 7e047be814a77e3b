"""Dates as people write them: the one reader for donors' sheets and for typed options.

ISO (2026-12-31, 2026/12/31), the day-first forms Belgians write (31/12/2026, 31-12-2026,
31.12.26, a time after it is dropped), spreadsheet date cells, and Excel serial day numbers.
Month-first (US) dates are not guessed: 12/31/2026 is refused, not swapped.

:func:`parse_date` reads a sheet's cell (to ``YYYY-MM-DD``); :func:`parse_day` reads what a
person typed after an option (``--due``, ``--since``, ``--received``...), the same forms but no
serial numbers, and names the option when it refuses.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from refurb.errors import InvalidInput
from refurb.i18n import _

EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0, its 1900 leap-year bug included
SERIAL_RANGE = (1, 2958465)  # 1900-01-01 .. 9999-12-31
_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ][\d:.]+Z?)?")
_DAY_FIRST = re.compile(
    r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})(?: +\d{1,2}[:.]\d{2}(?::\d{2})?)?"
)


class DateError(ValueError):
    """A date that cannot be read, with the reason in the user's language."""


def _make(year: int, month: int, day: int, raw: str) -> str:
    try:
        return date(year, month, day).isoformat()
    except ValueError as exc:
        raise DateError(_("{value!r} is not a real date").format(value=raw)) from exc


def from_serial(number: float) -> str:
    """An Excel serial day number (46387 = 2026-12-31); the fraction (time of day) is dropped."""
    if not SERIAL_RANGE[0] <= number <= SERIAL_RANGE[1]:
        raise DateError(_("{value!r} is not a date").format(value=number))
    return (EXCEL_EPOCH + timedelta(days=int(number))).isoformat()


def parse_date(value: Any) -> str:
    """``value`` as ``YYYY-MM-DD``; :class:`DateError` says why not."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        raise DateError(_("{value!r} is not a date").format(value=value))
    if isinstance(value, int | float):
        return from_serial(float(value))
    return _from_text(str(value).strip(), serials=True)


def _from_text(raw: str, *, serials: bool) -> str:
    if match := _ISO.fullmatch(raw):
        year, month, day = (int(g) for g in match.groups())
        return _make(year, month, day, raw)
    if match := _DAY_FIRST.fullmatch(raw):
        day, month, year = (int(g) for g in match.groups())
        if len(match.group(3)) == 2:
            year += 2000
        return _make(year, month, day, raw)
    if serials and re.fullmatch(r"\d{5}(?:[.,]\d+)?", raw):  # a date cell exported as a number
        return from_serial(float(raw.replace(",", ".")))
    raise DateError(
        _("{value!r} is not a date refurb can read: write 2026-12-31 or 31/12/2026").format(
            value=raw
        )
    )


def parse_day(text: str | None, option: str) -> date:
    """A date typed after ``option``; :class:`InvalidInput` naming the option says why not."""
    try:
        return date.fromisoformat(_from_text((text or "").strip(), serials=False))
    except DateError as exc:
        raise InvalidInput(_("{option}: {reason}").format(option=option, reason=exc)) from None
