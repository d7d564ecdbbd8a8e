"""telephony depth: users' extensions, attempts' carrier facts and recordings, carrier callbacks

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 17:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("sip_extension", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("agent_phone", sa.String(length=20), nullable=True))
    with op.batch_alter_table("call_attempt") as batch:
        batch.add_column(sa.Column("answered_by", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("carrier_status", sa.String(length=32), nullable=True))
        batch.add_column(
            sa.Column("abandoned", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("recording_path", sa.String(length=300), nullable=True))
    op.create_table(
        "carrier_callback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=16), nullable=False),
        sa.Column("call_ref", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["call_attempt.id"],
            name=op.f("fk_carrier_callback_attempt_id_call_attempt"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carrier_callback")),
        sa.UniqueConstraint(
            "carrier", "call_ref", "status", name=op.f("uq_carrier_callback_carrier")
        ),
    )
    op.create_index(
        op.f("ix_carrier_callback_attempt_id"), "carrier_callback", ["attempt_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_carrier_callback_attempt_id"), table_name="carrier_callback")
    op.drop_table("carrier_callback")
    with op.batch_alter_table("call_attempt") as batch:
        batch.drop_column("recording_path")
        batch.drop_column("abandoned")
        batch.drop_column("carrier_status")
        batch.drop_column("answered_by")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("agent_phone")
        batch.drop_column("sip_extension")
