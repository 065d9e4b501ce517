"""Caseload: worker profiles, case events, offers, programme settings, lifecycle dates.

Revision ID: caseload_0002
Revises: caseload_0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision = "caseload_0002"
down_revision = "caseload_0001"
branch_labels = None
depends_on = None
S = "caseload"


def upgrade() -> None:
    for column in (
        sa.Column("site", sa.Text),
        sa.Column("languages", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("gender", sa.Text),
        sa.Column("interests", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("home_visits", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("travel_districts", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("availability", sa.Text),
        sa.Column("max_open_cases", sa.Integer, nullable=False, server_default="25"),
        sa.Column("open_cases", sa.Integer, nullable=False, server_default="0"),
        sa.Column("auto_accept_offers", sa.Boolean, nullable=False, server_default=sa.false()),
    ):
        op.add_column("workers", column, schema=S)
    op.create_check_constraint("ck_workers_open_cases", "workers", "open_cases >= 0 AND open_cases <= max_open_cases",
                               schema=S)
    for column in (
        sa.Column("pathway", sa.Text),
        sa.Column("needs", JSONB),
        sa.Column("previous_referral_id", UUID(as_uuid=True)),
        sa.Column("waiting_since", sa.DateTime(timezone=True)),
        sa.Column("first_contact_due_at", sa.DateTime(timezone=True)),
        sa.Column("first_contact_at", sa.DateTime(timezone=True)),
        sa.Column("review_due_at", sa.DateTime(timezone=True)),
        sa.Column("budget_ends_at", sa.DateTime(timezone=True)),
        sa.Column("follow_up_due_at", sa.DateTime(timezone=True)),
        sa.Column("follow_up_requested_at", sa.DateTime(timezone=True)),
    ):
        op.add_column("cases", column, schema=S)
    op.create_table(
        "case_events",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("case_id", UUID(as_uuid=True), nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("data", JSONB, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text),
        schema=S,
    )
    op.create_index("ix_case_events_case_id", "case_events", ["case_id", "id"], schema=S)
    op.create_table(
        "offers",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("case_id", UUID(as_uuid=True), nullable=False),
        sa.Column("worker_id", UUID(as_uuid=True), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("score", sa.Numeric(8, 3), nullable=False),
        sa.Column("reasons", JSONB, nullable=False),
        sa.Column("hours", sa.Numeric(6, 2), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True)),
        sa.Column("response_reason", sa.Text),
        schema=S,
    )
    op.create_index("ix_offers_case_id", "offers", ["case_id"], schema=S)
    op.create_index("ix_offers_open", "offers", ["expires_at"], schema=S, postgresql_where=sa.text("status = 'open'"))
    # At most one open offer per case, whatever the replicas do.
    op.create_index("uq_offers_one_open_per_case", "offers", ["case_id"], unique=True, schema=S,
                    postgresql_where=sa.text("status = 'open'"))
    op.create_table(
        "programme_settings",
        sa.Column("programme_id", sa.Text, primary_key=True),
        sa.Column("first_contact_working_days", sa.Integer, nullable=False, server_default="5"),
        sa.Column("offer_timeout_minutes", sa.Float, nullable=False, server_default="2880"),
        sa.Column("review_weeks", sa.Integer, nullable=False, server_default="6"),
        sa.Column("budget_weeks", sa.Integer, nullable=False, server_default="12"),
        sa.Column("budget_sessions", sa.Integer, nullable=False, server_default="12"),
        sa.Column("follow_up_months", sa.Integer, nullable=False, server_default="3"),
        sa.Column("ageing_days", sa.Float, nullable=False, server_default="14"),
        schema=S,
    )


def downgrade() -> None:
    for table in ("programme_settings", "offers", "case_events"):
        op.drop_table(table, schema=S)
    for column in ("follow_up_requested_at", "follow_up_due_at", "budget_ends_at", "review_due_at",
                   "first_contact_at", "first_contact_due_at", "waiting_since", "previous_referral_id", "needs",
                   "pathway"):
        op.drop_column("cases", column, schema=S)
    op.drop_constraint("ck_workers_open_cases", "workers", schema=S)
    for column in ("auto_accept_offers", "open_cases", "max_open_cases", "availability", "travel_districts",
                   "home_visits", "interests", "gender", "languages", "site"):
        op.drop_column("workers", column, schema=S)
