"""Caseload's tables (schema `caseload`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from shared.platform.audit_sql import audit_trail_table
from shared.platform.messaging.tables import inbox_table, outbox_table
from shared.platform.sealing_sql import data_keys_table
from shared.platform.messaging.dead_letter_archive import dead_letter_actions_table, dead_letters_table
from shared.platform.sessions import revoked_sessions_table

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
    # Capacity is enforced here, in the database, whatever number of replicas assign at once.
    sa.CheckConstraint("load_hours >= 0 AND load_hours <= capacity_hours", name="ck_workers_within_capacity"),
    sa.CheckConstraint("open_cases >= 0 AND open_cases <= max_open_cases", name="ck_workers_open_cases"),
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
    sa.Column("pathway", sa.Text),
    sa.Column("needs", JSONB, comment="what matching uses: language, gender preference, home visits, area"),
    sa.Column("previous_referral_id", UUID(as_uuid=True)),
    sa.Column("waiting_since", sa.DateTime(timezone=True)),
    sa.Column("first_contact_due_at", sa.DateTime(timezone=True)),
    sa.Column("first_contact_at", sa.DateTime(timezone=True)),
    sa.Column("review_due_at", sa.DateTime(timezone=True)),
    sa.Column("budget_ends_at", sa.DateTime(timezone=True)),
    sa.Column("follow_up_due_at", sa.DateTime(timezone=True)),
    sa.Column("follow_up_requested_at", sa.DateTime(timezone=True)),
    sa.Column("traceparent", sa.Text, comment="W3C trace context the case was opened in (its referral's trace)"),
    sa.Column("consent_at_referral", JSONB, comment="consent and contact wishes as the referral gave them"),
    sa.Column("consent", JSONB, comment="consent and contact wishes now (case.consent_changed events: history)"),
)

contacts = sa.Table(
    "contacts",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("case_id", UUID(as_uuid=True), sa.ForeignKey(cases.c.id), nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recorded_by", sa.Text, nullable=False),
)

# The case's history: its status and state are folded from these, never set directly.
case_events = sa.Table(
    "case_events",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("case_id", UUID(as_uuid=True), nullable=False),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("data", JSONB, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.Text),
)

offers = sa.Table(
    "offers",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("case_id", UUID(as_uuid=True), nullable=False),
    sa.Column("worker_id", UUID(as_uuid=True), nullable=False),
    sa.Column("status", sa.Text, nullable=False, comment="open | accepted | declined | expired"),
    sa.Column("rank", sa.Integer, nullable=False),
    sa.Column("score", sa.Numeric(8, 3), nullable=False),
    sa.Column("reasons", JSONB, nullable=False),
    sa.Column("hours", sa.Numeric(6, 2), nullable=False),
    sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("responded_at", sa.DateTime(timezone=True)),
    sa.Column("response_reason", sa.Text),
    sa.Column("response_code", sa.Text, comment="a decline's reason code (DeclineReason); null for a note alone"),
)

programme_settings = sa.Table(
    "programme_settings",
    metadata,
    sa.Column("programme_id", sa.Text, primary_key=True),
    sa.Column("first_contact_working_days", sa.Integer, nullable=False, server_default="5"),
    sa.Column("offer_timeout_minutes", sa.Float, nullable=False, server_default="2880"),
    sa.Column("review_weeks", sa.Integer, nullable=False, server_default="6"),
    sa.Column("budget_weeks", sa.Integer, nullable=False, server_default="12"),
    sa.Column("budget_sessions", sa.Integer, nullable=False, server_default="12"),
    sa.Column("follow_up_months", sa.Integer, nullable=False, server_default="3"),
    sa.Column("ageing_days", sa.Float, nullable=False, server_default="14"),
)

outbox = outbox_table(metadata, SCHEMA)
inbox = inbox_table(metadata, SCHEMA)
# Identity's revoked sign-in sessions, as this service has read them (require_staff refuses their tokens).
revoked_sessions = revoked_sessions_table(metadata, SCHEMA)
# Caseload's data key for each person: what staff write about them is sealed under it (destroyed on erasure).
data_keys = data_keys_table(metadata, SCHEMA)
# Every opening and writing of what is sealed under those keys: hash-chained, append-only (a trigger).
audit_trail = audit_trail_table(metadata, SCHEMA)
# Parked records, kept to be listed, replayed or discarded, and what operators did with them.
dead_letters = dead_letters_table(metadata, SCHEMA)
dead_letter_actions = dead_letter_actions_table(metadata, SCHEMA)

# Indexes as the migrations name them (tests/integration/test_migrations_match_tables.py holds the two together).
sa.Index("ix_contacts_case_id", contacts.c.case_id)
sa.Index("ix_cases_waiting", cases.c.programme_id, cases.c.priority, cases.c.opened_at,
         postgresql_where=sa.text("status = 'waiting'"))
sa.Index("ix_case_events_case_id", case_events.c.case_id, case_events.c.id)
sa.Index("ix_offers_case_id", offers.c.case_id)
sa.Index("ix_offers_open", offers.c.expires_at, postgresql_where=sa.text("status = 'open'"))
# The report of why offers are declined reads a window of answered offers.
sa.Index("ix_offers_answered", offers.c.responded_at, postgresql_where=sa.text("status IN ('declined', 'expired')"))
# At most one open offer per case, whatever the replicas do.
sa.Index("uq_offers_one_open_per_case", offers.c.case_id, unique=True, postgresql_where=sa.text("status = 'open'"))
