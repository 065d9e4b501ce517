"""Intake: partners, API keys, submissions, referrals, timeline, outbox, inbox.

Revision ID: intake_0001
Revises:
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from shared.platform.messaging.tables import create_messaging_tables

revision = "intake_0001"
down_revision = None
branch_labels = None
depends_on = None
S = "intake"


def upgrade() -> None:
    now = sa.func.now()
    op.create_table(
        "partners",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("allowed_programmes", ARRAY(sa.Text), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        schema=S,
    )
    op.create_table(
        "partner_api_keys",
        sa.Column("key_id", sa.Text, primary_key=True),
        sa.Column("partner_id", sa.Text, sa.ForeignKey(f"{S}.partners.id"), nullable=False),
        sa.Column("secret_hash", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        schema=S,
    )
    op.create_table(
        "submissions",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("partner_id", sa.Text),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("errors", JSONB),
        sa.Column("referral_id", UUID(as_uuid=True)),
        sa.Column("correlation_id", UUID(as_uuid=True), nullable=False),
        schema=S,
    )
    op.create_table(
        "referrals",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("person_id", UUID(as_uuid=True), nullable=False),
        sa.Column("partner_id", sa.Text, nullable=False),
        sa.Column("partner_referral_id", sa.Text),
        sa.Column("programme_id", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("person", JSONB, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("correlation_id", UUID(as_uuid=True), nullable=False),
        sa.UniqueConstraint("partner_id", "partner_referral_id", name="uq_referrals_partner_ref"),
        schema=S,
    )
    op.create_table(
        "referral_timeline",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("referral_id", UUID(as_uuid=True), sa.ForeignKey(f"{S}.referrals.id"), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", UUID(as_uuid=True)),
        schema=S,
    )
    op.create_index("ix_referral_timeline_referral_id", "referral_timeline", ["referral_id"], schema=S)
    create_messaging_tables(op, S)


def downgrade() -> None:
    for table in ("inbox", "outbox", "referral_timeline", "referrals", "submissions", "partner_api_keys", "partners"):
        op.drop_table(table, schema=S)
