"""customer archive

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:06:21.946100
"""

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "field_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("as_of", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_source")),
        sa.UniqueConstraint("entity", "entity_id", "field", name=op.f("uq_field_source_entity")),
    )
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=True),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_audit_entry_store_id_store")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_audit_entry_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entry_user_id"), ["user_id"], unique=False)

    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=260), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("as_of", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", storage.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_import_batch_store_id_store")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_import_batch_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batch")),
    )
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_batch_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_import_batch_store_id"), ["store_id"], unique=False)

    op.create_table(
        "store_setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_store_setting_store_id_store")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["app_user.id"], name=op.f("fk_store_setting_updated_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_setting")),
        sa.UniqueConstraint("store_id", "key", name=op.f("uq_store_setting_store_id")),
    )
    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_consent_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
        sa.UniqueConstraint(
            "customer_id", "channel", "purpose", name=op.f("uq_consent_customer_id")
        ),
    )
    op.create_table(
        "ownership_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("from_customer_id", sa.Integer(), nullable=True),
        sa.Column("to_customer_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_customer_id"],
            ["customer.id"],
            name=op.f("fk_ownership_change_from_customer_id_customer"),
        ),
        sa.ForeignKeyConstraint(
            ["to_customer_id"],
            ["customer.id"],
            name=op.f("fk_ownership_change_to_customer_id_customer"),
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicle.id"], name=op.f("fk_ownership_change_vehicle_id_vehicle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ownership_change")),
    )
    with op.batch_alter_table("ownership_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ownership_change_vehicle_id"), ["vehicle_id"], unique=False
        )

    # New NOT NULL columns are added nullable, filled from what rows already hold, then tightened.
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("call_windows", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("blocked_days", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("updated_at", storage.models.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE customer SET updated_at = created_at")
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.alter_column(
            "updated_at",
            existing_type=storage.models.base.UTCDateTime(timezone=True),
            nullable=False,
        )

    with op.batch_alter_table("repair_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("vin", sa.String(length=17), nullable=True))
    op.execute(
        "UPDATE repair_order SET vin = (SELECT vin FROM vehicle WHERE vehicle.id = "
        "repair_order.vehicle_id)"
    )
    with op.batch_alter_table("repair_order", schema=None) as batch_op:
        batch_op.alter_column("vin", existing_type=sa.String(length=17), nullable=False)
        batch_op.alter_column("vehicle_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.alter_column("customer_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(batch_op.f("ix_repair_order_vin"), ["vin"], unique=False)

    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("delivered_at", storage.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("selling_dealer", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("insurance_expiry", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("mileage_km", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("mileage_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.drop_column("mileage_on")
        batch_op.drop_column("mileage_km")
        batch_op.drop_column("insurance_expiry")
        batch_op.drop_column("selling_dealer")
        batch_op.drop_column("delivered_at")

    with op.batch_alter_table("repair_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repair_order_vin"))
        batch_op.alter_column("customer_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.alter_column("vehicle_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("vin")

    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("blocked_days")
        batch_op.drop_column("call_windows")

    with op.batch_alter_table("ownership_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ownership_change_vehicle_id"))

    op.drop_table("ownership_change")
    op.drop_table("consent")
    op.drop_table("store_setting")
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_batch_store_id"))
        batch_op.drop_index(batch_op.f("ix_import_batch_sha256"))

    op.drop_table("import_batch")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_user_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_at"))

    op.drop_table("audit_entry")
    op.drop_table("field_source")
