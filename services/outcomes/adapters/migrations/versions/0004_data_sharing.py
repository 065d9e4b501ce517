"""Outcomes: whether the person consented to data sharing (false: counted in aggregates, never shown
individually).

Revision ID: outcomes_0004
Revises: outcomes_0003
"""
import sqlalchemy as sa
from alembic import op

revision = "outcomes_0004"
down_revision = "outcomes_0003"
branch_labels = None
depends_on = None
S = "outcomes"


def upgrade() -> None:
    op.add_column("referral_facts", sa.Column(
        "to_data_sharing", sa.Boolean,
        comment="false: counted in aggregate reports, never shown individually; null: not known"), schema=S)


def downgrade() -> None:
    op.drop_column("referral_facts", "to_data_sharing", schema=S)
