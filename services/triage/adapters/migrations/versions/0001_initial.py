"""Triage: decisions, outbox, inbox.

Revision ID: triage_0001
Revises:
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.platform.messaging.tables import create_messaging_tables

revision = "triage_0001"
down_revision = None
branch_labels = None
depends_on = None
S = "triage"


def upgrade() -> None:
    op.create_table(
        "decisions",
        sa.Column("referral_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("person_id", UUID(as_uuid=True), nullable=False),
        sa.Column("programme_id", sa.Text, nullable=False),
        sa.Column("referring_partner_id", sa.Text, nullable=False),
        sa.Column("facts", JSONB, nullable=False),
        sa.Column("decision", sa.Text, nullable=False),
        sa.Column("reason_code", sa.Text),
        sa.Column("ruleset_version", sa.Text, nullable=False),
        sa.Column("rules", JSONB, nullable=False),
        sa.Column("complexity", sa.Text),
        sa.Column("pathway", sa.Text),
        sa.Column("priority", sa.Integer),
        sa.Column("expected_weekly_hours", sa.Numeric(6, 2)),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("correlation_id", UUID(as_uuid=True), nullable=False),
        schema=S,
    )
    create_messaging_tables(op, S)


def downgrade() -> None:
    for table in ("inbox", "outbox", "decisions"):
        op.drop_table(table, schema=S)
