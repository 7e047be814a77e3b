"""`refurb sync`: push the events the inventory lacks, pull the other benches', project both sides.

``sync`` does one round trip; ``status`` says what waits locally without the network; ``verify``
compares the bench and the inventory chain by chain. The database work (checks, batched inserts,
high-water marks, re-folding) is in ``refurb.sync_db``; what the chain proves is in docs/sync.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from refurb.errors import InvalidInput
from refurb.i18n import _
from refurb.models import SyncReceipt, Workstation
from refurb.sync_db import (
    EVENTS,
    Head,
    chain_hashes,
    connect_error,
    heads,
    open_engine,
    parse_url,
    prepare,
    read_chain,
    receive,
    redact,
    without_password,
)

if TYPE_CHECKING:
    from refurb.env import Env

RECEIPTS = SyncReceipt.__table__  # type: ignore[attr-defined]
Progress = Callable[[str, int, int], None]  # (phase "push"/"pull", done, total)


def configured_inventory(env: Env) -> str | None:
    return env.settings.inventory


def inventory_url(env: Env, url: str | None = None) -> URL:
    """The inventory to sync with: ``--to``, else the one in the settings."""
    text = url or configured_inventory(env)
    if not text:
        raise InvalidInput(
            _("no inventory is set for this bench"),
            _("set one with `refurb config inventory URL`, or give --to URL"),
        )
    return parse_url(text)


def clean_inventory_setting(text: str) -> tuple[str, bool]:
    """(the URL to keep in the settings, whether a password was dropped from it)."""
    url = parse_url(text)
    return without_password(url), url.password is not None


@contextmanager
def _remote(url: URL, *, lost: bool = False) -> Iterator[None]:
    """Database errors met while talking to the inventory, as the user's error."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise connect_error(exc, url, lost=lost) from exc


def _local(env: Env) -> tuple[Engine, str]:
    """The bench's store, created and migrated as any command would, and its workstation id."""
    from refurb.store import open_store

    with open_store(env) as store:
        me = store.workstation
    return open_engine(parse_url(env.database_url), shared=False), me


def _inventory(url: URL, password: str | None) -> Engine:
    if password and not url.password:
        url = url.set(password=password)
    engine = open_engine(url, shared=True)
    try:
        with _remote(url):
            prepare(engine, url)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _phase(progress: Progress | None, name: str) -> Callable[[int, int], None] | None:
    return (lambda done, total: progress(name, done, total)) if progress else None


def _chains(conn: Connection, wanted: dict[str, tuple[int, int]]) -> dict[str, Any]:
    return {ws: (read_chain(conn, ws, a, b), b) for ws, (a, b) in sorted(wanted.items())}


def _ahead(mine: dict[str, Head], theirs: dict[str, Head]) -> dict[str, tuple[int, int]]:
    """The range of each chain that ``mine`` holds beyond ``theirs``."""
    return {
        ws: (theirs.get(ws, Head()).seq, head.seq)
        for ws, head in mine.items()
        if head.seq > theirs.get(ws, Head()).seq
    }


def sync(
    env: Env,
    url: str | None = None,
    *,
    password: str | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """One sync round: push, then pull; a summary with the receipts."""
    started = time.perf_counter()
    target = inventory_url(env, url)
    local, me = _local(env)
    inventory: Engine | None = None
    try:
        inventory = _inventory(target, password)
        with local.connect() as lc:
            mine = heads(lc)
        with _remote(target), inventory.connect() as ic:
            theirs = heads(ic)
        with local.connect() as lc:
            outgoing = _chains(lc, _ahead(mine, theirs))
        at = env.now().isoformat(timespec="microseconds")
        receipts: list[dict[str, Any]] = []
        if outgoing:
            with _remote(target, lost=True):
                receipts = receive(
                    inventory,
                    outgoing,
                    side=_("the inventory"),
                    at=at,
                    progress=_phase(progress, "push"),
                )
        key = without_password(target)[:300]
        for r in receipts:
            r["inventory"] = redact(target)
        with _remote(target, lost=True), inventory.connect() as ic:
            theirs = heads(ic)
            incoming = _chains(ic, _ahead(theirs, mine))
        pushed_assets = sorted({ev["asset_id"] for evs, _u in outgoing.values() for ev in evs})
        pulled: list[dict[str, Any]] = []
        if incoming or pushed_assets or receipts:

            def shared_assets(conn: Connection) -> list[str]:
                # A bench's own new events sort among pulled ones: fold those devices again too.
                found: set[str] = set()
                for start in range(0, len(pushed_assets), 500):
                    chunk = pushed_assets[start : start + 500]
                    stmt = select(EVENTS.c.asset_id).where(
                        EVENTS.c.asset_id.in_(chunk), EVENTS.c.workstation != me
                    )
                    found.update(conn.execute(stmt).scalars())
                for r in receipts:
                    conn.execute(
                        RECEIPTS.insert().values(
                            inventory=key,
                            workstation=r["workstation"],
                            first_seq=r["first"],
                            last_seq=r["last"],
                            count=r["count"],
                            last_hash=r["last_hash"],
                            at=r["at"],
                        )
                    )
                return sorted(found)

            pulled = receive(
                local,
                incoming,
                side=_("this bench"),
                at=at,
                refold_also=shared_assets,
                progress=_phase(progress, "pull"),
            )
        touched = pushed_assets + sorted(
            {ev["asset_id"] for evs, _u in incoming.values() for ev in evs}
        )
        found = conflicts(env, touched) if pulled else []  # only a pull brings new ones
    finally:
        local.dispose()
        if inventory is not None:
            inventory.dispose()
    return {
        "inventory": redact(target),
        "workstation": me,
        "pushed": sum(r["count"] for r in receipts),
        "pulled": sum(r["count"] for r in pulled),
        "receipts": receipts,
        "pulled_chains": pulled,
        "conflicts": found,
        "seconds": round(time.perf_counter() - started, 3),
    }


def conflicts(env: Env, assets: list[str] | None = None) -> list[dict[str, Any]]:
    """The contradictions in this store (the bench's, or the inventory's with --db)."""
    from refurb.conflicts import list_conflicts
    from refurb.store import open_store

    with open_store(env) as store:
        return list_conflicts(store, assets)


def status(env: Env, url: str | None = None) -> dict[str, Any]:
    """What waits locally for the inventory, and the last receipt; no network needed."""
    from refurb.store import open_store

    text = url or configured_inventory(env)
    target = parse_url(text) if text else None
    with open_store(env) as store:
        me = store.workstation
        ws = store.session.get(Workstation, me)
        own = ws.last_ws_seq if ws else 0
        last = None
        acknowledged = 0
        if target is not None:
            stmt = (
                select(SyncReceipt)
                .where(SyncReceipt.inventory == without_password(target)[:300])
                .order_by(SyncReceipt.id.desc())  # type: ignore[union-attr]
            )
            rows = list(store.session.exec(stmt).scalars())
            mine = [r.last_seq for r in rows if r.workstation == me]
            acknowledged = max(mine, default=0)
            if rows:
                r = rows[0]
                last = {
                    "workstation": r.workstation,
                    "first": r.first_seq,
                    "last": r.last_seq,
                    "count": r.count,
                    "last_hash": r.last_hash,
                    "at": r.at,
                }
    return {
        "inventory": redact(target) if target is not None else None,
        "workstation": me,
        "local_events": own,
        "acknowledged": acknowledged,
        "waiting": max(own - acknowledged, 0),
        "last_receipt": last,
    }


def _ranges(seqs: list[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for seq in seqs:
        if out and out[-1][1] == seq - 1:
            out[-1][1] = seq
        else:
            out.append([seq, seq])
    return out


def verify(env: Env, url: str | None = None, *, password: str | None = None) -> dict[str, Any]:
    """Both sides chain by chain: ranges missing on either side, the first event that differs."""
    from refurb.store import open_store

    target = inventory_url(env, url)
    with open_store(env) as store:
        _count, problems = store.check_chain()
    local, _me = _local(env)
    inventory: Engine | None = None
    try:
        inventory = _inventory(target, password)
        with local.connect() as lc:
            here, _same = chain_hashes(lc)  # the store's own check said it already
        with _remote(target, lost=True), inventory.connect() as ic:
            there, changed = chain_hashes(ic)
    finally:
        local.dispose()
        if inventory is not None:
            inventory.dispose()
    chains = []
    for ws in sorted(set(here) | set(there)):
        a, b = here.get(ws, {}), there.get(ws, {})
        differs = min((s for s in a.keys() & b.keys() if a[s] != b[s]), default=None)
        chains.append(
            {
                "workstation": ws,
                "bench": max(a, default=0),
                "inventory": max(b, default=0),
                "missing_in_inventory": _ranges(sorted(set(a) - set(b))),
                "missing_on_bench": _ranges(sorted(set(b) - set(a))),
                "differs_at": differs,
            }
        )
    return {
        "inventory": redact(target),
        "chains": chains,
        "bench_problems": problems,
        "inventory_problems": changed,
        "in_step": not problems
        and not changed
        and all(
            not c["missing_in_inventory"] and not c["missing_on_bench"] and c["differs_at"] is None
            for c in chains
        ),
        "tampered": bool(problems or changed) or any(c["differs_at"] is not None for c in chains),
    }
