"""archive search: customer names by store; plate, phone and VIN keys computed by the database;
saved customer segments

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 14:17:59.625876
"""

from typing import Literal

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# As in storage/models/archive.py when this revision was written.
PLATE_KEY_SQL = (
    "upper(replace(replace(replace(replace(plate, ' ', ''), '.', ''), '·', ''), '-', ''))"
)
PLATE_TAIL_SQL = f"substr({PLATE_KEY_SQL}, 2)"
PHONE_TAIL_SQL = "substr(e164, length(e164) - 3)"
VIN_TAIL_SQL = "substr(vin, length(vin) - 5)"


def _computed(name: str, length: int, sql: str) -> sa.Column:
    return sa.Column(name, sa.String(length=length), sa.Computed(sql, persisted=True))


def _recreate() -> Literal["auto", "always", "never"]:
    # SQLite cannot add a STORED generated column with ALTER TABLE: rebuild the table there.
    return "always" if op.get_bind().dialect.name == "sqlite" else "auto"


def upgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.create_index("ix_customer_store_name", ["store_id", "name"], unique=False)

    with op.batch_alter_table("phone", schema=None, recreate=_recreate()) as batch_op:
        batch_op.add_column(_computed("tail", 4, PHONE_TAIL_SQL))
        batch_op.create_index("ix_phone_tail", ["tail"], unique=False)

    with op.batch_alter_table("vehicle", schema=None, recreate=_recreate()) as batch_op:
        batch_op.add_column(_computed("vin_tail", 6, VIN_TAIL_SQL))
        batch_op.add_column(_computed("plate_key", 16, PLATE_KEY_SQL))
        batch_op.add_column(_computed("plate_tail", 16, PLATE_TAIL_SQL))
        batch_op.create_index("ix_vehicle_plate_key", ["plate_key"], unique=False)
        batch_op.create_index("ix_vehicle_plate_tail", ["plate_tail"], unique=False)
        batch_op.create_index("ix_vehicle_vin_tail", ["vin_tail"], unique=False)

    op.create_table(
        "segment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["app_user.id"], name=op.f("fk_segment_created_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_segment_store_id_store")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment")),
        sa.UniqueConstraint("store_id", "name", name=op.f("uq_segment_store_id")),
    )


def downgrade() -> None:
    op.drop_table("segment")

    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.drop_index("ix_vehicle_vin_tail")
        batch_op.drop_index("ix_vehicle_plate_tail")
        batch_op.drop_index("ix_vehicle_plate_key")
        batch_op.drop_column("plate_tail")
        batch_op.drop_column("plate_key")
        batch_op.drop_column("vin_tail")

    with op.batch_alter_table("phone", schema=None) as batch_op:
        batch_op.drop_index("ix_phone_tail")
        batch_op.drop_column("tail")

    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_store_name")
