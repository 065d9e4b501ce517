"""Triage: rule sets as data, decision history, the human review queue.

Revision ID: triage_0002
Revises: triage_0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "triage_0002"
down_revision = "triage_0001"
branch_labels = None
depends_on = None
S = "triage"


def upgrade() -> None:
    now = sa.func.now()
    op.create_table(
        "rulesets",
        sa.Column("programme_id", sa.Text, primary_key=True),
        sa.Column("version", sa.Text, primary_key=True),
        sa.Column("effective_from", sa.DateTime(timezone=True)),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("body", JSONB, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        schema=S,
    )
    op.create_table(
        "decision_history",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("referral_id", UUID(as_uuid=True), nullable=False),
        sa.Column("decision", sa.Text, nullable=False),
        sa.Column("reason_code", sa.Text),
        sa.Column("ruleset_version", sa.Text, nullable=False),
        sa.Column("decided_by", sa.Text),
        sa.Column("note", sa.Text),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        schema=S,
    )
    op.create_index("ix_decision_history_referral_id", "decision_history", ["referral_id"], schema=S)
    op.create_table(
        "reviews",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("referral_id", UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("programme_id", sa.Text, nullable=False),
        sa.Column("reasons", JSONB, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="open"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.Text),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
        sa.Column("decided_by", sa.Text),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.Text),
        sa.Column("note", sa.Text),
        schema=S,
    )
    op.create_index("ix_reviews_open", "reviews", ["created_at"], schema=S,
                    postgresql_where=sa.text("status <> 'decided'"))
    for column in (
        sa.Column("received_at", sa.DateTime(timezone=True)),
        sa.Column("signposting", sa.Text),
        sa.Column("review_reasons", JSONB),
        sa.Column("decided_by", sa.Text),
        sa.Column("event", JSONB),
    ):
        op.add_column("decisions", column, schema=S)
    op.create_index("ix_decisions_programme_decided", "decisions", ["programme_id", "decided_at"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_decisions_programme_decided", "decisions", schema=S)
    for column in ("event", "decided_by", "review_reasons", "signposting", "received_at"):
        op.drop_column("decisions", column, schema=S)
    for table in ("reviews", "decision_history", "rulesets"):
        op.drop_table(table, schema=S)
