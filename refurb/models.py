"""The tables: an append-only event log, the devices projected from it, and the workstations.

Kept apart from the engine and sessions (``refurb.store``), as SQLModel's docs do.
JSON columns are stored as text: the event payload text is exactly what the hash covers.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

STATUSES = (
    "intake",
    "in_progress",
    "ready",
    "on_loan",
    "handed_out",
    "parts",
    "recycled",
    "quarantine",
)


class Event(SQLModel, table=True):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_asset_seq", "asset_id", "seq"),
        UniqueConstraint("workstation", "ws_seq", name="uq_events_workstation_seq"),
    )

    seq: int | None = Field(default=None, primary_key=True)
    id: str = Field(max_length=36, unique=True, index=True)
    asset_id: str = Field(max_length=20)
    kind: str = Field(max_length=32)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    actor: str = Field(max_length=120)
    workstation: str = Field(max_length=36)
    ws_seq: int
    created_at: str = Field(max_length=40)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class Device(SQLModel, table=True):
    __tablename__ = "devices"

    asset_id: str = Field(primary_key=True, max_length=20)
    status: str = Field(default="intake", index=True, max_length=20)
    kind: str = Field(default="laptop", index=True, max_length=20)
    serial: str | None = Field(default=None, index=True, max_length=120)
    manufacturer: str | None = Field(default=None, max_length=120)
    model: str | None = Field(default=None, index=True, max_length=200)
    donor: str | None = Field(default=None, index=True, max_length=200)
    batch: str | None = Field(default=None, index=True, max_length=120)
    notes: str | None = Field(default=None, sa_column=Column(Text))
    location: str | None = Field(default=None, index=True, max_length=200)
    cpu: str | None = Field(default=None, max_length=200)
    ram_bytes: int | None = Field(default=None, sa_column=Column(BigInteger))
    storage: str | None = Field(default=None, max_length=200)
    battery_health_pct: float | None = None
    screen: str | None = Field(default=None, max_length=100)
    grade: str | None = Field(default=None, index=True, max_length=2)
    os: str | None = Field(default=None, max_length=200)
    erasure: str | None = Field(default=None, max_length=40)
    erased_at: str | None = Field(default=None, max_length=40)
    erasure_method: str | None = Field(default=None, max_length=80)
    probed_at: str | None = Field(default=None, max_length=40)
    labelled_at: str | None = Field(default=None, max_length=40)
    reset_at: str | None = Field(default=None, max_length=40)
    specs: str | None = Field(default=None, sa_column=Column(Text))
    disks: str | None = Field(default=None, sa_column=Column(Text))
    # JSON: {"declared": what the donor's sheet said, "mismatch": {field: {intake, probe}}}
    intake: str | None = Field(default=None, sa_column=Column(Text))
    created_at: str = Field(max_length=40)
    updated_at: str = Field(max_length=40)
    event_count: int = 0


class DeviceDisk(SQLModel, table=True):
    """Which device a disk serial was last seen in, so a re-probed laptop finds its asset."""

    __tablename__ = "device_disks"

    serial: str = Field(primary_key=True, max_length=120)
    asset_id: str = Field(index=True, max_length=20)


class Workstation(SQLModel, table=True):
    """One row per workstation writing to this store: its id allocator and its chain head."""

    __tablename__ = "workstations"

    id: str = Field(primary_key=True, max_length=36)
    station_code: int
    counter: int = 0
    last_ws_seq: int = 0
    last_hash: str = Field(default="", max_length=64)
    created_at: str = Field(max_length=40)


class StationCode(SQLModel, table=True):
    """Every station code ever drawn in this store, so none is used twice."""

    __tablename__ = "station_codes"

    code: int = Field(primary_key=True)
    workstation: str = Field(max_length=36)


class Partner(SQLModel, table=True):
    """A partner organisation that lends or hands out devices: projected from partner events."""

    __tablename__ = "partners"

    id: str = Field(primary_key=True, max_length=20)
    name: str = Field(max_length=200)
    contact: str | None = Field(default=None, max_length=200)
    lang: str = Field(default="nl", max_length=5)
    created_at: str = Field(max_length=40)


class Loan(SQLModel, table=True):
    """One loan or hand-out of a device to a partner: projected from the loan events."""

    __tablename__ = "loans"
    __table_args__ = (Index("ix_loans_asset_returned", "asset_id", "returned_at"),)

    id: str = Field(primary_key=True, max_length=36)
    asset_id: str = Field(max_length=20)
    partner_id: str = Field(index=True, max_length=20)
    kind: str = Field(max_length=10)  # "loan" or "handout"
    programme: str | None = Field(default=None, max_length=200)
    ref_digest: str | None = Field(default=None, max_length=64)
    out_at: str = Field(max_length=40)
    due: str | None = Field(default=None, index=True, max_length=10)
    returned_at: str | None = Field(default=None, max_length=40)
    condition: str | None = Field(default=None, max_length=20)
    note: str | None = Field(default=None, sa_column=Column(Text))
    ref_purged_at: str | None = Field(default=None, max_length=40)


class LoanRef(SQLModel, table=True):
    """The partner's reference for the person, outside the hashed log so it can be purged.

    The loan event holds only ``sha256(salt + ref)``; dropping this row (``loan purge``) leaves
    the event, its hash chain and the loan counts intact and the reference unrecoverable.
    """

    __tablename__ = "loan_refs"

    loan_id: str = Field(primary_key=True, max_length=36)
    ref: str = Field(max_length=120)
    salt: str = Field(max_length=64)


class SyncHead(SQLModel, table=True):
    """The last event of each workstation chain this database received by `refurb sync`.

    On the shared inventory this is the high-water mark per workstation, advanced in the same
    transaction as the events; on a bench it marks how far each other bench's chain was pulled.
    """

    __tablename__ = "sync_heads"

    workstation: str = Field(primary_key=True, max_length=36)
    last_ws_seq: int = 0
    last_hash: str = Field(default="", max_length=64)
    updated_at: str = Field(max_length=40)


class SyncReceipt(SQLModel, table=True):
    """What an inventory answered to a push: which range of which chain it now holds."""

    __tablename__ = "sync_receipts"

    id: int | None = Field(default=None, primary_key=True)
    inventory: str = Field(max_length=300)  # the URL without its password
    workstation: str = Field(max_length=36)
    first_seq: int
    last_seq: int
    count: int
    last_hash: str = Field(max_length=64)
    at: str = Field(max_length=40)


class SyncInfo(SQLModel, table=True):
    """Facts about this database as a sync partner: the refurb version that last migrated it."""

    __tablename__ = "sync_info"

    key: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=200)
