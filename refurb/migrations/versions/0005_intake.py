"""What the donor's sheet said about a device, and where the probe disagreed.

Revision ID: 0005_intake
Revises: 0004_sync
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_intake"
down_revision = "0004_sync"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("intake", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("intake")
