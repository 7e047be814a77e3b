"""Device kinds, partners, loans and the purgeable loan references.

Revision ID: 0002_loans
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_loans"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("kind", sa.String(20), nullable=False, server_default="laptop"))
        batch.add_column(sa.Column("reset_at", sa.String(40)))
    op.create_index("ix_devices_kind", "devices", ["kind"])

    op.create_table(
        "partners",
        sa.Column("id", sa.String(20), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("contact", sa.String(200)),
        sa.Column("lang", sa.String(5), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "loans",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("asset_id", sa.String(20), nullable=False),
        sa.Column("partner_id", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("programme", sa.String(200)),
        sa.Column("ref_digest", sa.String(64)),
        sa.Column("out_at", sa.String(40), nullable=False),
        sa.Column("due", sa.String(10)),
        sa.Column("returned_at", sa.String(40)),
        sa.Column("condition", sa.String(20)),
        sa.Column("note", sa.Text),
        sa.Column("ref_purged_at", sa.String(40)),
    )
    op.create_index("ix_loans_partner_id", "loans", ["partner_id"])
    op.create_index("ix_loans_due", "loans", ["due"])
    op.create_index("ix_loans_asset_returned", "loans", ["asset_id", "returned_at"])
    op.create_table(
        "loan_refs",
        sa.Column("loan_id", sa.String(36), primary_key=True),
        sa.Column("ref", sa.String(120), nullable=False),
        sa.Column("salt", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for table in ("loan_refs", "loans", "partners"):
        op.drop_table(table)
    op.drop_index("ix_devices_kind", "devices")
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("reset_at")
        batch.drop_column("kind")
