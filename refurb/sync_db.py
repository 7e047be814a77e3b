"""The database side of `refurb sync`: opening an inventory, chain heads, receiving events.

One code path serves both directions: a push receives a bench's events into the inventory, a pull
receives the inventory's events into the bench. Receiving checks each workstation chain against
what the receiving side holds (no gap, every hash linking to the one before, content unchanged),
inserts in batches (``INSERT ... ON CONFLICT DO NOTHING``), advances the high-water mark and
re-folds the devices concerned, in one transaction: all of it, or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import delete, event, select, update
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import DatabaseError, OperationalError

from refurb import __version__
from refurb.errors import InvalidInput, InventoryUnreachable, RefurbError, Refused
from refurb.i18n import _
from refurb.models import SyncHead, SyncInfo, Workstation
from refurb.projection import PARTNER_KINDS
from refurb.store import SCHEMA_HEAD, make_engine, row_hash
from refurb.sync_fold import (
    BATCH,
    COLUMNS,
    EVENTS,
    ChainRefused,
    affected,
    describe,
    fold_all,
    fold_loans,
    held,
    order_key,
    refold,
    stored_events,
    upsert,
    write_states,
)

__all__ = ["ChainRefused", "order_key", "refold"]  # kept here for the callers of before
HEADS = SyncHead.__table__  # type: ignore[attr-defined]
INFO = SyncInfo.__table__  # type: ignore[attr-defined]
STATIONS = Workstation.__table__  # type: ignore[attr-defined]
_VALUES = itemgetter(*COLUMNS)  # an event dict as the row COPY takes
LOCK_KEY = 7_262_010  # pg_advisory_xact_lock: one sync writes to an inventory at a time
Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True)
class Head:
    seq: int = 0
    hash: str = ""


class SchemaTooNew(Refused):
    """The inventory was migrated by a newer refurb."""


class NotAnInventory(InvalidInput):
    """The database holds something else than a refurb inventory."""


class AuthFailed(RefurbError):
    """The server refused the credentials (exit 1: retrying will not help)."""


# -- URLs and engines ---------------------------------------------------------------------------
def parse_url(text: str) -> URL:
    """A sync URL, checked: SQLite with a file path, or PostgreSQL with a database name."""
    hint = _("use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
    try:
        url = make_url(text.strip())
    except Exception as exc:
        raise InvalidInput(
            _("{url!r} is not a database URL").format(url=text.split("@")[-1]), hint
        ) from exc
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise InvalidInput(
                _("{url!r} names no file").format(url=redact(url)),
                _("e.g. sqlite:////mnt/share/inventory.db"),
            )
        return url
    if backend in ("postgresql", "postgres"):
        if not url.database:
            raise InvalidInput(_("{url!r} names no database").format(url=redact(url)), hint)
        return url.set(drivername="postgresql+psycopg")
    raise InvalidInput(_("unsupported database URL {url!r}").format(url=redact(url)), hint)


def redact(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def without_password(url: URL) -> str:
    """The URL as it may be kept in the settings: the password never is."""
    return url._replace(password=None).render_as_string(hide_password=False)


def open_engine(url: URL, *, shared: bool) -> Engine:
    """An engine whose SQLite write transactions take the file's lock first (BEGIN IMMEDIATE).

    ``shared``: the inventory. Its SQLite folder must exist (a share that is not mounted is an
    unreachable inventory, not a place to create one) and it keeps a rollback journal, because WAL
    does not work over network file systems.
    """
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "").expanduser()
        if shared and not path.parent.is_dir():
            raise InventoryUnreachable(
                _("the inventory folder {folder} is not there").format(folder=path.parent),
                _("is the share mounted? Local work goes on; sync again later"),
            )
    engine = make_engine(url.render_as_string(hide_password=False))
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _manual(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we say BEGIN ourselves

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            write = conn.get_execution_options().get("refurb_write")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One write transaction that no other sync (or bench process) interleaves with."""
    with engine.connect().execution_options(refurb_write=True) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOCK_KEY})")
        yield conn


def connect_error(exc: BaseException, url: URL, *, lost: bool = False) -> RefurbError:
    """What a failure to talk to the inventory means for the person syncing."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    line = reason[0] if reason else type(exc).__name__
    low = line.lower()
    if (
        "password" in low
        or "authentication failed" in low
        or ("role" in low and "not exist" in low)
    ):
        return AuthFailed(
            _("the inventory {url} refused the login: {reason}").format(
                url=redact(url), reason=line
            ),
            _("set PGPASSWORD or a ~/.pgpass line, or run refurb sync at a terminal to be asked"),
        )
    if "does not exist" in low and "database" in low:
        return NotAnInventory(
            _("the inventory {url} is not there: {reason}").format(url=redact(url), reason=line),
            _("create it first: createdb -O USER DB"),
        )
    if isinstance(exc, DatabaseError) and not isinstance(exc, OperationalError):
        return NotAnInventory(
            _("{url} is not a refurb inventory: {reason}").format(url=redact(url), reason=line)
        )
    message = _("lost the inventory {url}: {reason}") if lost else None
    message = message or _("cannot reach the inventory {url}: {reason}")
    return InventoryUnreachable(
        message.format(url=redact(url), reason=line),
        _("local work goes on; sync again when the inventory is back"),
    )


# -- schema -------------------------------------------------------------------------------------
def _revision(conn: Connection) -> tuple[set[str], str | None]:
    from sqlalchemy import inspect

    tables = set(inspect(conn).get_table_names())
    if "alembic_version" not in tables:
        return tables, None
    return tables, conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def _known(revision: str) -> bool:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from refurb.store import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        return ScriptDirectory.from_config(cfg).get_revision(revision) is not None
    except Exception:
        return False


def _migrate(conn: Connection) -> None:
    from alembic import command
    from alembic.config import Config

    from refurb.store import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def prepare(engine: Engine, url: URL) -> None:
    """Create or migrate the inventory's schema; refuse a foreign or newer one, writing nothing."""
    with engine.connect() as conn:
        try:  # the usual case, in one query: an inventory at this refurb's schema
            if (
                conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
                == SCHEMA_HEAD
            ):
                return
        except DatabaseError:
            pass
    with writing(engine) as conn:
        tables, revision = _revision(conn)  # again, under the lock: another bench may be here
        if revision == SCHEMA_HEAD:
            return
        refuse_foreign(conn, url, tables, revision)
        _migrate(conn)
        _stamp(conn)
        if revision is not None:  # a newer refurb projects more: every device row again
            assets = conn.execute(
                select(EVENTS.c.asset_id).where(EVENTS.c.kind.not_in(PARTNER_KINDS)).distinct()
            ).scalars()
            refold(conn, [], extra=list(assets))


def refuse_foreign(conn: Connection, url: URL, tables: set[str], revision: str | None) -> None:
    """Refuse, before anything is written, a database of another program or a newer refurb."""
    if revision is None and tables:
        raise NotAnInventory(
            _("{url} is not a refurb inventory: it holds other tables ({tables})").format(
                url=redact(url), tables=", ".join(sorted(tables)[:4])
            ),
            _("point --to at an empty database or an existing inventory"),
        )
    if revision is not None and not _known(revision):
        if "events" not in tables:
            raise NotAnInventory(
                _("{url} is not a refurb inventory (schema {rev})").format(
                    url=redact(url), rev=revision
                )
            )
        made_by = None
        if "sync_info" in tables:
            made_by = conn.execute(
                select(INFO.c.value).where(INFO.c.key == "refurb_version")
            ).scalar()
        raise SchemaTooNew(
            _("the inventory's schema {rev} is newer than this refurb {version} knows").format(
                rev=revision, version=__version__
            ),
            _("install refurb {needed} or newer on this bench").format(
                needed=made_by or _("(the version the other benches run)")
            ),
        )


def _stamp(conn: Connection) -> None:
    values = {"key": "refurb_version", "value": __version__}
    conn.execute(delete(INFO).where(INFO.c.key == "refurb_version"))
    conn.execute(INFO.insert().values(**values))


# -- reading ------------------------------------------------------------------------------------
def heads(conn: Connection) -> dict[str, Head]:
    """The last event of every chain this database holds: synced ones and its own writers'."""
    found: dict[str, Head] = {}
    for ws, seq, digest in conn.execute(
        select(HEADS.c.workstation, HEADS.c.last_ws_seq, HEADS.c.last_hash)
    ):
        found[ws] = Head(seq, digest)
    for ws, seq, digest in conn.execute(
        select(STATIONS.c.id, STATIONS.c.last_ws_seq, STATIONS.c.last_hash)
    ):
        if seq and seq > found.get(ws, Head()).seq:
            found[ws] = Head(seq, digest)
    return found


def read_chain(conn: Connection, ws: str, after: int, upto: int) -> list[dict[str, Any]]:
    """Events ``after < ws_seq <= upto`` of one chain, as plain dicts (on the driver's own
    cursor: SQLAlchemy's rows cost more than the rest of reading them)."""
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    sql = (
        f"SELECT {', '.join(COLUMNS)} FROM events WHERE workstation = {mark} "
        f"AND ws_seq > {mark} AND ws_seq <= {mark} ORDER BY ws_seq"
    )
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.execute(sql, (ws, after, upto))
        return [dict(zip(COLUMNS, row, strict=True)) for row in cur]
    finally:
        cur.close()


def chain_hashes(conn: Connection) -> tuple[dict[str, dict[int, str]], list[str]]:
    """Every chain's hashes by sequence number, and the events whose content no longer
    matches their hash (the first of each chain)."""
    out: dict[str, dict[int, str]] = {}
    problems: dict[str, str] = {}
    cols = [EVENTS.c[c] for c in COLUMNS]
    for row in conn.execute(select(*cols)):
        ev = row._mapping
        out.setdefault(ev["workstation"], {})[ev["ws_seq"]] = ev["hash"]
        if row_hash(ev) != ev["hash"]:
            known = problems.get(ev["workstation"])
            if known is None or ev["ws_seq"] < int(known.split("#", 1)[1].split(" ", 1)[0]):
                problems[ev["workstation"]] = _(
                    "{where}: its content was changed after it was written"
                ).format(where=describe(dict(ev)))
    return out, [problems[ws] for ws in sorted(problems)]


# -- checking -----------------------------------------------------------------------------------
def check_chain(ws: str, head: Head, events: list[dict[str, Any]], upto: int, side: str) -> None:
    """Refuse, naming the first bad event, a chain that does not continue ``head`` intact."""
    for _ev in checked(ws, head, events, upto, side):
        pass


def checked(
    ws: str, head: Head, events: list[dict[str, Any]], upto: int, side: str
) -> Iterator[dict[str, Any]]:
    """The chain's events, each given once it is known to continue the ones before; the first
    bad one is refused instead, naming it (a COPY fed from here is then aborted)."""

    def refuse(problem: str) -> ChainRefused:
        return ChainRefused(
            _("{side} refuses the events of workstation {ws}: {problem}").format(
                side=side, ws=ws[:8], problem=problem
            ),
            _("nothing was written; `refurb admin check` on that bench shows what changed"),
        )

    seq, digest = head.seq, head.hash
    for ev in events:
        if ev["ws_seq"] == seq + 1 and ev["prev_hash"] == digest and row_hash(ev) == ev["hash"]:
            seq, digest = ev["ws_seq"], ev["hash"]
            yield ev
            continue
        where = describe(ev)  # the first bad event: say which and why
        if ev["ws_seq"] != seq + 1:
            raise refuse(
                _("{where}: events {first}..{last} are missing").format(
                    where=where, first=seq + 1, last=ev["ws_seq"] - 1
                )
            )
        if ev["prev_hash"] != digest:
            if seq == head.seq and seq:
                raise refuse(
                    _("{where}: does not follow event #{seq}, which {side} already holds").format(
                        where=where, seq=seq, side=side
                    )
                )
            raise refuse(_("{where}: does not follow the event before it").format(where=where))
        raise refuse(_("{where}: its content was changed after it was written").format(where=where))
    if seq < upto:
        raise refuse(
            _("workstation {ws}: its last event #{seq} is missing").format(ws=ws[:8], seq=upto)
        )


# -- writing ------------------------------------------------------------------------------------
def _copy_events(
    conn: Connection,
    rows: Iterator[dict[str, Any]],
    total: int,
    progress: Progress | None,
    meanwhile: Callable[[], Any],
) -> tuple[bool, Any]:
    """PostgreSQL: COPY the rows straight into ``events`` as they pass the chain check, and run
    ``meanwhile`` before the COPY ends: the server writes the rows and their indexes while this
    process checks hashes and folds the devices. A refused chain aborts the COPY.

    (False, None) when an event's UUID is already there under another number (``receive`` takes
    only chains beyond the inventory's heads, under its lock, so only a forged or mangled log
    does that): the COPY is undone to its savepoint and the caller inserts the careful way.
    """
    import psycopg

    raw = conn.connection.driver_connection
    try:
        with (
            conn.begin_nested(),
            raw.cursor() as cur,  # type: ignore[union-attr]
            cur.copy(f"COPY events ({', '.join(COLUMNS)}) FROM STDIN") as copy,
        ):
            for done, row in enumerate(rows, 1):
                copy.write_row(_VALUES(row))
                if progress and (done % BATCH == 0 or done == total):
                    progress(done, total)
            result = meanwhile()
        return True, result
    except psycopg.errors.UniqueViolation:
        return False, None


def _insert_events(conn: Connection, rows: list[dict[str, Any]], progress: Progress | None) -> None:
    """The rows, batched, an event already there (by UUID) skipped: staged by COPY and
    ``INSERT ... ON CONFLICT DO NOTHING`` on PostgreSQL, executemany on SQLite."""
    total = len(rows)
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        names = ", ".join(COLUMNS)
        with raw.cursor() as cur:  # type: ignore[union-attr]
            cur.execute(
                f"CREATE TEMP TABLE sync_incoming ON COMMIT DROP AS "
                f"SELECT {names} FROM events WITH NO DATA"
            )
            for start in range(0, total, BATCH):
                with cur.copy(f"COPY sync_incoming ({names}) FROM STDIN") as copy:
                    for row in rows[start : start + BATCH]:
                        copy.write_row([row[c] for c in COLUMNS])
                if progress:
                    progress(min(start + BATCH, total), total)
            cur.execute(
                f"INSERT INTO events ({names}) SELECT {names} FROM sync_incoming "
                "ORDER BY workstation, ws_seq ON CONFLICT DO NOTHING"
            )
            cur.execute("DROP TABLE sync_incoming")
        return
    from sqlalchemy.dialects.sqlite import insert

    stmt = insert(EVENTS).on_conflict_do_nothing()
    for start in range(0, total, BATCH):
        conn.execute(stmt, [{c: r[c] for c in COLUMNS} for r in rows[start : start + BATCH]])
        if progress:
            progress(min(start + BATCH, total), total)


def _store(
    conn: Connection,
    new: list[dict[str, Any]],
    check: Callable[[], Iterator[dict[str, Any]]],
    progress: Progress | None,
    refold_also: Callable[[Connection], Iterable[str]] | None,
) -> None:
    """Check and insert ``new`` (``check()`` gives its events as they pass the chain check) and
    fold the devices it touches (and those ``refold_also`` names after the insert)."""
    assets = affected(new)
    have = held(conn, assets)
    states = None
    done = False
    if new and conn.dialect.name == "postgresql":
        before = stored_events(conn, have)  # read now: the connection is busy during the COPY
        done, states = _copy_events(
            conn, check(), len(new), progress, lambda: fold_all(assets, new, before, set())
        )
    if not done:
        for _ev in check():  # every chain checked before anything is written
            pass
        _insert_events(conn, new, progress)
    if states is None:
        states = fold_all(assets, new, stored_events(conn, have), have)
    fold_loans(conn, new)
    wanted = set(assets)
    extra = sorted(set(refold_also(conn)) - wanted) if refold_also else []
    if extra:
        more = held(conn, extra)
        states += fold_all(extra, new, stored_events(conn, more), more)
        have |= more
    write_states(conn, states, have)


def receive(
    engine: Engine,
    chains: dict[str, tuple[list[dict[str, Any]], int]],
    *,
    side: str,
    at: str,
    refold_also: Callable[[Connection], Iterable[str]] | None = None,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """Take in each chain's events (``ws -> (events in ws_seq order, last seq)``) in one
    transaction; a receipt per chain that added something."""
    receipts: list[dict[str, Any]] = []
    with writing(engine) as conn:
        current = heads(conn)
        new: list[dict[str, Any]] = []
        plan: list[tuple[str, Head, list[dict[str, Any]], int]] = []
        for ws, (events, upto) in sorted(chains.items()):
            head = current.get(ws, Head())
            events = [ev for ev in events if ev["ws_seq"] > head.seq]  # another sync was first
            if not events:
                continue
            plan.append((ws, head, events, upto))
            new.extend(events)
            last = events[-1]
            receipts.append(
                {
                    "workstation": ws,
                    "first": events[0]["ws_seq"],
                    "last": last["ws_seq"],
                    "count": len(events),
                    "last_hash": last["hash"],
                    "at": at,
                }
            )

        def check() -> Iterator[dict[str, Any]]:
            for ws, head, events, upto in plan:
                yield from checked(ws, head, events, upto, side)

        _store(conn, new, check, progress, refold_also)
        upsert(
            conn,
            HEADS,
            [
                {
                    "workstation": r["workstation"],
                    "last_ws_seq": r["last"],
                    "last_hash": r["last_hash"],
                    "updated_at": at,
                }
                for r in receipts
            ],
            ["workstation"],
        )
        for r in receipts:  # a bench restored from an older backup gets its own chain back
            conn.execute(
                update(STATIONS)
                .where(STATIONS.c.id == r["workstation"], STATIONS.c.last_ws_seq < r["last"])
                .values(last_ws_seq=r["last"], last_hash=r["last_hash"])
            )
    return receipts
