"""call scripts with versions, survey answers, complaint cases and console notices

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 10:00:00.000000
"""

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
