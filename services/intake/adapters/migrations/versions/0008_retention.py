"""Intake: each programme's retention period, after which a person whose last case closed is erased.

Eight years by default: the records management code's retention for adult social care records.

Revision ID: intake_0008
Revises: intake_0007
"""
import sqlalchemy as sa
from alembic import op

revision = "intake_0008"
down_revision = "intake_0007"
branch_labels = None
depends_on = None
S = "intake"


def upgrade() -> None:
    op.add_column("programmes", sa.Column("retention_days", sa.Integer, nullable=False, server_default=sa.text("2922"),
                                          comment="people are erased this long after their last case closed"),
                  schema=S)


def downgrade() -> None:
    op.drop_column("programmes", "retention_days", schema=S)
