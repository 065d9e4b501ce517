"""Caseload's tables (schema `caseload`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.platform.messaging.tables import inbox_table, outbox_table

SCHEMA = "caseload"
metadata = sa.MetaData(schema=SCHEMA)

workers = sa.Table(
    "workers",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("programme_id", sa.Text, nullable=False),
    sa.Column("capacity_hours", sa.Numeric(6, 2), nullable=False),
    sa.Column("load_hours", sa.Numeric(6, 2), nullable=False, server_default="0"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    # Capacity is enforced here, in the database, whatever number of replicas assign at once.
    sa.CheckConstraint("load_hours >= 0 AND load_hours <= capacity_hours", name="ck_workers_within_capacity"),
)

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("referral_id", UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("person_id", UUID(as_uuid=True), nullable=False),
    sa.Column("programme_id", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("worker_id", UUID(as_uuid=True), sa.ForeignKey(workers.c.id)),
    sa.Column("expected_weekly_hours", sa.Numeric(6, 2), nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("lead_role", sa.Text, nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("assigned_at", sa.DateTime(timezone=True)),
    sa.Column("closed_at", sa.DateTime(timezone=True)),
    sa.Column("closure_reason", sa.Text),
    sa.Column("measures", JSONB),
    sa.Column("correlation_id", UUID(as_uuid=True), nullable=False),
)

contacts = sa.Table(
    "contacts",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("case_id", UUID(as_uuid=True), sa.ForeignKey(cases.c.id), nullable=False, index=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recorded_by", sa.Text, nullable=False),
)

outbox = outbox_table(metadata, SCHEMA)
inbox = inbox_table(metadata, SCHEMA)
