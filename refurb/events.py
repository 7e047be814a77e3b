"""Every event kind and what it carries, written down once and checked when an event is made.

An event's payload is a pydantic model registered under its kind (the machinery is
:mod:`refurb.event_codec`, re-exported here). :func:`make` validates a
payload (a dict or a model) before the store writes it; :func:`decode` turns stored payload text
back into the model, upcasting older versions first. The store writes the payload as canonical
JSON with its version in ``v`` (a payload without ``v`` is version 1); the hash covers that text.

The module is long because it is the one list of every kind and its fields (the codec is in
event_codec).

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

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from refurb.errors import InvalidInput, Refused
from refurb.event_codec import (  # noqa: F401  (re-exported: callers use refurb.events)
    _KINDS,
    _UPCASTERS,
    VERSION_KEY,
    Payload,
    Recorded,
    decode,
    encode,
    field_problem,
    from_data,
    kinds,
    make,
    payload_type,
    register,
    upcast,
    upcaster,
)
from refurb.i18n import _

# -- the kinds ------------------------------------------------------------------------------

Text = str | None
# An id or a value an event cannot do without: text, and not empty (one validator for every kind).
Required = Annotated[str, Field(min_length=1)]


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


METHOD_CHOICES = Literal[
    "requested",  # --method zero/prng/firmware was asked for
    "firmware",  # auto: the drive's own Purge is safe and supported
    "firmware_refused",  # auto: no firmware erase (frozen, USB bridge, unsupported...): overwrite
    "no_firmware_erase",  # a loop, device-mapper or virtual disk: overwrite
    "emmc_sanitize",  # an eMMC's Sanitize, then the overwrite
    "emmc_secure_erase",  # an eMMC's Secure Erase, then the overwrite
    "emmc_no_secure_feature",  # an eMMC with neither: the overwrite alone
    "emmc_unreadable",  # an eMMC whose registers could not be read: the overwrite alone
]


class MethodChoice(BaseModel):
    """Why an erasure used its method: what was asked, what was chosen, the planner's reason."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    requested: Text = None
    method: Text = None
    technique: Text = None
    nist_method: Text = None
    code: METHOD_CHOICES
    reason: Text = None


class _Erasure(Payload):
    """The fields every erasure event starts with: which wipe, which disk."""

    wipe_id: Required
    disk: Disk


@register
class WipeStarted(_Erasure):
    """An erasure begins (written before the first byte, so a crash leaves a trace).
    Version 2: ``choice``, why this method (none for version 1)."""

    KIND: ClassVar[str] = "wipe_started"
    VERSION: ClassVar[int] = 2
    method: Text = None
    nist_method: Text = None
    technique: Text = None
    passes: int | None = None
    verify: Text = None
    start: Text = None
    owner: dict[str, Any] | None = None
    choice: MethodChoice | None = None


WIPE_STATUSES = Literal["erased", "erased_with_exceptions", "failed", "interrupted"]


@register
class Wipe(_Erasure):
    """An erasure's result and its full record. ``erased`` needs a record that proves it.
    Version 2: ``choice``, why this method (read from an older record where it says)."""

    KIND: ClassVar[str] = "wipe"
    VERSION: ClassVar[int] = 2
    status: WIPE_STATUSES
    record: dict[str, Any]
    choice: MethodChoice | None = None

    def check(self) -> None:
        if self.status != "erased":
            return
        from refurb.wipe.verdict import erased_shortfalls

        missing = erased_shortfalls(self.record, self.disk.size_bytes)
        if missing:
            raise Refused(
                _("the erasure of {disk} cannot be recorded as erased: {why}").format(
                    disk=self.disk.serial or self.disk.path or self.disk.name,
                    why="; ".join(missing),
                ),
                _("record it as failed or erased_with_exceptions"),
            )


@upcaster("wipe_started", 1)
def _wipe_started_v1(data: dict[str, Any]) -> dict[str, Any]:
    return dict(data)  # version 1 did not say why: no choice


@upcaster("wipe", 1)
def _wipe_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A version-1 record says why only when auto fell back to an overwrite."""
    record = data.get("record") if isinstance(data.get("record"), dict) else {}
    sanitization = record.get("sanitization") if isinstance(record, dict) else None
    fallback = (
        sanitization.get("firmware_fallback_reason") if isinstance(sanitization, dict) else None
    )
    if not fallback:
        return dict(data)
    choice = {
        "requested": sanitization.get("requested_method"),
        "method": record.get("method"),
        "technique": record.get("technique"),
        "nist_method": record.get("nist_method"),
        "code": "firmware_refused",
        "reason": str(fallback),
    }
    return {**data, "choice": choice}


@register
class WipeValidation(Payload):
    """A second person re-read a fresh sample of an erased disk (``refurb wipe validate``)."""

    KIND: ClassVar[str] = "wipe_validation"
    wipe_id: Required
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
            raise InvalidInput(field_problem(self.KIND, "image", _("is missing")))


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
    template: Required
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
    partner_id: Required
    name: Required
    contact: Text = None
    lang: Text = None


class _Loan(Payload):
    """The field every loan-book event of a device starts with."""

    loan_id: Required


class _ToPartner(_Loan):
    """A device going to a partner: which one (its id, and its name as it was then)."""

    partner_id: Required
    partner: Text = None


@register
class LoanOut(_ToPartner):
    """A device lent to a partner until ``due``; the reference only as a salted digest."""

    KIND: ClassVar[str] = "loan_out"
    due: Required
    programme: Text = None
    accessories: Text = None
    ref_sha256: Text = None


@register
class Handout(_ToPartner):
    """A device given to a partner for good."""

    KIND: ClassVar[str] = "handout"


@register
class LoanReturn(_Loan):
    """A lent device back: it must be erased and checked again."""

    KIND: ClassVar[str] = "loan_return"
    condition: Literal["ok", "damaged", "incomplete"]
    note: Text = None


@register
class LoanExtend(_Loan):
    """A loan's due date moved."""

    KIND: ClassVar[str] = "loan_extend"
    due: Required
    previous_due: Text = None


@register
class LoanPurge(_Loan):
    """A returned loan's clear reference deleted (retention rule)."""

    KIND: ClassVar[str] = "loan_purge"
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
