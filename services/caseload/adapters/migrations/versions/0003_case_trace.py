"""Caseload: the trace context each case was opened in, so later work links back to its referral's trace.

Revision ID: caseload_0003
Revises: caseload_0002
"""
import sqlalchemy as sa
from alembic import op

revision = "caseload_0003"
down_revision = "caseload_0002"
branch_labels = None
depends_on = None
S = "caseload"


def upgrade() -> None:
    op.add_column("cases", sa.Column("traceparent", sa.Text), schema=S)


def downgrade() -> None:
    op.drop_column("cases", "traceparent", schema=S)
