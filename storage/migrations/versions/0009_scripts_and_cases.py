"""call scripts with versions, survey answers, complaint cases and console notices

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 10:00:00.000000

Schema only: the default scripts are our wording in code (``console.script_wording``), stored
as version 1 of a store's script the first time that store needs it, so stores created after
this migration get them too.
"""

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UTC_DATETIME = storage.models.base.UTCDateTime(timezone=True)


def _fk(table: str, column: str, target: str, **kw) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), **kw
    )


def upgrade() -> None:
    op.create_table(
        "call_script",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("task_type", sa.String(length=32), nullable=False),
        sa.Column("customer_kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        _fk("call_script", "store_id", "store"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_script")),
        sa.UniqueConstraint(
            "store_id", "task_type", "customer_kind", name=op.f("uq_call_script_store_id")
        ),
    )
    op.create_table(
        "script_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("script_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        _fk("script_version", "created_by_id", "app_user"),
        _fk("script_version", "script_id", "call_script"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_script_version")),
        sa.UniqueConstraint("script_id", "number", name=op.f("uq_script_version_script_id")),
    )
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("read_at", UTC_DATETIME, nullable=True),
        _fk("notice", "user_id", "app_user", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice")),
    )
    op.create_index("ix_notice_user_read", "notice", ["user_id", "read_at"], unique=False)
    op.create_index(op.f("ix_notice_ref"), "notice", ["ref"])
    op.create_table(
        "complaint_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("repair_order_id", sa.Integer(), nullable=True),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("verbatim", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("owner_role", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", UTC_DATETIME, nullable=False),
        sa.Column("promised_at", UTC_DATETIME, nullable=True),
        sa.Column("closed_at", UTC_DATETIME, nullable=True),
        _fk("complaint_case", "attempt_id", "call_attempt"),
        _fk("complaint_case", "customer_id", "customer"),
        _fk("complaint_case", "opened_by_id", "app_user"),
        _fk("complaint_case", "owner_id", "app_user"),
        _fk("complaint_case", "repair_order_id", "repair_order"),
        _fk("complaint_case", "store_id", "store"),
        _fk("complaint_case", "vehicle_id", "vehicle"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_case")),
    )
    for column in ("attempt_id", "customer_id", "repair_order_id"):
        op.create_index(op.f(f"ix_complaint_case_{column}"), "complaint_case", [column])
    op.create_index("ix_complaint_case_store_status", "complaint_case", ["store_id", "status"])
    op.create_table(
        "case_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        _fk("case_event", "actor_id", "app_user"),
        _fk("case_event", "case_id", "complaint_case", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_event")),
    )
    op.create_index(op.f("ix_case_event_case_id"), "case_event", ["case_id"])
    with op.batch_alter_table("call_attempt") as batch:
        batch.add_column(sa.Column("script_version_ids", sa.JSON(), nullable=True))
    with op.batch_alter_table("outcome") as batch:
        batch.add_column(sa.Column("answers", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("complaint_category", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("suggestion", sa.Text(), nullable=True))
        batch.add_column(sa.Column("appointment_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("churn_direction", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("churn_reason", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outcome") as batch:
        for column in ("churn_reason", "churn_direction", "appointment_on", "suggestion",
                       "complaint_category", "answers"):  # fmt: skip
            batch.drop_column(column)
    with op.batch_alter_table("call_attempt") as batch:
        batch.drop_column("script_version_ids")
    op.drop_index(op.f("ix_case_event_case_id"), table_name="case_event")
    op.drop_table("case_event")
    op.drop_index("ix_complaint_case_store_status", table_name="complaint_case")
    for column in ("attempt_id", "customer_id", "repair_order_id"):
        op.drop_index(op.f(f"ix_complaint_case_{column}"), table_name="complaint_case")
    op.drop_table("complaint_case")
    op.drop_index(op.f("ix_notice_ref"), table_name="notice")
    op.drop_index("ix_notice_user_read", table_name="notice")
    op.drop_table("notice")
    op.drop_table("script_version")
    op.drop_table("call_script")
