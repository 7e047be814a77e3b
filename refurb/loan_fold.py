"""The ``partners`` and ``loans`` tables as a fold over the partner and loan events.

The store calls :func:`project` in the transaction that appends the event (and ``admin rebuild``
replays every event through it); ``loan_refs`` is no projection and is only ever deleted here.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from refurb.models import Event, Loan, LoanRef, Partner


def project(session: Session, ev: Event, payload: dict[str, Any]) -> None:
    """Fold one partner or loan event into the ``partners`` / ``loans`` tables."""
    kind = ev.kind
    if kind == "partner":
        row = session.get(Partner, payload["partner_id"])
        if row is None:
            session.add(
                Partner(
                    id=payload["partner_id"],
                    name=payload["name"],
                    contact=payload.get("contact"),
                    lang=payload.get("lang") or "nl",
                    created_at=ev.created_at,
                )
            )
        else:
            row.name = payload["name"]
            row.contact = payload.get("contact")
            row.lang = payload.get("lang") or row.lang
        session.flush()
        return
    if kind in ("loan_out", "handout"):
        session.add(
            Loan(
                id=payload["loan_id"],
                asset_id=ev.asset_id,
                partner_id=payload["partner_id"],
                kind="loan" if kind == "loan_out" else "handout",
                programme=payload.get("programme"),
                ref_digest=payload.get("ref_sha256"),
                out_at=ev.created_at,
                due=payload.get("due"),
            )
        )
        session.flush()
        return
    loan = session.get(Loan, payload.get("loan_id"))
    if loan is None:
        return  # an event about a loan this store has not seen (yet)
    if kind == "loan_return":
        loan.returned_at = ev.created_at
        loan.condition = payload.get("condition")
        loan.note = payload.get("note")
    elif kind == "loan_extend":
        loan.due = payload.get("due")
    elif kind == "loan_purge":
        loan.ref_purged_at = ev.created_at
        ref = session.get(LoanRef, loan.id)
        if ref is not None:
            session.delete(ref)
    session.flush()
