"""Outcomes' tables (schema `outcomes`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from shared.platform.messaging.tables import inbox_table, outbox_table

SCHEMA = "outcomes"
metadata = sa.MetaData(schema=SCHEMA)

measure_scores = sa.Table(
    "measure_scores",
    metadata,
    sa.Column("case_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("instrument", sa.Text, primary_key=True),
    sa.Column("timepoint", sa.Text, primary_key=True),
    sa.Column("score", sa.Integer),
    sa.Column("not_scored_reason", sa.Text, comment="not collected, or rejected as invalid, and why"),
)

case_outcomes = sa.Table(
    "case_outcomes",
    metadata,
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
)

outbox = outbox_table(metadata, SCHEMA)
inbox = inbox_table(metadata, SCHEMA)
