"""planning engine: indexes for the planner's set-based fact queries, closed daily figures

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 17:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_vehicle_insurance_expiry", "vehicle", ["store_id", "insurance_expiry"])
    op.create_index("ix_delivery_delivered_on", "delivery", ["store_id", "delivered_on"])
    op.create_index("ix_repair_order_visits", "repair_order", ["store_id", "ro_type", "opened_at"])
    op.create_table(
        "daily_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("closed_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_daily_figures_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_daily_figures")),
        sa.UniqueConstraint("store_id", "day", name=op.f("uq_daily_figures_store_id")),
    )


def downgrade() -> None:
    op.drop_table("daily_figures")
    op.drop_index("ix_repair_order_visits", table_name="repair_order")
    op.drop_index("ix_delivery_delivered_on", table_name="delivery")
    op.drop_index("ix_vehicle_insurance_expiry", table_name="vehicle")
