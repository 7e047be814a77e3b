"""Dates of donors' sheets: the reader is :mod:`refurb.dates` (one for sheets and options)."""

from refurb.dates import EXCEL_EPOCH, SERIAL_RANGE, DateError, from_serial, parse_date

__all__ = ["EXCEL_EPOCH", "SERIAL_RANGE", "DateError", "from_serial", "parse_date"]
