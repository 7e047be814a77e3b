"""What a stock report holds, the filters it was made with, and how dates are read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from refurb.errors import InvalidInput
from refurb.i18n import _

# view name -> column of the devices table. A view whose column the store lacks is reported as
# not recorded; when another column holds it (a loans table, say), change its entry here.
DIMENSIONS: dict[str, str] = {
    "status": "status",
    "grade": "grade",
    "kind": "kind",
    "model": "model",
    "batch": "batch",
    "donor": "donor",
    "location": "location",
    "partner": "partner",  # devices out now, by partner (the loan book)
    "overdue": "overdue",  # loans past their due date, by partner
}

# The kind a device has when the store records none (refurb handled only laptops before kinds).
DEFAULT_KIND = "laptop"


def view_label(name: str) -> str:
    labels = {
        "status": _("Status"),
        "grade": _("Grade"),
        "kind": _("Kind"),
        "model": _("Model"),
        "batch": _("Batch"),
        "donor": _("Donor"),
        "location": _("Location"),
        "partner": _("Partner"),
        "overdue": _("Overdue loans by partner"),
    }
    return labels.get(name, name)


def check_views(names: list[str]) -> list[str]:
    """The views asked for (all when none), refusing a name that is not one."""
    for name in names:
        if name not in DIMENSIONS:
            raise InvalidInput(
                _("unknown view {name!r}").format(name=name),
                _("views: {names}").format(names=", ".join(DIMENSIONS)),
            )
    return names or list(DIMENSIONS)


def parse_date(text: str, option: str) -> date:
    """A typed day (:func:`refurb.dates.parse_day`: ISO or day-first, 31/12/2026)."""
    from refurb.dates import parse_day

    return parse_day(text, option)


@dataclass(frozen=True)
class Filters:
    """Which devices a report counts. ``since``/``until`` bound the intake date for the counts
    and the event time for the flow; both are whole days (UTC), ``until`` included."""

    status: tuple[str, ...] = ()
    batch: str | None = None
    donor: str | None = None
    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise InvalidInput(
                _("--since {since} is after --until {until}").format(
                    since=self.since.isoformat(), until=self.until.isoformat()
                )
            )

    @property
    def since_text(self) -> str | None:
        return self.since.isoformat() if self.since else None

    @property
    def until_text(self) -> str | None:
        """The first instant after the period, as the stored ISO timestamps compare."""
        return (self.until + timedelta(days=1)).isoformat() if self.until else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": list(self.status),
            "batch": self.batch,
            "donor": self.donor,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }


@dataclass
class View:
    name: str
    label: str
    available: bool
    rows: list[tuple[str | None, int]] = field(default_factory=list)


@dataclass
class FlowLine:
    name: str
    label: str
    devices: int


@dataclass
class ImpactLine:
    name: str
    label: str
    value: float
    unit: str
    factor: str
    source: str
    estimate: bool = False


@dataclass
class Report:
    site: str
    generated_at: datetime
    filters: Filters
    total: int
    views: list[View]
    flow: list[FlowLine]
    impact: list[ImpactLine]

    @property
    def empty(self) -> bool:
        return self.total == 0

    def empty_message(self) -> str:
        filtered = any(self.filters.as_dict()[k] for k in ("status", "batch", "donor"))
        filtered = filtered or bool(self.filters.since or self.filters.until)
        if filtered:
            return _("No devices match these filters.")
        return _("There are no devices in this store yet.")

    def period_text(self) -> str:
        since, until = self.filters.since, self.filters.until
        if since and until:
            return _("{since} to {until}").format(since=since.isoformat(), until=until.isoformat())
        if since:
            return _("from {since}").format(since=since.isoformat())
        if until:
            return _("until {until}").format(until=until.isoformat())
        return _("all time")

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": "refurb.stock/1",
            "site": self.site,
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "filters": self.filters.as_dict(),
            "total": self.total,
            "empty": self.empty,
            "message": self.empty_message() if self.empty else None,
            "views": {
                v.name: ([{"value": k, "devices": n} for k, n in v.rows] if v.available else None)
                for v in self.views
            },
            "flow": {line.name: line.devices for line in self.flow},
            "impact": [
                {
                    "name": i.name,
                    "value": i.value,
                    "unit": i.unit,
                    "factor": i.factor,
                    "source": i.source,
                    "estimate": i.estimate,
                }
                for i in self.impact
            ],
        }
