"""Outcomes' tables (schema `outcomes`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from shared.platform.messaging.tables import inbox_table, outbox_table
from shared.platform.sealing_sql import data_keys_table
from shared.platform.messaging.dead_letter_archive import dead_letter_actions_table, dead_letters_table
from shared.platform.sessions import revoked_sessions_table

SCHEMA = "outcomes"
metadata = sa.MetaData(schema=SCHEMA)

outbox = outbox_table(metadata, SCHEMA)
inbox = inbox_table(metadata, SCHEMA)
# Identity's revoked sign-in sessions, as this service has read them (require_staff refuses their tokens).
revoked_sessions = revoked_sessions_table(metadata, SCHEMA)
# Outcomes' data keys: it keeps no person's words (MYCaW concerns are not stored), so it seals nothing today,
# but it records each erased person's tombstone, so no key can ever be made for them here.
data_keys = data_keys_table(metadata, SCHEMA)
# Parked records, kept to be listed, replayed or discarded, and what operators did with them.
dead_letters = dead_letters_table(metadata, SCHEMA)
dead_letter_actions = dead_letter_actions_table(metadata, SCHEMA)

# --- added in migration outcomes_0002: facts for reports (no names or contact details) --------

referral_facts = sa.Table(
    "referral_facts",
    metadata,
    sa.Column("referral_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", UUID(as_uuid=True), nullable=False),
    sa.Column("programme_id", sa.Text, nullable=False),
    sa.Column("partner_id", sa.Text, nullable=False),
    sa.Column("source_category", sa.Text),
    sa.Column("source_subcategory", sa.Text),
    sa.Column("age_band", sa.Text),
    sa.Column("gender", sa.Text),
    sa.Column("trigger_groups", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("postcode_district", sa.Text),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("decision", sa.Text),
    sa.Column("decision_reason", sa.Text),
    sa.Column("decided_at", sa.DateTime(timezone=True)),
    sa.Column("to_data_sharing", sa.Boolean,
              comment="false: counted in aggregate reports, never shown individually; null: not known"),
)

case_facts = sa.Table(
    "case_facts",
    metadata,
    sa.Column("case_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("referral_id", UUID(as_uuid=True), nullable=False),
    sa.Column("programme_id", sa.Text, nullable=False),
    sa.Column("worker_id", UUID(as_uuid=True)),
    sa.Column("worker_role", sa.Text),
    sa.Column("opened_at", sa.DateTime(timezone=True)),
    sa.Column("assigned_at", sa.DateTime(timezone=True)),
    sa.Column("first_contact_at", sa.DateTime(timezone=True)),
    sa.Column("closed_at", sa.DateTime(timezone=True)),
    sa.Column("closure_reason", sa.Text),
    sa.Column("contacts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("contact_minutes", sa.Integer, nullable=False, server_default="0"),
)

measures = sa.Table(
    "measures",
    metadata,
    sa.Column("case_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("instrument", sa.Text, primary_key=True),
    sa.Column("timepoint", sa.Text, primary_key=True),
    sa.Column("instrument_version", sa.Text, nullable=False),
    sa.Column("programme_id", sa.Text, nullable=False),
    sa.Column("worker_id", UUID(as_uuid=True)),
    sa.Column("items", JSONB),
    sa.Column("score", sa.Numeric(8, 3)),
    sa.Column("category", sa.Text),
    sa.Column("subscores", JSONB),
    sa.Column("not_collected_reason", sa.Text),
    sa.Column("invalid_reason", sa.Text),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)

signposts = sa.Table(
    "signposts",
    metadata,
    sa.Column("signpost_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("case_id", UUID(as_uuid=True), nullable=False),
    sa.Column("programme_id", sa.Text, nullable=False),
    sa.Column("destination", sa.Text, nullable=False),
    sa.Column("category", sa.Text),
    sa.Column("taken_up", sa.Boolean),
)

unmet_needs = sa.Table(
    "unmet_needs",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("case_id", UUID(as_uuid=True), nullable=False),
    sa.Column("programme_id", sa.Text, nullable=False),
    sa.Column("need", sa.Text, nullable=False),
    sa.Column("postcode_district", sa.Text),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)

# Indexes as the migrations name them (tests/integration/test_migrations_match_tables.py holds the two together).
sa.Index("ix_referral_facts_programme_received", referral_facts.c.programme_id, referral_facts.c.received_at)
sa.Index("ix_case_facts_programme_closed", case_facts.c.programme_id, case_facts.c.closed_at)
sa.Index("ix_case_facts_referral", case_facts.c.referral_id)
sa.Index("ix_measures_programme_instrument", measures.c.programme_id, measures.c.instrument, measures.c.timepoint)
