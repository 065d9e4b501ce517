"""Triage's tables (schema `triage`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.platform.audit_sql import audit_trail_table
from shared.platform.messaging.tables import inbox_table, outbox_table
from shared.platform.sealing_sql import data_keys_table
from shared.platform.messaging.dead_letter_archive import dead_letter_actions_table, dead_letters_table
from shared.platform.sessions import revoked_sessions_table

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
    sa.Column("received_at", sa.DateTime(timezone=True)),
    sa.Column("signposting", sa.Text),
    sa.Column("review_reasons", JSONB),
    sa.Column("decided_by", sa.Text),
    sa.Column("event", JSONB, comment="the triage.decided payload last emitted"),
)

outbox = outbox_table(metadata, SCHEMA)
inbox = inbox_table(metadata, SCHEMA)
# Identity's revoked sign-in sessions, as this service has read them (require_staff refuses their tokens).
revoked_sessions = revoked_sessions_table(metadata, SCHEMA)
# Triage's data key for each person: a reviewer's note about them is sealed under it (destroyed on erasure).
data_keys = data_keys_table(metadata, SCHEMA)
# Every opening and writing of what is sealed under those keys: hash-chained, append-only (a trigger).
audit_trail = audit_trail_table(metadata, SCHEMA)
# Parked records, kept to be listed, replayed or discarded, and what operators did with them.
dead_letters = dead_letters_table(metadata, SCHEMA)
dead_letter_actions = dead_letter_actions_table(metadata, SCHEMA)

# --- added in migration triage_0002 ---------------------------------------------------

rulesets = sa.Table(
    "rulesets",
    metadata,
    sa.Column("programme_id", sa.Text, primary_key=True),
    sa.Column("version", sa.Text, primary_key=True),
    sa.Column("effective_from", sa.DateTime(timezone=True)),
    sa.Column("status", sa.Text, nullable=False, comment="draft | published"),
    sa.Column("body", JSONB, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

decision_history = sa.Table(
    "decision_history",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("referral_id", UUID(as_uuid=True), nullable=False),
    sa.Column("decision", sa.Text, nullable=False),
    sa.Column("reason_code", sa.Text),
    sa.Column("ruleset_version", sa.Text, nullable=False),
    sa.Column("decided_by", sa.Text),
    sa.Column("note", sa.Text),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
)

reviews = sa.Table(
    "reviews",
    metadata,
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
)

# Indexes as the migrations name them (tests/integration/test_migrations_match_tables.py holds the two together).
sa.Index("ix_decision_history_referral_id", decision_history.c.referral_id)
sa.Index("ix_reviews_open", reviews.c.created_at, postgresql_where=sa.text("status <> 'decided'"))
sa.Index("ix_decisions_programme_decided", decisions.c.programme_id, decisions.c.decided_at)
