"""Triage's tables (schema `triage`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.platform.messaging.tables import inbox_table, outbox_table

SCHEMA = "triage"
metadata = sa.MetaData(schema=SCHEMA)

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("referral_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", UUID(as_uuid=True), nullable=False),
    sa.Column("programme_id", sa.Text, nullable=False),
    sa.Column("referring_partner_id", sa.Text, nullable=False),
    sa.Column("facts", JSONB, nullable=False, comment="non-identifying facts the rules used"),
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
)

outbox = outbox_table(metadata, SCHEMA)
inbox = inbox_table(metadata, SCHEMA)
