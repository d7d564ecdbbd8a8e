"""SMS template versions: each number's text, who saved it and when

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 09:00:00.000000

Existing templates get a row for their current version (their text, ``updated_by_id`` and
``updated_at``). Older numbers were overwritten before this table existed and cannot be
recovered here; a campaign approved with one still holds that text in ``sms_campaign.body``,
which the history screen shows.
"""

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UTC_DATETIME = storage.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sms_template_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("occasion", sa.String(length=24), nullable=True),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("body_zh", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_sms_template_version_created_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["sms_template.id"],
            name=op.f("fk_sms_template_version_template_id_sms_template"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_template_version")),
        sa.UniqueConstraint(
            "template_id", "number", name=op.f("uq_sms_template_version_template_id")
        ),
    )
    op.execute(
        "INSERT INTO sms_template_version (template_id, number, kind, occasion, purpose, "
        "body_zh, body_en, created_by_id, created_at) "
        "SELECT id, version, kind, occasion, purpose, body_zh, body_en, updated_by_id, updated_at "
        "FROM sms_template"
    )


def downgrade() -> None:
    op.drop_table("sms_template_version")
