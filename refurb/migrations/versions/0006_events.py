"""Machine facts (firmware UUID, network MACs) indexed, so a probed laptop finds its asset.

Revision ID: 0006_events
Revises: 0005_intake
Create Date: 2026-12-01

``refurb admin rebuild`` fills the index from the probes already in the log.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_events"
down_revision = "0005_intake"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_facts",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("value", sa.String(120), primary_key=True),
        sa.Column("asset_id", sa.String(20), nullable=False),
    )
    op.create_index("ix_device_facts_asset_id", "device_facts", ["asset_id"])
    _index_recorded_uuids()


def _index_recorded_uuids() -> None:
    """Probes already in the log: their system UUIDs (cleaned when probed). Their MACs are not
    indexed, as those probes do not say which interfaces are USB adapters."""
    import json

    bind = op.get_bind()
    facts = sa.table("device_facts", sa.column("kind"), sa.column("value"), sa.column("asset_id"))
    found: dict[str, str] = {}
    rows = bind.execute(
        sa.text("SELECT asset_id, payload FROM events WHERE kind = 'probe' ORDER BY seq")
    )
    for asset_id, payload in rows:
        try:
            system = (json.loads(payload).get("probe") or {}).get("system") or {}
        except (ValueError, AttributeError):
            continue
        uuid = system.get("uuid")
        if isinstance(uuid, str) and uuid.strip():
            found[uuid.strip().lower()] = asset_id
    if found:
        op.bulk_insert(
            facts, [{"kind": "system_uuid", "value": v, "asset_id": a} for v, a in found.items()]
        )


def downgrade() -> None:
    op.drop_table("device_facts")
