"""Contradictions between benches that a person has to settle.

Two benches that act on the same device offline both keep their events, and every side folds
them in one order (time, then workstation and sequence). A status move made without having seen
another bench's move (its ``from`` is not the status the fold had reached, and it goes elsewhere)
is a contradiction, e.g. ``on_loan`` on one bench and ``recycled`` on another: the later one wins
in the projection, and it is listed here rather than overwritten silently.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from refurb.models import Event
from refurb.projection import apply, new_state

if TYPE_CHECKING:
    from refurb.store import Store


def _key(ev: Any) -> tuple[str, str, int]:
    return ev.created_at, ev.workstation, ev.ws_seq


def detect(asset_id: str, events: Iterable[Any]) -> list[dict[str, Any]]:
    """The contradictions in one device's events (``Event`` rows, any order)."""
    found: list[dict[str, Any]] = []
    state: dict[str, Any] | None = None
    mover: Any = None  # the event that set the current status
    for ev in sorted(events, key=_key):
        try:
            payload = json.loads(ev.payload)
        except ValueError:
            continue
        before = state["status"] if state else None
        if ev.kind == "status" and state is not None and mover is not None:
            said, to = payload.get("from"), payload.get("to")
            if said != before and to != before and mover.workstation != ev.workstation:
                found.append(
                    {
                        "asset_id": asset_id,
                        "status": to,
                        "overrides": before,
                        "first": _side(mover),
                        "second": _side(ev),
                    }
                )
        try:
            state = apply(
                state or new_state(asset_id, ev.created_at), ev.kind, payload, ev.created_at
            )
        except (KeyError, TypeError, AttributeError, ValueError):
            continue
        if state["status"] != before:
            mover = ev
    return found


def _side(ev: Any) -> dict[str, Any]:
    return {
        "workstation": ev.workstation,
        "ws_seq": ev.ws_seq,
        "at": ev.created_at,
        "actor": ev.actor,
        "kind": ev.kind,
    }


def list_conflicts(store: Store, assets: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Every contradiction in the store (or among ``assets``): only devices that more than one
    workstation acted on are read."""
    stmt = (
        select(Event.asset_id)
        .group_by(Event.asset_id)
        .having(func.count(func.distinct(Event.workstation)) > 1)
    )
    wanted = set(assets) if assets is not None else None
    shared = [a for a in store.session.exec(stmt).scalars() if wanted is None or a in wanted]
    found: list[dict[str, Any]] = []
    for asset_id in sorted(shared):
        found.extend(detect(asset_id, store.events(asset_id)))
    return found
