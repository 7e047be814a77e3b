"""Donor-sheet rows -> intake fields, with every bad row named by its line and the reason.

Pure: cells in, ``(records, errors)`` out. The caller decides whether errors stop the import.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingType
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from refurb.dates import DateError, parse_date
from refurb.i18n import _
from refurb.intake.columns import Mapping
from refurb.intake.kinds import kind_of


@dataclass
class Record:
    line: int
    fields: dict[str, Any]


@dataclass
class RowError:
    line: int
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "error": self.message}


def cell_text(value: Any) -> str | None:
    """A cell as text: 12345.0 (a serial Excel took for a number) is "12345"."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = " ".join(str(value).split())
    return text or None


def convert(
    rows: Sequence[tuple[int, list[Any]]],
    mapping: Mapping,
    *,
    defaults: MappingType[str, str | None],
    limits: MappingType[str, int],
) -> tuple[list[Record], list[RowError]]:
    """Map, convert and check the data rows; ``defaults`` (--donor, --batch) win over cells."""
    records: list[Record] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    for line, cells in rows:
        fields: dict[str, Any] = {}
        problems: list[str] = []
        for index, name in mapping.columns.items():
            value = cells[index] if index < len(cells) else None
            if name == "kind":
                if defaults.get("kind") or not cell_text(value):
                    continue  # --kind says it for the whole file; a blank cell: a laptop
                kind = kind_of(value)
                if kind is None:
                    problems.append(
                        _(
                            "kind {value!r} is not one refurb knows: write laptop, desktop, "
                            "tablet, phone or screen"
                        ).format(value=cell_text(value))
                    )
                else:
                    fields[name] = kind
                continue
            if name == "received":
                if value is None or (isinstance(value, str) and not value.strip()):
                    continue
                try:
                    fields[name] = parse_date(value)
                except DateError as exc:
                    problems.append(_("unreadable date: {reason}").format(reason=exc))
                continue
            text = cell_text(value)
            if text is not None:
                fields[name] = text
        for name, value in defaults.items():
            if value:
                fields[name] = value
        for name, value in fields.items():
            limit = limits.get(name)
            if isinstance(value, str) and limit and len(value) > limit:
                problems.append(
                    _("{field} is {n} characters long: at most {limit} fit").format(
                        field=name, n=len(value), limit=limit
                    )
                )
        serial = fields.get("serial")
        if not serial:
            problems.append(_("no serial number"))
        elif serial.casefold() in first_line:
            problems.append(
                _("serial {serial} is also on line {line}").format(
                    serial=serial, line=first_line[serial.casefold()]
                )
            )
        else:
            first_line[serial.casefold()] = line
        if problems:
            errors.append(RowError(line, "; ".join(problems)))
        else:
            records.append(Record(line, fields))
    return records, errors
