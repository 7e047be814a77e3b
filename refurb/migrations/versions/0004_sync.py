"""Sync: per-workstation high-water marks, push receipts, and facts about the database.

Revision ID: 0004_sync
Revises: 0003_reports
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_sync"
down_revision = "0003_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_heads",
        sa.Column("workstation", sa.String(36), primary_key=True),
        sa.Column("last_ws_seq", sa.Integer, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "sync_receipts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("inventory", sa.String(300), nullable=False),
        sa.Column("workstation", sa.String(36), nullable=False),
        sa.Column("first_seq", sa.Integer, nullable=False),
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
    )
    op.create_table(
        "sync_info",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    for table in ("sync_info", "sync_receipts", "sync_heads"):
        op.drop_table(table)
