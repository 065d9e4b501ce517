"""Outcomes: measure scores, case outcomes, outbox, inbox.

Revision ID: outcomes_0001
Revises:
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

from shared.platform.messaging.tables import create_messaging_tables

revision = "outcomes_0001"
down_revision = None
branch_labels = None
depends_on = None
S = "outcomes"


def upgrade() -> None:
    op.create_table(
        "measure_scores",
        sa.Column("case_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("instrument", sa.Text, primary_key=True),
        sa.Column("timepoint", sa.Text, primary_key=True),
        sa.Column("score", sa.Integer),
        sa.Column("not_scored_reason", sa.Text),
        schema=S,
    )
    op.create_table(
        "case_outcomes",
        sa.Column("case_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("referral_id", UUID(as_uuid=True), nullable=False),
        sa.Column("person_id", UUID(as_uuid=True), nullable=False),
        sa.Column("programme_id", sa.Text, nullable=False),
        sa.Column("worker_role", sa.Text, nullable=False),
        sa.Column("closure_reason", sa.Text, nullable=False),
        sa.Column("contact_count", sa.Integer, nullable=False),
        sa.Column("ucla_start", sa.Integer),
        sa.Column("ucla_end", sa.Integer),
        sa.Column("ucla_change", sa.Integer),
        sa.Column("ucla_direction", sa.Text),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        schema=S,
    )
    op.create_index("ix_case_outcomes_programme_closed", "case_outcomes", ["programme_id", "closed_at"], schema=S)
    create_messaging_tables(op, S)


def downgrade() -> None:
    for table in ("inbox", "outbox", "case_outcomes", "measure_scores"):
        op.drop_table(table, schema=S)
