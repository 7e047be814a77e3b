"""The event log, devices, their disks and the workstations.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("asset_id", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("workstation", sa.String(36), nullable=False),
        sa.Column("ws_seq", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("workstation", "ws_seq", name="uq_events_workstation_seq"),
    )
    op.create_index("ix_events_id", "events", ["id"], unique=True)
    op.create_index("ix_events_asset_seq", "events", ["asset_id", "seq"])

    op.create_table(
        "devices",
        sa.Column("asset_id", sa.String(20), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("serial", sa.String(120)),
        sa.Column("manufacturer", sa.String(120)),
        sa.Column("model", sa.String(200)),
        sa.Column("donor", sa.String(200)),
        sa.Column("batch", sa.String(120)),
        sa.Column("notes", sa.Text),
        sa.Column("location", sa.String(200)),
        sa.Column("cpu", sa.String(200)),
        sa.Column("ram_bytes", sa.BigInteger),
        sa.Column("storage", sa.String(200)),
        sa.Column("battery_health_pct", sa.Float),
        sa.Column("screen", sa.String(100)),
        sa.Column("grade", sa.String(2)),
        sa.Column("os", sa.String(200)),
        sa.Column("erasure", sa.String(40)),
        sa.Column("erased_at", sa.String(40)),
        sa.Column("erasure_method", sa.String(80)),
        sa.Column("probed_at", sa.String(40)),
        sa.Column("labelled_at", sa.String(40)),
        sa.Column("specs", sa.Text),
        sa.Column("disks", sa.Text),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.Column("event_count", sa.Integer, nullable=False),
    )
    op.create_index("ix_devices_status", "devices", ["status"])
    op.create_index("ix_devices_serial", "devices", ["serial"])
    op.create_index("ix_devices_batch", "devices", ["batch"])
    op.create_index("ix_devices_grade", "devices", ["grade"])

    op.create_table(
        "device_disks",
        sa.Column("serial", sa.String(120), primary_key=True),
        sa.Column("asset_id", sa.String(20), nullable=False),
    )
    op.create_index("ix_device_disks_asset_id", "device_disks", ["asset_id"])

    op.create_table(
        "workstations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("station_code", sa.Integer, nullable=False),
        sa.Column("counter", sa.Integer, nullable=False),
        sa.Column("last_ws_seq", sa.Integer, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "station_codes",
        sa.Column("code", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("workstation", sa.String(36), nullable=False),
    )


def downgrade() -> None:
    for table in ("station_codes", "workstations", "device_disks", "devices", "events"):
        op.drop_table(table)
