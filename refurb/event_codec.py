"""How event payloads are checked, stored and read back: the machinery under :mod:`refurb.events`.

:class:`Payload` is the base of every kind, :func:`register` and :func:`upcaster` fill the
registry, :func:`make` validates before the store writes, :func:`encode` is what it writes,
:func:`decode` / :func:`from_data` read stored text back (upcast first), :class:`Recorded` is a
stored event with its payload decoded. Import :mod:`refurb.events` (it registers the kinds and
re-exports all of this), not this module.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from refurb.errors import InvalidInput, StoreError
from refurb.i18n import _

VERSION_KEY = "v"

_KINDS: dict[str, type[Payload]] = {}
_UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {}


class Payload(BaseModel):
    """What one event kind carries. Subclasses set ``KIND`` (and ``VERSION`` when it changes)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    KIND: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1

    def check(self) -> None:
        """A rule beyond field types that refuses the event (raise :class:`Refused`)."""

    def data(self) -> dict[str, Any]:
        """The payload as plain JSON values: the fields given when it was made."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def get(self, key: str, default: Any = None) -> Any:
        """Read a field by its stored name, as code written against dict payloads does."""
        return self.data().get(key, default)


def register(cls: type[Payload]) -> type[Payload]:
    """Make ``cls`` the payload type of ``cls.KIND`` (used as a class decorator)."""
    if not cls.KIND:
        raise TypeError(f"{cls.__name__} has no KIND")
    known = _KINDS.get(cls.KIND)
    if known is not None and known is not cls:
        raise TypeError(f"event kind {cls.KIND!r} is already {known.__name__}")
    _KINDS[cls.KIND] = cls
    return cls


def upcaster(
    kind: str, version: int
) -> Callable[
    [Callable[[dict[str, Any]], dict[str, Any]]], Callable[[dict[str, Any]], dict[str, Any]]
]:
    """Register a function turning a stored ``kind`` payload of ``version`` into ``version + 1``."""

    def add(
        fn: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> Callable[[dict[str, Any]], dict[str, Any]]:
        _UPCASTERS[(kind, version)] = fn
        return fn

    return add


def kinds() -> list[str]:
    return sorted(_KINDS)


def payload_type(kind: str) -> type[Payload]:
    cls = _KINDS.get(kind)
    if cls is None:
        raise InvalidInput(
            _("unknown event kind {kind!r}").format(kind=kind),
            _("known kinds: {kinds}").format(kinds=", ".join(kinds())),
        )
    return cls


def _reason(error: Mapping[str, Any]) -> str:
    """One pydantic error in the user's words (its own English for the rare ones)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("is missing")
    if kind == "extra_forbidden":
        return _("is not a field of this event")
    if kind == "literal_error":
        return _("must be one of {choices}").format(choices=ctx.get("expected", "?"))
    if kind.startswith(("string_", "str_")) and kind != "string_too_short":
        return _("must be text")
    if kind == "string_too_short":
        return _("must not be empty")
    if kind.startswith("int_"):
        return _("must be a whole number")
    if kind.startswith("bool_"):
        return _("must be true or false")
    if kind.startswith("float_"):
        return _("must be a number")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _("must be an object")
    if kind == "list_type":
        return _("must be a list")
    if kind == "value_error":
        return str(ctx.get("error") or error.get("msg", ""))
    return str(error.get("msg", kind))


def field_problem(kind: str, field: str, reason: str) -> str:
    """How every refused field is named: ``event wipe, field disk.serial: must be text``."""
    return _("event {kind}, field {field}: {reason}").format(kind=kind, field=field, reason=reason)


def _problem(kind: str, exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or kind
    return field_problem(kind, where, _reason(first))


def make(kind: str, payload: Mapping[str, Any] | Payload) -> Payload:
    """A checked payload of ``kind``: an unknown kind, a wrong field or a broken rule is refused."""
    cls = payload_type(kind)
    if isinstance(payload, Payload):
        if not isinstance(payload, cls):
            raise InvalidInput(
                _("event {kind}: got a {got} payload").format(kind=kind, got=payload.KIND)
            )
        payload = payload.data()
    data = dict(payload)
    version = data.pop(VERSION_KEY, cls.VERSION)
    if version != cls.VERSION:
        raise InvalidInput(
            _("event {kind}: version {got} given, version {want} is current").format(
                kind=kind, got=version, want=cls.VERSION
            )
        )
    try:
        made = cls.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(_problem(kind, exc)) from None
    made.check()
    return made


def encode(payload: Payload) -> dict[str, Any]:
    """What the store writes (as canonical JSON): the payload's fields and its version."""
    return {**payload.data(), VERSION_KEY: payload.VERSION}


def upcast(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """A stored payload brought to its kind's current version (no ``v`` means version 1)."""
    cls = payload_type(kind)
    data = dict(data)
    version = data.pop(VERSION_KEY, 1)
    while version < cls.VERSION:
        step = _UPCASTERS.get((kind, version))
        if step is None:
            raise StoreError(
                _("event {kind}: no upcaster from version {version}").format(
                    kind=kind, version=version
                )
            )
        data = step(data)
        version += 1
    if version > cls.VERSION:
        raise StoreError(
            _("event {kind} is version {version}, newer than this refurb knows").format(
                kind=kind, version=version
            ),
            _("update refurb on this workstation"),
        )
    return data


def decode(kind: str, text: str) -> Payload:
    """A stored payload text as its model. Stored events are not re-judged by today's rules
    (``check``): the log says what was recorded then."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise StoreError(
            _("event {kind}: its payload is not JSON").format(kind=kind),
            _("run `refurb admin check` to check the log"),
        ) from exc
    if not isinstance(data, dict):
        raise StoreError(_("event {kind}: its payload is not an object").format(kind=kind))
    return from_data(kind, data)


def from_data(kind: str, data: Mapping[str, Any]) -> Payload:
    """A stored payload (as JSON values) as its model, upcast; not re-judged by ``check``."""
    cls = payload_type(kind)
    try:
        return cls.model_validate(upcast(kind, dict(data)))
    except ValidationError as exc:
        raise StoreError(
            _problem(kind, exc), _("run `refurb admin check` to check the log")
        ) from None


@dataclass(frozen=True)
class Recorded:
    """A stored event with its payload decoded."""

    id: str
    seq: int | None
    asset_id: str
    kind: str
    payload: Payload
    actor: str
    workstation: str
    ws_seq: int
    created_at: str
    hash: str

    @classmethod
    def from_row(cls, row: Any, payload: Payload | None = None) -> Recorded:
        """A stored row decoded (or with the payload it was just written from)."""
        return cls(
            id=row.id,
            seq=row.seq,
            asset_id=row.asset_id,
            kind=row.kind,
            payload=payload if payload is not None else decode(row.kind, row.payload),
            actor=row.actor,
            workstation=row.workstation,
            ws_seq=row.ws_seq,
            created_at=row.created_at,
            hash=row.hash,
        )

    def as_dict(self) -> dict[str, Any]:
        """The event as plain JSON values (``show --json``, certificates)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "payload": self.payload.data(),
            "actor": self.actor,
            "workstation": self.workstation,
            "created_at": self.created_at,
        }
