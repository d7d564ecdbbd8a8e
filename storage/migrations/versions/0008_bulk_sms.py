"""bulk SMS: templates, campaigns and their uploaded lists, the outbox, replies, RSVPs,
delivery reports

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("occasion", sa.String(length=24), nullable=True),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("body_zh", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_sms_template_store_id_store")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["app_user.id"], name=op.f("fk_sms_template_updated_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_template")),
        sa.UniqueConstraint("store_id", "name", name=op.f("uq_sms_template_store_id")),
    )
    with op.batch_alter_table("sms_template", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_template_store_id"), ["store_id"], unique=False)

    op.create_table(
        "sms_campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("occasion", sa.String(length=24), nullable=True),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("template_version", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=True),
        sa.Column("upload_name", sa.String(length=200), nullable=True),
        sa.Column("rsvp", sa.Boolean(), nullable=False),
        sa.Column("event_at", storage.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("send_at", storage.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("source_key", sa.String(length=100), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", storage.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", storage.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", storage.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["app_user.id"],
            name=op.f("fk_sms_campaign_approved_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["app_user.id"], name=op.f("fk_sms_campaign_created_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["sms_campaign.id"], name=op.f("fk_sms_campaign_parent_id_sms_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"], ["segment.id"], name=op.f("fk_sms_campaign_segment_id_segment")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_sms_campaign_store_id_store")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["sms_template.id"],
            name=op.f("fk_sms_campaign_template_id_sms_template"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_campaign")),
        sa.UniqueConstraint("source_key", name=op.f("uq_sms_campaign_source_key")),
    )
    with op.batch_alter_table("sms_campaign", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_campaign_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index("ix_sms_campaign_state", ["state", "send_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sms_campaign_store_id"), ["store_id"], unique=False)

    op.create_table(
        "sms_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", storage.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("provider", sa.String(length=16), nullable=True),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("provider_status", sa.String(length=24), nullable=True),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("lookups", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sending_at", storage.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", storage.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_at", storage.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["sms_campaign.id"],
            name=op.f("fk_sms_outbox_campaign_id_sms_campaign"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_sms_outbox_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["app_user.id"], name=op.f("fk_sms_outbox_resolved_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_sms_outbox_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_sms_outbox_idempotency_key")),
        sa.UniqueConstraint("provider_id", name=op.f("uq_sms_outbox_provider_id")),
    )
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_sms_outbox_campaign", ["campaign_id", "state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sms_outbox_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index("ix_sms_outbox_due", ["state", "next_at"], unique=False)
        batch_op.create_index("ix_sms_outbox_phone", ["phone", "sent_at"], unique=False)

    op.create_table(
        "sms_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("from_phone", sa.String(length=20), nullable=False),
        sa.Column("to_phone", sa.String(length=32), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(length=16), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("customer_ids", sa.JSON(), nullable=False),
        sa.Column("received_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["sms_campaign.id"], name=op.f("fk_sms_reply_campaign_id_sms_campaign")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_reply")),
        sa.UniqueConstraint("provider_id", name=op.f("uq_sms_reply_provider_id")),
    )
    with op.batch_alter_table("sms_reply", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_reply_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sms_reply_from_phone"), ["from_phone"], unique=False)

    op.create_table(
        "sms_upload_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("raw", sa.String(length=300), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["sms_campaign.id"],
            name=op.f("fk_sms_upload_line_campaign_id_sms_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_sms_upload_line_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_upload_line")),
        sa.UniqueConstraint("campaign_id", "line", name=op.f("uq_sms_upload_line_campaign_id")),
    )
    op.create_table(
        "sms_rsvp",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("coming", sa.Boolean(), nullable=False),
        sa.Column("reply_id", sa.Integer(), nullable=True),
        sa.Column("at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["sms_campaign.id"], name=op.f("fk_sms_rsvp_campaign_id_sms_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_sms_rsvp_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["reply_id"], ["sms_reply.id"], name=op.f("fk_sms_rsvp_reply_id_sms_reply")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_rsvp")),
        sa.UniqueConstraint("campaign_id", "customer_id", name=op.f("uq_sms_rsvp_campaign_id")),
    )
    op.create_table(
        "sms_status_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["sms_outbox.id"], name=op.f("fk_sms_status_report_outbox_id_sms_outbox")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_status_report")),
        sa.UniqueConstraint(
            "provider", "provider_id", "status", name=op.f("uq_sms_status_report_provider")
        ),
    )
    with op.batch_alter_table("sms_status_report", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sms_status_report_outbox_id"), ["outbox_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sms_status_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_status_report_outbox_id"))

    op.drop_table("sms_status_report")
    op.drop_table("sms_rsvp")
    op.drop_table("sms_upload_line")
    with op.batch_alter_table("sms_reply", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_reply_from_phone"))
        batch_op.drop_index(batch_op.f("ix_sms_reply_campaign_id"))

    op.drop_table("sms_reply")
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_sms_outbox_phone")
        batch_op.drop_index("ix_sms_outbox_due")
        batch_op.drop_index(batch_op.f("ix_sms_outbox_customer_id"))
        batch_op.drop_index("ix_sms_outbox_campaign")

    op.drop_table("sms_outbox")
    with op.batch_alter_table("sms_campaign", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_campaign_store_id"))
        batch_op.drop_index("ix_sms_campaign_state")
        batch_op.drop_index(batch_op.f("ix_sms_campaign_parent_id"))

    op.drop_table("sms_campaign")
    with op.batch_alter_table("sms_template", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_template_store_id"))

    op.drop_table("sms_template")
