"""Every event kind and what it carries, written down once and checked when an event is made.

An event's payload is a pydantic model registered under its kind. :func:`make` validates a
payload (a dict or a model) before the store writes it; :func:`decode` turns stored payload text
back into the model, upcasting older versions first. The store writes the payload as canonical
JSON with its version in ``v`` (a payload without ``v`` is version 1); the hash covers that text.

Adding a kind is one class::

    @register
    class LoanStarted(Payload):
        '''A device lent to someone.'''

        KIND: ClassVar[str] = "loan_started"
        borrower: str
        until: str | None = None

Changing what a kind carries is a new version and an upcaster, never a silent new key::

    class Label(Payload):
        KIND: ClassVar[str] = "label"
        VERSION: ClassVar[int] = 2
        ...

    @upcaster("label", 1)
    def _label_v1(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "copies": 1}  # version 1 to version 2
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from refurb.errors import InvalidInput, Refused, StoreError
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


def _problem(kind: str, exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or kind
    return _("event {kind}, field {field}: {reason}").format(
        kind=kind, field=where, reason=_reason(first)
    )


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


# -- the kinds ------------------------------------------------------------------------------

Text = str | None


class _DeviceFields(Payload):
    serial: Text = None
    manufacturer: Text = None
    model: Text = None
    donor: Text = None
    batch: Text = None
    notes: Text = None
    location: Text = None
    kind: Text = None  # laptop, desktop, tablet, phone... (``refurb.readiness``)
    received: Text = None  # ISO date of receipt, from a donor's sheet


@register
class Intake(_DeviceFields):
    """A device registered: what was typed at intake (blank fields are None)."""

    KIND: ClassVar[str] = "intake"


@register
class Update(_DeviceFields):
    """Intake fields corrected: only the fields given are changed. ``source`` says who:
    ``import`` (a donor sheet changed) or ``edit`` (a person)."""

    KIND: ClassVar[str] = "update"
    source: Literal["import", "edit"] | None = None


@register
class Confirm(Payload):
    """The probe's maker, model or serial stand: those differences with the intake are settled."""

    KIND: ClassVar[str] = "confirm"
    fields: list[str] = []


STATUS_VALUES = Literal[
    "intake", "in_progress", "ready", "on_loan", "handed_out", "parts", "recycled", "quarantine"
]


@register
class Status(Payload):
    """A move in the lifecycle (checked by ``refurb.lifecycle`` before it is made)."""

    KIND: ClassVar[str] = "status"
    from_: STATUS_VALUES | None = Field(default=None, alias="from")
    to: STATUS_VALUES
    reason: Text = None


@register
class Probe(Payload):
    """A hardware probe: the whole ``refurb.probe/1`` document."""

    KIND: ClassVar[str] = "probe"
    probe: dict[str, Any]

    @field_validator("probe")
    @classmethod
    def _disks_are_objects(cls, value: dict[str, Any]) -> dict[str, Any]:
        disks = value.get("disks")
        if disks is not None and (
            not isinstance(disks, list) or not all(isinstance(d, dict) for d in disks)
        ):
            raise ValueError(_("disks must be a list of objects"))
        return value


class Disk(BaseModel):
    """Which disk an erasure concerns; other facts of the disk are kept as given."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    name: Text = None
    path: Text = None
    model: Text = None
    serial: Text = None
    size_bytes: int | None = None

    @model_validator(mode="after")
    def _named(self) -> Disk:
        if not (self.name or self.path or self.serial):
            raise ValueError(_("a disk needs a name, path or serial"))
        return self


@register
class WipeStarted(Payload):
    """An erasure begins (written before the first byte, so a crash leaves a trace)."""

    KIND: ClassVar[str] = "wipe_started"
    wipe_id: str = Field(min_length=1)
    disk: Disk
    method: Text = None
    nist_method: Text = None
    technique: Text = None
    passes: int | None = None
    verify: Text = None
    start: Text = None
    owner: dict[str, Any] | None = None


WIPE_STATUSES = Literal["erased", "erased_with_exceptions", "failed", "interrupted"]


@register
class Wipe(Payload):
    """An erasure's result and its full record. ``erased`` needs a record that proves it."""

    KIND: ClassVar[str] = "wipe"
    wipe_id: str = Field(min_length=1)
    disk: Disk
    status: WIPE_STATUSES
    record: dict[str, Any]

    def check(self) -> None:
        if self.status != "erased":
            return
        from refurb.wipe.record import erased_shortfalls

        missing = erased_shortfalls(self.record, self.disk.size_bytes)
        if missing:
            raise Refused(
                _("the erasure of {disk} cannot be recorded as erased: {why}").format(
                    disk=self.disk.serial or self.disk.path or self.disk.name,
                    why="; ".join(missing),
                ),
                _("record it as failed or erased_with_exceptions"),
            )


@register
class WipeValidation(Payload):
    """A second person re-read a fresh sample of an erased disk (``refurb wipe validate``)."""

    KIND: ClassVar[str] = "wipe_validation"
    wipe_id: str = Field(min_length=1)
    disk: dict[str, Any]
    operator: Text = None
    erased_by: Text = None
    at: Text = None
    device: Text = None
    outcome: Literal["passed", "failed", "not_attached"]
    compared_with: Text = None
    bytes_read: int | None = None
    fraction: float | None = None
    sample_seed: Any = None
    mismatched_bytes: int | None = None
    read_errors: int | None = None
    statement: Text = None


@register
class OsInstall(Payload):
    """An operating system installed (``refurb os record``)."""

    KIND: ClassVar[str] = "os_install"
    image: Text = None
    factory_reset: bool = False
    version: Text = None
    edition: Text = None
    licence: Text = None
    sha256: Text = None
    iso: Text = None
    sums_checked: bool = False
    notes: Text = None
    from_running: bool = False
    os_release: dict[str, Any] | None = None

    def check(self) -> None:
        if not self.factory_reset and not (self.image or "").strip():
            raise InvalidInput(
                _("event {kind}, field {field}: {reason}").format(
                    kind=self.KIND, field="image", reason=_("is missing")
                )
            )


@register
class Grade(Payload):
    """A grade A-D with the grader's reasons and the facts it judged."""

    KIND: ClassVar[str] = "grade"
    grade: Literal["A", "B", "C", "D"]
    profile: Text = None
    profiles: list[str] = []
    reasons: list[str] = []
    answers: dict[str, Any] = {}
    windows11: dict[str, Any] | None = None
    linux: dict[str, Any] | None = None
    areas: dict[str, Any] = {}
    suitability: dict[str, Any] = {}
    findings: list[dict[str, Any]] = []
    other_os: dict[str, Any] | None = None


@register
class Label(Payload):
    """A label made: which template, into which file or onto which printer."""

    KIND: ClassVar[str] = "label"
    template: str = Field(min_length=1)
    output: Text = None
    printer: Text = None


@register
class Note(Payload):
    """A line in the timeline; an issued certificate says its id, result and SHA-256."""

    KIND: ClassVar[str] = "note"
    text: str
    certificate_id: Text = None
    result: Text = None
    sha256: Text = None


# -- the loan book (``refurb.loans``; the subject of a partner event is the partner id) ------


@register
class Partner(Payload):
    """A partner that borrows or receives devices."""

    KIND: ClassVar[str] = "partner"
    partner_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    contact: Text = None
    lang: Text = None


@register
class LoanOut(Payload):
    """A device lent to a partner until ``due``; the reference only as a salted digest."""

    KIND: ClassVar[str] = "loan_out"
    loan_id: str = Field(min_length=1)
    partner_id: str = Field(min_length=1)
    partner: Text = None
    due: str = Field(min_length=1)
    programme: Text = None
    accessories: Text = None
    ref_sha256: Text = None


@register
class Handout(Payload):
    """A device given to a partner for good."""

    KIND: ClassVar[str] = "handout"
    loan_id: str = Field(min_length=1)
    partner_id: str = Field(min_length=1)
    partner: Text = None


@register
class LoanReturn(Payload):
    """A lent device back: it must be erased and checked again."""

    KIND: ClassVar[str] = "loan_return"
    loan_id: str = Field(min_length=1)
    condition: Literal["ok", "damaged", "incomplete"]
    note: Text = None


@register
class LoanExtend(Payload):
    """A loan's due date moved."""

    KIND: ClassVar[str] = "loan_extend"
    loan_id: str = Field(min_length=1)
    due: str = Field(min_length=1)
    previous_due: Text = None


@register
class LoanPurge(Payload):
    """A returned loan's clear reference deleted (retention rule)."""

    KIND: ClassVar[str] = "loan_purge"
    loan_id: str = Field(min_length=1)
    before: Text = None


# -- the workbench (``refurb workbench``) ---------------------------------------------------

WORKBENCH_STEPS = Literal["probe", "wipe", "os", "grade", "label"]


@register
class StepSkipped(Payload):
    """A workbench step left out on purpose, and why (the reason a volunteer gave or the
    printer's error); the step is done again by its own command or the next workbench run."""

    KIND: ClassVar[str] = "step_skipped"
    step: WORKBENCH_STEPS
    reason: str = Field(min_length=1)
