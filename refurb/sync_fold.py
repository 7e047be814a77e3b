"""The projections a sync updates: devices, the disk and fact indexes, partners and loans.

A device's row is the fold of all its events in one order on every side (time, workstation,
sequence). Only the devices a sync touches are folded again. The work is split in reading
(``held`` rows and their stored events), folding (pure: it may run while the database is still
busy with the insert) and writing the rows back (``write_states``); ``refold`` does all three after
the events are in.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from refurb import events as kinds
from refurb.errors import RefurbError, Refused
from refurb.i18n import _
from refurb.models import Device, DeviceDisk, DeviceFact, Event
from refurb.projection import LOAN_KINDS, PARTNER_KINDS, apply, new_state
from refurb.store import _row_values
from refurb.store_rows import HASHED

EVENTS = Event.__table__  # type: ignore[attr-defined]
DEVICES = Device.__table__  # type: ignore[attr-defined]
DISKS = DeviceDisk.__table__  # type: ignore[attr-defined]
FACTS = DeviceFact.__table__  # type: ignore[attr-defined]
COLUMNS = (*HASHED, "hash")  # an event row as it travels: what the hash covers, and the hash
BATCH = 2000
Mark = tuple[str, str, int]  # an event's place in the fold order


def order_key(ev: Any) -> Mark:
    """The one order in which every side folds a device's events: time, workstation, sequence."""
    if isinstance(ev, dict):
        return ev["created_at"], ev["workstation"], ev["ws_seq"]
    return ev.created_at, ev.workstation, ev.ws_seq


def describe(ev: dict[str, Any]) -> str:
    return _("event {ws}#{seq} ({asset} {kind})").format(
        ws=ev["workstation"][:8], seq=ev["ws_seq"], asset=ev["asset_id"], kind=ev["kind"]
    )


class ChainRefused(Refused):
    """A pushed or pulled chain that does not continue what the receiving side holds."""


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _among(conn: Connection, column: Any, values: list[str]) -> Iterator[Any]:
    """Conditions ``column IN values``: one array parameter on PostgreSQL (one query, however
    many), chunks of 500 on SQLite (its limit on parameters)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy import any_, bindparam
        from sqlalchemy.dialects.postgresql import ARRAY

        if values:
            yield column == any_(bindparam("among", values, type_=ARRAY(column.type)))
        return
    for chunk in _chunks(values):
        yield column.in_(chunk)


# -- reading ------------------------------------------------------------------------------------
def affected(new: Iterable[dict[str, Any]], extra: Iterable[str] = ()) -> list[str]:
    """The devices ``new`` events concern (a partner's events, asset PT-..., make none)."""
    return sorted({ev["asset_id"] for ev in new if ev["kind"] not in PARTNER_KINDS} | set(extra))


def held(conn: Connection, assets: list[str]) -> set[str]:
    """Those of ``assets`` that already have a device row here."""
    found: set[str] = set()
    for among in _among(conn, DEVICES.c.asset_id, assets):
        found.update(conn.execute(select(DEVICES.c.asset_id).where(among)).scalars())
    return found


def stored_events(conn: Connection, assets: Iterable[str]) -> list[dict[str, Any]]:
    """Every stored event of these devices."""
    cols = [EVENTS.c[c] for c in COLUMNS]
    out: list[dict[str, Any]] = []
    for among in _among(conn, EVENTS.c.asset_id, sorted(assets)):
        for row in conn.execute(select(*cols).where(among)):
            out.append(dict(row._mapping))
    return out


# -- folding (pure) -----------------------------------------------------------------------------
def fold(asset_id: str, events: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A device's state from its events in the deterministic order.

    The state also carries ``_facts`` (``(kind, value) -> mark`` of the last probe that showed
    each machine fact), for the ``device_facts`` index; ``write_states`` drops it from the row.
    """
    from refurb.identity import facts_of

    state: dict[str, Any] | None = None
    facts: dict[tuple[str, str], Mark] = {}
    for ev in sorted(events, key=order_key):
        try:
            payload = kinds.from_data(ev["kind"], json.loads(ev["payload"]))
            state = apply(
                state or new_state(asset_id, ev["created_at"]),
                ev["kind"],
                payload,
                ev["created_at"],
            )
            if isinstance(payload, kinds.Probe):
                mark = order_key(ev)
                facts.update(dict.fromkeys(facts_of(payload.probe).indexed(), mark))
        except (ValueError, KeyError, TypeError, AttributeError, RefurbError) as exc:
            raise ChainRefused(
                _("{where}: its payload cannot be read ({reason})").format(
                    where=describe(ev), reason=type(exc).__name__
                )
            ) from exc
    assert state is not None
    state["_facts"] = facts
    return state


def fold_all(
    assets: list[str], new: list[dict[str, Any]], stored: list[dict[str, Any]], held: set[str]
) -> list[dict[str, Any]]:
    """The state of each of ``assets``: its ``stored`` events if it has a row here (``stored``
    read after the insert holds the new ones too), else its ``new`` ones."""
    wanted = set(assets)
    by_asset: dict[str, list[dict[str, Any]]] = {}
    for ev in new:
        if ev["asset_id"] in wanted and ev["asset_id"] not in held:
            by_asset.setdefault(ev["asset_id"], []).append(ev)
    for ev in stored:
        if ev["asset_id"] in wanted:
            by_asset.setdefault(ev["asset_id"], []).append(ev)
    return [fold(asset, by_asset[asset]) for asset in assets if by_asset.get(asset)]


# -- writing ------------------------------------------------------------------------------------
def bulk_insert(conn: Connection, table: Any, names: list[str], rows: list[dict[str, Any]]) -> None:
    """Plain rows into a table: COPY on PostgreSQL, batched executemany on SQLite."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with (
            raw.cursor() as cur,  # type: ignore[union-attr]
            cur.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row([row[n] for n in names])
        return
    for start in range(0, len(rows), BATCH):
        conn.execute(table.insert(), rows[start : start + BATCH])


def upsert(conn: Connection, table: Any, rows: list[dict[str, Any]], keys: list[str]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    stmt = insert(table)
    others = {c: stmt.excluded[c] for c in rows[0] if c not in keys}
    for start in range(0, len(rows), BATCH):
        conn.execute(
            stmt.on_conflict_do_update(index_elements=keys, set_=others),
            rows[start : start + BATCH],
        )


def write_states(conn: Connection, states: list[dict[str, Any]], held: set[str]) -> None:
    """The folded devices as rows (replacing the ``held`` ones), and the disk and fact indexes
    pointing at the device that showed each serial or fact last."""
    for among in _among(conn, DEVICES.c.asset_id, sorted(held)):
        conn.execute(delete(DEVICES).where(among))
    names = [c.name for c in DEVICES.columns]
    rows = [{n: v.get(n) for n in names} for v in map(_row_values, states)]
    bulk_insert(conn, DEVICES, names, rows)
    disks: dict[str, tuple[str, str]] = {}
    facts: dict[tuple[str, str], tuple[Mark, str]] = {}
    for s in states:
        for disk in (s.get("disks") or {}).values():
            serial = disk.get("serial")
            if serial:
                mark = (s.get("probed_at") or "", s["asset_id"])
                disks[serial] = max(disks.get(serial, mark), mark)
        for fact, at in s["_facts"].items():
            seen = (at, s["asset_id"])
            facts[fact] = max(facts.get(fact, seen), seen)
    upsert(
        conn, DISKS, [{"serial": k, "asset_id": v[1]} for k, v in sorted(disks.items())], ["serial"]
    )
    upsert(
        conn,
        FACTS,
        [{"kind": k, "value": v, "asset_id": a} for (k, v), (_m, a) in sorted(facts.items())],
        ["kind", "value"],
    )


def fold_loans(conn: Connection, new: list[dict[str, Any]]) -> None:
    """Partner and loan events into the ``partners`` / ``loans`` tables, as the store does.

    ``new`` holds only events this side did not have, so each loan is opened once.
    """
    from types import SimpleNamespace

    from sqlmodel import Session

    from refurb.loan_fold import project
    from refurb.models import Loan

    wanted = sorted((ev for ev in new if ev["kind"] in LOAN_KINDS | PARTNER_KINDS), key=order_key)
    if not wanted:
        return
    with Session(bind=conn) as session:
        for ev in wanted:
            payload = json.loads(ev["payload"])
            if ev["kind"] in ("loan_out", "handout") and session.get(Loan, payload.get("loan_id")):
                continue
            meta = SimpleNamespace(
                kind=ev["kind"], asset_id=ev["asset_id"], created_at=ev["created_at"]
            )
            project(session, meta, payload)  # type: ignore[arg-type]
        session.flush()


def refold(conn: Connection, new: list[dict[str, Any]], extra: Iterable[str] = ()) -> int:
    """Recompute the devices touched by ``new`` (already inserted) and ``extra``; their count."""
    fold_loans(conn, new)
    assets = affected(new, extra)
    if not assets:
        return 0
    have = held(conn, assets)
    states = fold_all(assets, new, stored_events(conn, have), have)
    write_states(conn, states, have)
    return len(states)
