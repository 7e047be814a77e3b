"""`refurb intake import`: a donor's sheet -> new devices and ``update`` events, matched by serial.

Reading and checking need no store (``prepare``); ``import_file`` plans against the store and
writes everything in one transaction, or nothing when a row is bad (unless ``skip_bad``).
Re-importing the same file changes nothing; a changed cell becomes an ``update`` event.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refurb.intake.columns import FIELDS, find_header, parse_map
from refurb.intake.rows import Record, RowError, convert
from refurb.intake.sheet import read_sheet

if TYPE_CHECKING:
    from refurb.store import Store

INTAKE_PAYLOAD = ("serial", "manufacturer", "model", "donor", "batch", "notes", "location")
DEFAULT_KIND = "laptop"  # a row whose sheet and command say no kind


@dataclass
class Prepared:
    file: str
    encoding: str | None
    delimiter: str | None
    columns: dict[str, str]  # header -> field
    ignored: list[str]
    records: list[Record]
    errors: list[RowError]


@dataclass
class ImportResult:
    prepared: Prepared
    dry_run: bool
    written: bool = False
    created: list[dict[str, Any]] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[dict[str, Any]] = field(default_factory=list)
    skip_bad: bool = False

    @property
    def blocked(self) -> bool:
        """Bad rows and no --skip-bad: nothing is (or would be) written."""
        return bool(self.prepared.errors) and not self.skip_bad

    def to_dict(self) -> dict[str, Any]:
        p = self.prepared
        return {
            "file": p.file,
            "encoding": p.encoding,
            "delimiter": p.delimiter,
            "columns": p.columns,
            "ignored_columns": p.ignored,
            "dry_run": self.dry_run,
            "written": self.written,
            "rows": len(p.records) + len(p.errors),
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "errors": [e.to_dict() for e in p.errors],
            "created_devices": self.created,
            "updated_devices": self.updated,
        }


def field_limits() -> dict[str, int]:
    """The longest text each devices column holds (the sheet is checked before anything is
    written, so PostgreSQL never fails half-way)."""
    from refurb.models import Device

    limits = {}
    for name in FIELDS:
        column = Device.__table__.columns.get(name)  # type: ignore[attr-defined]
        length = getattr(column.type, "length", None) if column is not None else None
        if length:
            limits[name] = length
    limits["received"] = 10
    return limits


def prepare(
    path: Path,
    *,
    sheet: str | None = None,
    maps: Sequence[str] = (),
    donor: str | None = None,
    batch: str | None = None,
    kind: str | None = None,
) -> Prepared:
    """Read, map and check the file: no store needed. ``kind`` (--kind) is every row's kind."""
    whole_kind = whole_file_kind(kind)  # refused before the file is read
    table = read_sheet(path, sheet)
    overrides = parse_map(maps)
    position, mapping = find_header(table.rows, overrides, path.name)
    data = table.rows[position + 1 :]
    if not data:
        from refurb.errors import InvalidInput
        from refurb.i18n import _

        raise InvalidInput(
            _("{file} has a header (line {line}) but no rows of devices under it").format(
                file=table.name, line=table.rows[position][0]
            )
        )
    mapping.settle(data)
    defaults = {
        "donor": (donor or "").strip() or None,
        "batch": (batch or "").strip() or None,
        "kind": whole_kind,
    }
    records, errors = convert(data, mapping, defaults=defaults, limits=field_limits())
    columns = {mapping.headers[i]: name for i, name in sorted(mapping.columns.items())}
    return Prepared(
        file=table.name,
        encoding=table.encoding,
        delimiter=table.delimiter,
        columns=columns,
        ignored=mapping.ignored,
        records=records,
        errors=errors,
    )


def whole_file_kind(kind: str | None) -> str | None:
    """``--kind`` as typed (laptop, "portable", "écran"...) -> the kind; unknown is refused."""
    if kind is None or not kind.strip():
        return None
    from refurb.errors import InvalidInput
    from refurb.i18n import _
    from refurb.intake.kinds import kind_of
    from refurb.readiness import kinds

    found = kind_of(kind)
    if found is None:
        raise InvalidInput(
            _("--kind {kind!r} is not a kind refurb knows").format(kind=kind),
            _("kinds: {names}").format(names=", ".join(kinds())),
        )
    return found


def _declared(state: dict[str, Any]) -> dict[str, Any]:
    rec = state.get("intake") or {}
    if rec.get("declared"):
        return dict(rec["declared"])
    return {k: state.get(k) for k in INTAKE_PAYLOAD}  # a device from before intake records


def _match(store: Store, records: list[Record]) -> dict[str, Any]:
    """serial -> device: by the devices' serial, else by the serial their sheet declared
    (a probe may have replaced a mistyped serial)."""
    serials = [r.fields["serial"] for r in records]
    found = store.devices_by_serial(serials)
    missing = {s for s in serials if s not in found}
    if missing:
        for device in store.probed_with_intake():
            declared = _declared(store.device_state(device)).get("serial")
            if declared in missing:
                found.setdefault(declared, device)
    return found


def import_file(
    store: Store,
    prepared: Prepared,
    *,
    dry_run: bool = False,
    skip_bad: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Plan the import against the store and, unless ``dry_run`` or blocked, write it."""
    result = ImportResult(prepared=prepared, dry_run=dry_run, skip_bad=skip_bad)
    found = _match(store, prepared.records)
    creates: list[dict[str, Any]] = []
    updates: list[tuple[str, dict[str, Any]]] = []
    for record in prepared.records:
        fields = record.fields
        device = found.get(fields["serial"])
        if device is None:
            payload = {k: fields.get(k) for k in INTAKE_PAYLOAD}
            payload["kind"] = fields.get("kind") or DEFAULT_KIND
            if fields.get("received"):
                payload["received"] = fields["received"]
            creates.append(payload)
            result.created.append({"line": record.line, "serial": fields["serial"]})
            continue
        state = store.device_state(device)
        declared = _declared(state)
        declared["kind"] = state.get("kind") or DEFAULT_KIND  # the kind now, not as declared
        changes = {k: v for k, v in fields.items() if declared.get(k) != v}
        if not changes:
            result.unchanged.append({"line": record.line, "asset_id": device.asset_id})
            continue
        updates.append((device.asset_id, {**changes, "source": "import"}))
        result.updated.append(
            {
                "line": record.line,
                "asset_id": device.asset_id,
                "changes": {k: {"from": declared.get(k), "to": v} for k, v in changes.items()},
            }
        )
    if dry_run or result.blocked or not (creates or updates):
        return result
    assets, _events = store.write_intake(creates, updates, progress)
    for entry, asset_id in zip(result.created, assets, strict=True):
        entry["asset_id"] = asset_id
    result.written = True
    return result
