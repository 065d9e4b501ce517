"""Intake: a refused submission's follow-up (the partner told what to mend, or nothing to do), and an index for
listing the refused ones newest first.

Revision ID: intake_0012
Revises: intake_0011
"""
import sqlalchemy as sa
from alembic import op

revision = "intake_0012"
down_revision = "intake_0011"
branch_labels = None
depends_on = None
S = "intake"


def upgrade() -> None:
    op.add_column("submissions", sa.Column("followed_up", sa.Text,
                                           comment="a refused one's follow-up: partner_told | no_action_needed"),
                  schema=S)
    op.add_column("submissions", sa.Column("followed_up_by", sa.Text, comment="the staff subject who followed it up"),
                  schema=S)
    op.add_column("submissions", sa.Column("followed_up_at", sa.DateTime(timezone=True)), schema=S)
    op.create_index("ix_submissions_rejected", "submissions", ["received_at"], schema=S,
                    postgresql_where=sa.text("outcome = 'rejected'"))


def downgrade() -> None:
    op.drop_index("ix_submissions_rejected", "submissions", schema=S)
    for column in ("followed_up_at", "followed_up_by", "followed_up"):
        op.drop_column("submissions", column, schema=S)
