"""The store's reading half: devices by asset id, serial or machine fact, their events, and the
hash chain's check. :class:`refurb.store.Store` is this with the writing half on top."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from refurb import events as kinds
from refurb import ids
from refurb.errors import InvalidInput, NotFound, StoreError
from refurb.i18n import _
from refurb.models import Device, DeviceDisk, DeviceFact, Event, Workstation
from refurb.projection import missing_for_ready
from refurb.store_rows import HASHED, JSON_FIELDS, event_hash

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from refurb.env import Env


class StoreReads:
    """Reads over one session; :class:`refurb.store.Store` opens it."""

    engine: Engine
    env: Env
    workstation: str
    session: Session

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
            if event_hash(**{k: getattr(ev, k) for k in HASHED}) != ev.hash:
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
