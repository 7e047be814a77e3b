"""The store: engine, migrations, the append-only event log and the device projection.

Every change is an event appended in one transaction with its projection, chained by hash to the
previous event of the same workstation. Works on SQLite (the embedded default) and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, func, insert, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, OperationalError, SQLAlchemyError
from sqlmodel import Session

from refurb import events as kinds
from refurb import ids
from refurb.errors import InvalidInput, NotFound, Refused, StoreError
from refurb.i18n import _
from refurb.lifecycle import check_move
from refurb.models import Device, DeviceDisk, DeviceFact, Event, StationCode, Workstation
from refurb.projection import LOAN_KINDS, PARTNER_KINDS, apply, missing_for_ready, new_state
from refurb.readiness import DEFAULT_KIND, check_kind

if TYPE_CHECKING:
    from refurb.env import Env

SCHEMA_HEAD = "0006_events"
MIGRATIONS = Path(__file__).parent / "migrations"
JSON_FIELDS = ("specs", "disks", "intake")
INTAKE_KEYS = ("serial", "manufacturer", "model", "donor", "batch", "notes", "location", "kind")
PayloadIn = dict[str, Any] | kinds.Payload


# One encoder, made once: json.dumps with these options builds a new one per call, which is
# most of the cost of hashing a pushed event.
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
).encode
HASHED = (
    "id",
    "asset_id",
    "kind",
    "payload",
    "actor",
    "workstation",
    "ws_seq",
    "created_at",
    "prev_hash",
)


def canonical_json(data: Any) -> str:
    return _CANONICAL(data)


def event_hash(
    *,
    id: str,
    asset_id: str,
    kind: str,
    payload: str,
    actor: str,
    workstation: str,
    ws_seq: int,
    created_at: str,
    prev_hash: str,
) -> str:
    body = _CANONICAL(
        [id, asset_id, kind, payload, actor, workstation, ws_seq, created_at, prev_hash]
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


_HASHED_OF = itemgetter(*HASHED)


def row_hash(ev: Any) -> str:
    """``event_hash`` of a mapping holding the fields (and maybe more), without copying it."""
    body = _CANONICAL(_HASHED_OF(ev))  # a tuple encodes as the same JSON array
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _clean_text(value: Any) -> Any:
    """Surrounding blanks dropped; an empty or blank string is no value (not a serial \"\")."""
    if isinstance(value, str):
        return value.strip() or None
    return value


@cache
def _column_limit(field: str) -> int | None:
    column = Device.__table__.columns.get(field)  # type: ignore[attr-defined]
    return getattr(column.type, "length", None) if column is not None else None


@cache
def _device_fields() -> frozenset[str]:
    return frozenset(Device.model_fields)


def _check_lengths(payload: dict[str, Any], row: int | None) -> None:
    """Refuse a typed value the devices table cannot hold (PostgreSQL would fail mid-write)."""
    for field, value in payload.items():
        limit = _column_limit(field)
        if isinstance(value, str) and limit and len(value) > limit:
            message = _("{field} is {n} characters long: at most {limit} fit").format(
                field=field, n=len(value), limit=limit
            )
            if row is not None:
                message = _("row {row}: {message}").format(row=row, message=message)
            raise InvalidInput(message, _("shorten it; longer text fits in the notes"))


@cache
def _text_limits() -> tuple[tuple[str, int], ...]:
    return tuple(
        (field, limit) for field in sorted(_device_fields()) if (limit := _column_limit(field))
    )


def _row_values(state: dict[str, Any]) -> dict[str, Any]:
    """A state as a devices row: JSON fields encoded, derived text cut to its column's size.

    The full values stay in the events; only the row (a cache of them) is shortened.
    """
    fields = _device_fields()
    values = {k: v for k, v in state.items() if k in fields}
    for field in JSON_FIELDS:
        values[field] = canonical_json(values[field]) if values.get(field) else None
    for field, limit in _text_limits():
        value = values.get(field)
        if isinstance(value, str) and len(value) > limit:
            values[field] = value[: limit - 1] + "…"
    return values


def _redact(url: str) -> str:
    """A database URL without its password, fit for an error message."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]


def sqlite_path(url: str) -> Path | None:
    """The file of a sqlite:/// URL (None for memory or another backend)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[1] if "///" in url else ""
    return Path(path).expanduser() if path and path != ":memory:" else None


def make_engine(url: str, *, create_folder: bool = True) -> Engine:
    """An engine for the URL; a missing SQLite folder is made (0700) only when ``create_folder``.

    A mistyped ``--db`` path must not quietly start an empty store somewhere else.
    """
    if url.startswith("sqlite"):
        db_file = sqlite_path(url)
        if db_file is not None:
            folder = db_file.parent
            if not folder.is_dir() and not create_folder:
                raise StoreError(
                    _("the folder {folder} of the store does not exist").format(folder=folder),
                    _("check the --db path, or run `refurb init` to create a store there"),
                )
            try:
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError as exc:
                raise StoreError(
                    _("cannot create the store folder {folder}: {reason}").format(
                        folder=folder, reason=exc.strerror or exc
                    ),
                    _("choose another place with --db sqlite:///PATH or REFURB_HOME"),
                ) from exc
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout = 30000")
            cur.execute("PRAGMA foreign_keys = ON")
            cur.close()

        return engine
    if url.startswith(("postgresql", "postgres")):
        if url.startswith("postgres://") or url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        try:
            return create_engine(url, connect_args={"connect_timeout": 5}, pool_pre_ping=True)
        except ImportError as exc:
            raise StoreError(
                _("PostgreSQL support is not installed"),
                "pip install 'refurb[postgres]'",
            ) from exc
    raise InvalidInput(
        _("unsupported database URL {url!r}").format(url=_redact(url)),
        _("use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"),
    )


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA schema_version").fetchall()  # fails on a non-database
            has = conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
            ).fetchone()
        else:
            has = conn.execute(text("SELECT to_regclass('alembic_version')")).scalar()
        if not has:
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine: Engine) -> None:
    """Bring the schema to the head revision with Alembic (only imported when needed)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def _prepare_server(engine: Engine, url: str) -> None:
    """A store on a PostgreSQL server is an inventory: created, checked and migrated as
    `refurb sync` does it (a foreign or newer schema refused, nothing written)."""
    from refurb.errors import InventoryUnreachable
    from refurb.sync_db import connect_error, parse_url, prepare

    target = parse_url(url)
    try:
        prepare(engine, target)
    except SQLAlchemyError as exc:
        error = connect_error(exc, target)
        if isinstance(error, InventoryUnreachable):  # in the words of --db: a database
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""]
            error = InventoryUnreachable(
                _("cannot reach the database {url}: {reason}").format(
                    url=_redact(url), reason=reason[0]
                ),
                _("check that the server runs and the URL is right"),
            )
        raise error from exc


def _refuse_foreign(engine: Engine, url: str, revision: str | None) -> None:
    """Another program's SQLite file, or a newer refurb's store: refused before migrating."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url

    from refurb.sync_db import refuse_foreign

    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        refuse_foreign(conn, make_url(url), tables, revision)


def _prepare(engine: Engine, url: str) -> None:
    if engine.dialect.name != "sqlite":
        _prepare_server(engine, url)
        return
    try:
        revision = _current_revision(engine)
        if revision != SCHEMA_HEAD:
            _refuse_foreign(engine, url, revision)
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            migrate(engine)
    except OperationalError as exc:
        msg = str(exc.orig) if exc.orig is not None else str(exc)
        raise StoreError(
            _("cannot open the store {url}: {reason}").format(
                url=_redact(url), reason=msg.splitlines()[0]
            ),
            _("check the path and its permissions"),
        ) from exc
    except DatabaseError as exc:
        msg = str(exc.orig) if exc.orig is not None else str(exc)
        raise StoreError(
            _("{url} is not a usable refurb store: {reason}").format(
                url=_redact(url), reason=msg.splitlines()[0]
            ),
            _("restore it from a backup or point --db at another file"),
        ) from exc


class Store:
    def __init__(self, engine: Engine, env: Env, workstation: str) -> None:
        self.engine = engine
        self.env = env
        self.workstation = workstation
        self.session = Session(engine, expire_on_commit=False)

    # -- reading -------------------------------------------------------------------------------
    def get_device(self, asset: str) -> Device:
        try:
            asset_id = ids.normalize(asset)
        except InvalidInput as exc:
            near = ids.near_misses(asset)
            if near:
                stmt = select(Device.asset_id).where(Device.asset_id.in_(near))
                found = sorted(self.session.exec(stmt).scalars())
                if found:
                    exc.hint = _("did you mean {ids}?").format(ids=" or ".join(found[:3]))
            raise
        device = self.session.get(Device, asset_id)
        if device is None:
            raise NotFound(
                _("no device {asset} in this store").format(asset=asset_id),
                self._suggest(asset_id),
            )
        return device

    def _suggest(self, asset_id: str) -> str | None:
        near = ids.near_misses(asset_id)
        found = []
        if near:
            found = list(
                self.session.exec(
                    select(Device.asset_id).where(Device.asset_id.in_(near))
                ).scalars()
            )
        if not found:
            prefix = asset_id[:8]
            found = list(
                self.session.exec(
                    select(Device.asset_id)
                    .where(Device.asset_id.like(prefix + "%"))
                    .order_by(Device.asset_id)
                    .limit(3)
                ).scalars()
            )
        if found:
            return _("did you mean {ids}?").format(ids=" or ".join(sorted(found)[:3]))
        return _("see `refurb list` for the devices in this store")

    def device_state(self, device: Device) -> dict[str, Any]:
        state = device.model_dump()
        for field in JSON_FIELDS:
            value = state.get(field)
            try:
                state[field] = json.loads(value) if value else ({} if field == "disks" else None)
            except ValueError as exc:  # the row is a cache of the log: it can be rebuilt
                raise StoreError(
                    _("the stored row of {asset} no longer reads ({field})").format(
                        asset=device.asset_id, field=field
                    ),
                    _("run `refurb admin rebuild` to compute it again from the event log"),
                ) from exc
        return state

    def live_state(self, device: Device) -> dict[str, Any]:
        """The device's state, where a wipe whose process is gone (kill -9, power cut) reads as
        interrupted rather than started. Nothing is written: the next `wipe run` records it."""
        state = self.device_state(device)
        if not any(d.get("erasure") == "started" for d in state["disks"].values()):
            return state
        from refurb.projection import disk_key
        from refurb.wipe.record import dangling, owner_alive

        for _event, payload in dangling(self.events(device.asset_id)):
            disk = state["disks"].get(disk_key(payload.get("disk") or {}))
            alive = owner_alive(payload, self.workstation)
            if disk and disk.get("erasure") == "started" and alive is False:
                disk["erasure"] = "interrupted"
                state["erasure"] = "interrupted"
        return state

    def events(self, asset_id: str) -> list[kinds.Recorded]:
        """The device's events, oldest first, with their payloads decoded (``refurb.events``)."""
        return [kinds.Recorded.from_row(row) for row in self.event_rows(asset_id)]

    def event_rows(self, asset_id: str) -> list[Event]:
        """The device's events as stored (payload text as hashed), oldest first."""
        stmt = select(Event).where(Event.asset_id == asset_id).order_by(Event.seq)
        return list(self.session.exec(stmt).scalars())

    def list_devices(
        self,
        *,
        status: Sequence[str] | None = None,
        batch: str | None = None,
        limit: int | None = None,
    ) -> list[Device]:
        stmt = select(Device)
        if status:
            stmt = stmt.where(Device.status.in_(list(status)))
        if batch:
            stmt = stmt.where(Device.batch == batch)
        stmt = stmt.order_by(Device.created_at, Device.asset_id)
        if limit:
            stmt = stmt.limit(limit)
        return list(self.session.exec(stmt).scalars())

    def count_devices(self) -> int:
        return self.session.exec(select(func.count()).select_from(Device)).scalar_one()

    def find_by_serial(self, serial: str | None) -> Device | None:
        if not serial:
            return None
        stmt = select(Device).where(Device.serial == serial).limit(1)
        return self.session.exec(stmt).scalars().first()

    def find_by_disk_serial(self, serial: str | None) -> Device | None:
        if not serial:
            return None
        link = self.session.get(DeviceDisk, serial)
        return self.session.get(Device, link.asset_id) if link else None

    def find_by_fact(self, kind: str, value: str) -> Device | None:
        """The device a machine fact (``refurb.identity``: UUID, MAC) was last seen in."""
        link = self.session.get(DeviceFact, (kind, value))
        return self.session.get(Device, link.asset_id) if link else None

    def facts_of_device(self, asset_id: str) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        stmt = select(DeviceFact.kind, DeviceFact.value).where(DeviceFact.asset_id == asset_id)
        for kind, value in self.session.exec(stmt).all():
            found.setdefault(kind, []).append(value)
        return found

    def readiness(self, asset_id: str) -> list[str]:
        return missing_for_ready(self.live_state(self.get_device(asset_id)))

    # -- writing -------------------------------------------------------------------------------
    def _lock_workstation(self) -> Workstation:
        # A no-op UPDATE first: it takes the write lock before anything is read (SQLite and PG).
        self.session.exec(
            update(Workstation)
            .where(Workstation.id == self.workstation)
            .values(counter=Workstation.counter)
        )
        ws = self.session.get(Workstation, self.workstation, populate_existing=True)
        if ws is None:
            ws = self._register_workstation()
        return ws

    def _register_workstation(self) -> Workstation:
        ws = Workstation(
            id=self.workstation,
            station_code=self._draw_station_code(),
            created_at=self._now(),
        )
        self.session.add(ws)
        self.session.flush()
        return ws

    def _draw_station_code(self) -> int:
        while True:
            code = ids.new_station_code()
            if self.session.get(StationCode, code) is None:
                self.session.add(StationCode(code=code, workstation=self.workstation))
                self.session.flush()
                return code

    def _now(self) -> str:
        return self.env.now().isoformat(timespec="microseconds")

    def _next_asset_id(self, ws: Workstation) -> str:
        if ws.counter >= ids.COUNTER_LIMIT:
            ws.station_code = self._draw_station_code()
            ws.counter = 0
        asset_id = ids.make_id(ws.station_code, ws.counter)
        ws.counter += 1
        return asset_id

    def _event_fields(
        self, asset_id: str, payload: kinds.Payload, ws_seq: int, prev_hash: str
    ) -> dict[str, Any]:
        """An event's column values, chained to ``prev_hash`` and hashed."""
        fields = {
            "id": str(uuid.uuid4()),
            "asset_id": asset_id,
            "kind": payload.KIND,
            "payload": canonical_json(kinds.encode(payload)),
            "actor": self.env.actor,
            "workstation": self.workstation,
            "ws_seq": ws_seq,
            "created_at": self._now(),
            "prev_hash": prev_hash,
        }
        fields["hash"] = event_hash(**fields)
        return fields

    def _next_asset_ids(self, ws: Workstation, count: int) -> list[str]:
        """``count`` new asset ids at once (as ``_next_asset_id`` would give them one by one)."""
        out: list[str] = []
        code, counter = ws.station_code, ws.counter
        for _n in range(count):
            if counter >= ids.COUNTER_LIMIT:
                code, counter = self._draw_station_code(), 0
            out.append(ids.make_id(code, counter))
            counter += 1
        ws.station_code, ws.counter = code, counter
        return out

    def _write_event(self, ws: Workstation, asset_id: str, payload: kinds.Payload) -> Event:
        ev = Event(**self._event_fields(asset_id, payload, ws.last_ws_seq + 1, ws.last_hash))
        ws.last_ws_seq = ev.ws_seq
        ws.last_hash = ev.hash
        self.session.add(ev)
        return ev

    def _project(self, device: Device | None, ev: Event, payload: kinds.Payload) -> Device | None:
        if ev.kind in LOAN_KINDS or ev.kind in PARTNER_KINDS:
            from refurb.loan_fold import project

            project(self.session, ev, payload.data())
            if ev.kind in PARTNER_KINDS:
                return None  # a partner is no device
        if device is None:
            state = new_state(ev.asset_id, ev.created_at)
        else:
            state = self.device_state(device)
        state = apply(state, ev.kind, payload, ev.created_at)
        values = _row_values(state)
        if device is None:
            device = Device(**values)
            self.session.add(device)
        else:
            for key, value in values.items():
                setattr(device, key, value)
        if isinstance(payload, kinds.Probe):
            self._link_disks(ev.asset_id, state.get("disks") or {})
            self._link_facts(ev.asset_id, payload.probe)
        return device

    def _link_facts(self, asset_id: str, probe: dict[str, Any]) -> None:
        from refurb.identity import facts_of

        for kind, value in facts_of(probe).indexed():
            link = self.session.get(DeviceFact, (kind, value))
            if link is None:
                self.session.add(DeviceFact(kind=kind, value=value, asset_id=asset_id))
            else:
                link.asset_id = asset_id
        self.session.flush()  # the next probe in this transaction must see these

    def _link_disks(self, asset_id: str, disks: dict[str, Any]) -> None:
        for disk in disks.values():
            serial = disk.get("serial")
            if not serial:
                continue
            link = self.session.get(DeviceDisk, serial)
            if link is None:
                self.session.add(DeviceDisk(serial=serial, asset_id=asset_id))
            else:
                link.asset_id = asset_id

    @contextmanager
    def _writing(self) -> Iterator[Workstation]:
        try:
            ws = self._lock_workstation()
            yield ws
            self.session.commit()
        except BaseException as exc:
            self.session.rollback()
            if isinstance(exc, OperationalError):
                raise StoreError(
                    _("cannot write to the store: {reason}").format(
                        reason=str(exc.orig).splitlines()[0]
                    ),
                    _("is the disk full or read-only, or is another refurb holding a lock?"),
                ) from exc
            raise

    def append(self, asset: str, kind: str, payload: PayloadIn) -> kinds.Recorded:
        """Append one event to an existing device and update its projection, atomically.

        The payload (a dict or a ``refurb.events`` model) is checked first: an unknown kind or
        a payload that does not validate is refused and nothing is written."""
        checked = kinds.make(kind, payload)
        with self._writing() as ws:
            device = self.get_device(asset)
            ev = self._write_event(ws, device.asset_id, checked)
            self._project(device, ev, checked)
        return kinds.Recorded.from_row(ev, checked)

    def append_subject(
        self, subject_id: str, kind: str, payload: PayloadIn, *, extra: Iterable[Any] = ()
    ) -> kinds.Recorded:
        """Append one event about something other than a device (a partner) or about a device
        with rows that stay outside the hashed log (``extra``: a purgeable loan reference),
        all in one transaction."""
        checked = kinds.make(kind, payload)
        with self._writing() as ws:
            device = self.session.get(Device, subject_id)
            ev = self._write_event(ws, subject_id, checked)
            self._project(device, ev, checked)
            for row in extra:
                self.session.add(row)
        return kinds.Recorded.from_row(ev, checked)

    def append_many(self, items: Iterable[tuple[str, str, PayloadIn]]) -> list[kinds.Recorded]:
        """Append events to many devices in one transaction: all of them, or none."""
        written: list[tuple[Event, kinds.Payload]] = []
        with self._writing() as ws, self.session.no_autoflush:
            for asset, kind, payload in items:
                checked = kinds.make(kind, payload)
                device = self.get_device(asset)
                ev = self._write_event(ws, device.asset_id, checked)
                self._project(device, ev, checked)
                written.append((ev, checked))
        return [kinds.Recorded.from_row(ev, checked) for ev, checked in written]

    def set_status(self, asset: str, target: str, reason: str | None = None) -> kinds.Recorded:
        with self._writing() as ws:
            device = self.get_device(asset)
            check_move(self.live_state(device), target)
            payload = kinds.make("status", {"from": device.status, "to": target, "reason": reason})
            ev = self._write_event(ws, device.asset_id, payload)
            self._project(device, ev, payload)
        return kinds.Recorded.from_row(ev, payload)

    def intake(self, fields: dict[str, Any], *, force: bool = False) -> Device:
        """Create one device; a serial already in the store is refused unless ``force``."""
        return self.intake_many([fields], force=force)[0]

    def intake_many(self, rows: Iterable[dict[str, Any]], *, force: bool = False) -> list[Device]:
        """Create many devices in one transaction: all of them, or none."""
        rows = list(rows)
        serials = [((r.get("serial") or "").strip() or None) for r in rows]
        created: list[Device] = []
        with self._writing() as ws, self.session.no_autoflush:
            if not force:
                self._refuse_duplicates(serials)
            for n, fields in enumerate(rows):
                payload = {k: _clean_text(fields.get(k)) for k in INTAKE_KEYS}
                _check_lengths(payload, n + 1 if len(rows) > 1 else None)
                payload["serial"] = serials[n]
                try:
                    payload["kind"] = check_kind(payload["kind"] or DEFAULT_KIND)
                except InvalidInput as exc:
                    if len(rows) > 1:
                        exc.message = _("row {row}: {message}").format(
                            row=n + 1, message=exc.message
                        )
                    raise
                checked = kinds.make("intake", payload)
                asset_id = self._next_asset_id(ws)
                ev = self._write_event(ws, asset_id, checked)
                created.append(self._project(None, ev, checked))
        return created

    def devices_by_serial(self, serials: Sequence[str]) -> dict[str, Device]:
        """The devices holding these serials, in a few queries (not one per serial)."""
        found: dict[str, Device] = {}
        wanted = list(dict.fromkeys(serials))
        for start in range(0, len(wanted), 500):
            stmt = select(Device).where(Device.serial.in_(wanted[start : start + 500]))
            for device in self.session.exec(stmt).scalars():
                found.setdefault(device.serial or "", device)
        return found

    def probed_with_intake(self) -> list[Device]:
        """Probed devices that came with an intake record (where sheet and probe may differ)."""
        stmt = select(Device).where(Device.probed_at.is_not(None), Device.intake.is_not(None))
        return list(self.session.exec(stmt).scalars())

    def write_intake(
        self,
        creates: Sequence[dict[str, Any]],
        updates: Sequence[tuple[str, dict[str, Any]]],
        progress: Any = None,
    ) -> tuple[list[str], list[kinds.Recorded]]:
        """New devices (their asset ids) and ``update`` events in one transaction: all, or none.

        ``progress(done, total)`` is called as rows are written.
        """
        created: list[str] = []
        events: list[kinds.Recorded] = []
        total = len(creates) + len(updates)
        with self._writing() as ws, self.session.no_autoflush:
            # New devices as plain rows in two bulk INSERTs: building an ORM object per row
            # costs more than the whole database work.
            event_rows, device_rows = [], []
            seq, last = ws.last_ws_seq, ws.last_hash  # kept here: ORM attribute sets are slow
            for n, (payload, asset_id) in enumerate(
                zip(creates, self._next_asset_ids(ws, len(creates)), strict=True), start=1
            ):
                seq += 1
                checked = kinds.make("intake", payload)
                fields = self._event_fields(asset_id, checked, seq, last)
                last = fields["hash"]
                at = fields["created_at"]
                event_rows.append(fields)
                device_rows.append(
                    _row_values(apply(new_state(asset_id, at), "intake", checked, at))
                )
                created.append(asset_id)
                if progress is not None and n % 100 == 0:
                    progress(n, total)
            ws.last_ws_seq, ws.last_hash = seq, last
            if event_rows:
                self.session.execute(insert(Event), event_rows)
                self.session.execute(insert(Device), device_rows)
            for n, (asset, payload) in enumerate(updates, start=len(creates) + 1):
                device = self.get_device(asset)
                update = kinds.make("update", payload)
                ev = self._write_event(ws, device.asset_id, update)
                self._project(device, ev, update)
                events.append(kinds.Recorded.from_row(ev, update))
                if progress is not None and n % 100 == 0:
                    progress(n, total)
            if progress is not None:
                progress(total, total)
        return created, events

    def set_status_many(
        self, assets: Sequence[str], target: str, reason: str | None = None
    ) -> list[kinds.Recorded]:
        """Move many devices, all or none: every refused move is named in the error."""
        from refurb.errors import BulkRefused
        from refurb.lifecycle import check_status_names

        check_status_names([target])
        written: list[kinds.Recorded] = []
        with self._writing() as ws, self.session.no_autoflush:
            refusals: list[tuple[str, str]] = []
            devices = []
            for asset in dict.fromkeys(assets):
                try:
                    device = self.get_device(asset)
                    check_move(self.live_state(device), target)
                    devices.append(device)
                except (Refused, NotFound, InvalidInput) as exc:
                    refusals.append((asset, exc.message))
            if refusals:
                raise BulkRefused(refusals, len(devices) + len(refusals))
            for device in devices:
                payload = kinds.make(
                    "status", {"from": device.status, "to": target, "reason": reason}
                )
                ev = self._write_event(ws, device.asset_id, payload)
                self._project(device, ev, payload)
                written.append(kinds.Recorded.from_row(ev, payload))
        return written

    def _refuse_duplicates(self, serials: list[str | None]) -> None:
        seen: dict[str, int] = {}
        for n, serial in enumerate(serials, start=1):
            if serial is None:
                continue
            if serial in seen:
                raise Refused(
                    _("serial {serial} appears twice (rows {a} and {b})").format(
                        serial=serial, a=seen[serial], b=n
                    )
                )
            seen[serial] = n
        wanted = list(seen)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            stmt = select(Device.serial, Device.asset_id).where(Device.serial.in_(chunk))
            for serial, asset_id in self.session.exec(stmt).all():
                raise Refused(
                    _("serial {serial} is already {asset}").format(serial=serial, asset=asset_id),
                    _("see `refurb show {asset}`, or add --force to register it again").format(
                        asset=asset_id
                    ),
                )

    # -- integrity -----------------------------------------------------------------------------
    def rebuild(self) -> int:
        """Recompute every device row from the event log."""
        with self._writing():
            self.session.exec(text("DELETE FROM device_disks"))
            self.session.exec(text("DELETE FROM device_facts"))
            self.session.exec(text("DELETE FROM devices"))
            self.session.exec(text("DELETE FROM loans"))  # loan_refs are no projection: kept
            self.session.exec(text("DELETE FROM partners"))
            self.session.flush()
            states: dict[str, dict[str, Any]] = {}
            order = (Event.created_at, Event.workstation, Event.ws_seq)  # as `refurb sync` folds
            for ev in self.session.exec(select(Event).order_by(*order)).scalars():
                payload = kinds.decode(ev.kind, ev.payload)
                if ev.kind in LOAN_KINDS or ev.kind in PARTNER_KINDS:
                    from refurb.loan_fold import project

                    project(self.session, ev, payload.data())
                    if ev.kind in PARTNER_KINDS:
                        continue
                state = states.get(ev.asset_id) or new_state(ev.asset_id, ev.created_at)
                states[ev.asset_id] = apply(state, ev.kind, payload, ev.created_at)
                if isinstance(payload, kinds.Probe):  # in log order: the last one seen wins
                    self._link_facts(ev.asset_id, payload.probe)
            for state in states.values():
                self.session.add(Device(**_row_values(state)))
                self._link_disks(state["asset_id"], state.get("disks") or {})
        return len(states)

    def check_chain(self) -> tuple[int, list[str]]:
        """(events checked, problems): a changed, missing or reordered event is a problem."""
        problems: list[str] = []
        heads: dict[str, tuple[int, str]] = {}
        count = 0
        stmt = select(Event).order_by(Event.workstation, Event.ws_seq)
        for ev in self.session.exec(stmt).scalars():
            count += 1
            last_seq, last_hash = heads.get(ev.workstation, (0, ""))
            where = _("event {ws}#{seq} ({asset} {kind})").format(
                ws=ev.workstation[:8], seq=ev.ws_seq, asset=ev.asset_id, kind=ev.kind
            )
            if ev.ws_seq != last_seq + 1:
                problems.append(
                    _("{where}: events {first}..{last} are missing").format(
                        where=where, first=last_seq + 1, last=ev.ws_seq - 1
                    )
                )
            if ev.prev_hash != last_hash:
                problems.append(
                    _("{where}: does not follow the event before it").format(where=where)
                )
            fields = {
                k: getattr(ev, k)
                for k in (
                    "id",
                    "asset_id",
                    "kind",
                    "payload",
                    "actor",
                    "workstation",
                    "ws_seq",
                    "created_at",
                    "prev_hash",
                )
            }
            if event_hash(**fields) != ev.hash:
                problems.append(
                    _("{where}: its content was changed after it was written").format(where=where)
                )
            heads[ev.workstation] = (ev.ws_seq, ev.hash)
        for ws in self.session.exec(select(Workstation)).scalars():
            seq, digest = heads.get(ws.id, (0, ""))
            if ws.last_ws_seq != seq or ws.last_hash != digest:
                problems.append(
                    _("workstation {ws}: its last event #{seq} is missing").format(
                        ws=ws.id[:8], seq=ws.last_ws_seq
                    )
                )
        return count, problems

    def close(self) -> None:
        self.session.close()
        self.engine.dispose()


def workstation_id(env: Env) -> str:
    """This machine's workstation id, kept in the config (made on first use)."""
    from refurb.config import load_config, save_config

    known = env.settings.workstation  # read once per invocation
    if known:
        return known
    config = load_config(env.config_path)
    value = config.get("workstation")
    if not value:
        value = str(uuid.uuid4())
        config["workstation"] = value
        save_config(env.config_path, config)
    return str(value)


def _make_private(url: str, data_dir: Path) -> None:
    """The SQLite file holds donor names: readable by its owner only (WAL files follow it),
    in refurb's own folder closed to others (0700)."""
    db_file = sqlite_path(url)
    if db_file is None:
        return
    try:
        if db_file.parent == data_dir and db_file.parent.stat().st_mode & 0o077:
            db_file.parent.chmod(0o700)
        if db_file.stat().st_mode & 0o077 and db_file.owner() == _user_name():
            db_file.chmod(0o600)
    except (OSError, KeyError):
        pass  # a shared file we do not own keeps the mode its owner gave it


def _user_name() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


@contextmanager
def open_store(env: Env, *, create: bool = False) -> Iterator[Store]:
    """The store for this invocation, migrated on first use.

    The embedded default is created where it belongs; a store at an explicit ``--db`` path is
    created only by ``refurb init`` (``create``), so a typo in a path is an error, not a new store.
    """
    url = env.database_url
    engine = make_engine(url, create_folder=create or url == env.default_db_url)
    store: Store | None = None
    try:
        _prepare(engine, url)
        _make_private(url, env.data_dir)
        store = Store(engine, env, workstation_id(env))
        yield store
    except SQLAlchemyError as exc:
        if isinstance(exc, OperationalError) and engine.dialect.name != "sqlite":
            from refurb.errors import InventoryUnreachable

            raise InventoryUnreachable(
                _("lost the database {url}: {reason}").format(
                    url=_redact(url), reason=str(exc.orig).splitlines()[0]
                ),
                _("check that the server runs and the URL is right"),
            ) from exc
        raise StoreError(
            _("store error: {reason}").format(reason=str(getattr(exc, "orig", exc)).splitlines()[0])
        ) from exc
    finally:
        if store is not None:
            store.close()
        else:
            engine.dispose()
