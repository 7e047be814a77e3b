"""A device row and an event's hash: the store's encodings, shared by the store and `refurb sync`.

The hash covers an event's fields as canonical JSON; a devices row is a projected state with its
JSON fields encoded and derived text cut to its column's size.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from operator import itemgetter
from typing import Any

from refurb import events as kinds
from refurb.errors import InvalidInput
from refurb.i18n import _
from refurb.models import Device

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
_HASHED_OF = itemgetter(*HASHED)


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
