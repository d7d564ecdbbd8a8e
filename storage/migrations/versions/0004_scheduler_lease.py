"""scheduler lease: one active scheduler at a time

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduler_lease",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.Text(), nullable=False),
        sa.Column("acquired_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("renewed_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_lease")),
    )


def downgrade() -> None:
    op.drop_table("scheduler_lease")
