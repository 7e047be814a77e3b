"""The stock report's numbers, each one a SQL aggregate: nothing loads every device.

Counts group the devices table; the flow over a period sums the events of each step. Event
payloads are stored as canonical JSON (sorted keys, no spaces: the text the hash covers), so
``"to":"ready"`` is matched as text and works alike on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, distinct, func, or_, select
from sqlalchemy.sql import ColumnElement

from refurb.i18n import _
from refurb.models import Device, Event
from refurb.reports.model import (
    DEFAULT_KIND,
    DIMENSIONS,
    Filters,
    FlowLine,
    Report,
    View,
    view_label,
)

if TYPE_CHECKING:
    from refurb.store import Store

DEVICES = Device.__table__  # type: ignore[attr-defined]
EVENTS = Event.__table__  # type: ignore[attr-defined]

# flow measure -> the events that count for it: (event kind, payload texts that must appear).
# A new event kind (a loan, a return) is one more tuple in its measure's list.
FLOW: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "taken_in": [("intake", ())],
    "erased": [("wipe", ('"status":"erased"',))],
    "graded": [("grade", ())],
    "ready": [("status", ('"to":"ready"',))],
    # The loan book's events (refurb.loans); status moves by hand from stores made before it.
    "lent": [("loan_out", ()), ("status", ('"to":"on_loan"',))],
    "returned": [
        ("loan_return", ()),
        ("status", ('"from":"on_loan"', '"to":"ready"')),
        ("status", ('"from":"on_loan"', '"to":"in_progress"')),
    ],
    "handed_out": [("handout", ()), ("status", ('"to":"handed_out"',))],
    "recycled": [("status", ('"to":"recycled"',))],
}
# Devices that went to a second user: what the impact figures count.
REUSED = ("lent", "handed_out")


def flow_label(name: str) -> str:
    labels = {
        "taken_in": _("Taken in"),
        "erased": _("Disks erased"),
        "graded": _("Graded"),
        "ready": _("Ready"),
        "lent": _("Lent"),
        "returned": _("Returned"),
        "handed_out": _("Handed out"),
        "recycled": _("Recycled"),
    }
    return labels.get(name, name)


def column(name: str) -> Any:
    """The devices table's column behind a view, or None when this store has none."""
    return DEVICES.columns.get(DIMENSIONS.get(name, name))


def device_conditions(filters: Filters, *, dates: bool = True) -> list[ColumnElement[bool]]:
    cond: list[ColumnElement[bool]] = []
    if filters.status:
        cond.append(DEVICES.c.status.in_(list(filters.status)))
    if filters.batch:
        cond.append(DEVICES.c.batch == filters.batch)
    if filters.donor:
        cond.append(DEVICES.c.donor == filters.donor)
    if dates and filters.since:
        cond.append(DEVICES.c.created_at >= filters.since_text)
    if dates and filters.until:
        cond.append(DEVICES.c.created_at < filters.until_text)
    return cond


def _loans_by_partner(store: Store, filters: Filters, *, overdue: bool) -> View:
    """Devices out now (or past their due date) per partner, from the loan book."""
    from refurb.models import Loan, Partner

    loans, partners = Loan.__table__, Partner.__table__  # type: ignore[attr-defined]
    n = func.count().label("n")
    where = [loans.c.returned_at.is_(None), *device_conditions(filters)]
    if overdue:
        where += [loans.c.kind == "loan", loans.c.due < store.env.now().date().isoformat()]
    stmt = (
        select(partners.c.name, n)
        .select_from(
            loans.join(partners, partners.c.id == loans.c.partner_id).join(
                DEVICES, DEVICES.c.asset_id == loans.c.asset_id
            )
        )
        .where(*where)
        .group_by(partners.c.name)
        .order_by(n.desc(), partners.c.name)
    )
    rows = [(key, int(count)) for key, count in store.session.execute(stmt).all()]
    name = "overdue" if overdue else "partner"
    return View(name, view_label(name), available=True, rows=rows)


def count_by(store: Store, name: str, filters: Filters) -> View:
    if name in ("partner", "overdue"):
        return _loans_by_partner(store, filters, overdue=name == "overdue")
    col = column(name)
    if col is None:
        return View(name, view_label(name), available=False)
    n = func.count().label("n")
    stmt = select(col, n).where(*device_conditions(filters)).group_by(col).order_by(n.desc(), col)
    rows = [(key, int(count)) for key, count in store.session.execute(stmt).all()]
    return View(name, view_label(name), available=True, rows=rows)


def total(store: Store, filters: Filters) -> int:
    stmt = select(func.count()).select_from(DEVICES).where(*device_conditions(filters))
    return int(store.session.execute(stmt).scalar_one())


def _event_match(rules: list[tuple[str, tuple[str, ...]]]) -> ColumnElement[bool]:
    clauses = []
    for kind, texts in rules:
        # Unescaped on purpose: "_" matches any one character, and no two status names differ
        # only there; escaping (LIKE ... ESCAPE) made the pass twice as slow on SQLite.
        parts = [EVENTS.c.kind == kind] + [EVENTS.c.payload.contains(t) for t in texts]
        clauses.append(and_(*parts))
    return or_(*clauses)


def _event_conditions(filters: Filters) -> list[ColumnElement[bool]]:
    cond: list[ColumnElement[bool]] = []
    if filters.since:
        cond.append(EVENTS.c.created_at >= filters.since_text)
    if filters.until:
        cond.append(EVENTS.c.created_at < filters.until_text)
    return cond


def _joined(filters: Filters) -> Any:
    """Events, joined to their device only when a device filter needs it."""
    if device_conditions(filters, dates=False):
        return EVENTS.join(DEVICES, DEVICES.c.asset_id == EVENTS.c.asset_id)
    return EVENTS


def flow(store: Store, filters: Filters) -> list[FlowLine]:
    """How often each step happened in the period, in one pass over the events (a sum per step).

    Steps are counted each time they happen: a device lent twice counts twice in "lent", and
    "erased" counts disks. Distinct devices would need a sort per step (seconds at 100,000
    devices); the impact figures, which must count devices once, do count distinct devices.
    """
    from sqlalchemy import case

    columns = [
        func.sum(case((_event_match(rules), 1), else_=0)).label(name)
        for name, rules in FLOW.items()
    ]
    kinds = sorted({kind for rules in FLOW.values() for kind, _texts in rules})
    stmt = (
        select(*columns)
        .select_from(_joined(filters))
        .where(
            EVENTS.c.kind.in_(kinds),
            *_event_conditions(filters),
            *device_conditions(filters, dates=False),
        )
    )
    row = store.session.execute(stmt).one()
    return [FlowLine(name, flow_label(name), int(row[i] or 0)) for i, name in enumerate(FLOW)]


def reused_by_kind(store: Store, filters: Filters) -> dict[str, int]:
    """Devices that went to a second user in the period (lent or handed out), per kind; each
    device once, however often it went out."""
    rules = [rule for name in REUSED for rule in FLOW[name]]
    kind_col = column("kind")
    where = [
        _event_match(rules),
        *_event_conditions(filters),
        *device_conditions(filters, dates=False),
    ]
    n = func.count(distinct(EVENTS.c.asset_id))
    if kind_col is None:
        stmt = select(n).select_from(_joined(filters)).where(*where)
        count = store.session.execute(stmt).scalar_one()
        return {DEFAULT_KIND: int(count)} if count else {}
    base = EVENTS.join(DEVICES, DEVICES.c.asset_id == EVENTS.c.asset_id)
    stmt = select(kind_col, n).select_from(base).where(*where).group_by(kind_col)
    out: dict[str, int] = {}
    for kind, count in store.session.execute(stmt).all():
        key = kind or DEFAULT_KIND
        out[key] = out.get(key, 0) + int(count)
    return out


def build_report(
    store: Store,
    filters: Filters,
    *,
    views: list[str] | None = None,
    config: Mapping[str, Any] | None = None,
) -> Report:
    """Every view, the flow and the impact figures for the devices the filters select."""
    from refurb.reports.impact import impact_lines

    config = config or {}
    names = views or list(DIMENSIONS)
    return Report(
        site=str(config.get("site") or ""),
        generated_at=store.env.now(),
        filters=filters,
        total=total(store, filters),
        views=[count_by(store, name, filters) for name in names],
        flow=flow(store, filters),
        impact=impact_lines(reused_by_kind(store, filters), config),
    )
