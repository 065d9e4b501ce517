"""Caseload: workers, cases, contacts, outbox, inbox.

Revision ID: caseload_0001
Revises:
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.platform.messaging.tables import create_messaging_tables

revision = "caseload_0001"
down_revision = None
branch_labels = None
depends_on = None
S = "caseload"


def upgrade() -> None:
    op.create_table(
        "workers",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("programme_id", sa.Text, nullable=False),
        sa.Column("capacity_hours", sa.Numeric(6, 2), nullable=False),
        sa.Column("load_hours", sa.Numeric(6, 2), nullable=False, server_default="0"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.CheckConstraint("load_hours >= 0 AND load_hours <= capacity_hours", name="ck_workers_within_capacity"),
        schema=S,
    )
    op.create_table(
        "cases",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("referral_id", UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("person_id", UUID(as_uuid=True), nullable=False),
        sa.Column("programme_id", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("worker_id", UUID(as_uuid=True), sa.ForeignKey(f"{S}.workers.id")),
        sa.Column("expected_weekly_hours", sa.Numeric(6, 2), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("lead_role", sa.Text, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("closure_reason", sa.Text),
        sa.Column("measures", JSONB),
        sa.Column("correlation_id", UUID(as_uuid=True), nullable=False),
        schema=S,
    )
    op.create_table(
        "contacts",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("case_id", UUID(as_uuid=True), sa.ForeignKey(f"{S}.cases.id"), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        schema=S,
    )
    op.create_index("ix_contacts_case_id", "contacts", ["case_id"], schema=S)
    op.create_index("ix_cases_waiting", "cases", ["programme_id", "priority", "opened_at"], schema=S,
                    postgresql_where=sa.text("status = 'waiting'"))
    create_messaging_tables(op, S)


def downgrade() -> None:
    for table in ("inbox", "outbox", "contacts", "cases", "workers"):
        op.drop_table(table, schema=S)
