"""The store's writing half: each change an event appended with its projection in one
transaction (one device, many, intake sheets, status moves), and the projection rebuilt."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import OperationalError

from refurb import events as kinds
from refurb import ids
from refurb.errors import InvalidInput, NotFound, Refused, StoreError
from refurb.i18n import _
from refurb.lifecycle import check_move
from refurb.models import Device, DeviceDisk, DeviceFact, Event, StationCode, Workstation
from refurb.projection import LOAN_KINDS, PARTNER_KINDS, apply, new_state
from refurb.readiness import DEFAULT_KIND, check_kind
from refurb.store_rows import (
    INTAKE_KEYS,
    PayloadIn,
    _check_lengths,
    _clean_text,
    _row_values,
    canonical_json,
    event_hash,
)

if TYPE_CHECKING:
    pass

from refurb.store_read import StoreReads


class StoreWrites(StoreReads):
    """Appending events: the workstation row is locked first, so ids and the hash chain stay
    in order when several processes write to one store."""

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
