"""Intake's tables (schema `intake`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from shared.platform.audit_sql import audit_trail_table
from shared.platform.messaging.tables import inbox_table, outbox_table
from shared.platform.sealing_sql import data_keys_table
from shared.platform.messaging.dead_letter_archive import dead_letter_actions_table, dead_letters_table
from shared.platform.sessions import revoked_sessions_table

SCHEMA = "intake"
metadata = sa.MetaData(schema=SCHEMA)

partners = sa.Table(
    "partners",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("allowed_programmes", ARRAY(sa.Text), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("attests_consent", sa.Boolean, nullable=False, server_default=sa.false(),
              comment="the partner attests consent when a message carries none"),
)

partner_api_keys = sa.Table(
    "partner_api_keys",
    metadata,
    sa.Column("key_id", sa.Text, primary_key=True),
    sa.Column("partner_id", sa.Text, sa.ForeignKey(partners.c.id), nullable=False),
    sa.Column("secret_hash", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
)

# Every submission as it arrived, accepted or not: nothing that was sent is lost.
submissions = sa.Table(
    "submissions",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("partner_id", sa.Text),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("errors", JSONB),
    sa.Column("referral_id", UUID(as_uuid=True)),
    sa.Column("correlation_id", UUID(as_uuid=True), nullable=False),
    sa.Column("batch_id", UUID(as_uuid=True), comment="the CSV batch the row came in (intake_0009)"),
    sa.Column("followed_up", sa.Text, comment="a refused one's follow-up: partner_told | no_action_needed"),
    sa.Column("followed_up_by", sa.Text, comment="the staff subject who followed it up"),
    sa.Column("followed_up_at", sa.DateTime(timezone=True)),
)

referrals = sa.Table(
    "referrals",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", UUID(as_uuid=True), nullable=False),
    sa.Column("partner_id", sa.Text, nullable=False),
    sa.Column("partner_referral_id", sa.Text),
    sa.Column("programme_id", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("person", JSONB, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("correlation_id", UUID(as_uuid=True), nullable=False),
    sa.Column("channel", sa.Text, nullable=False, server_default="partner_api"),
    sa.Column("previous_referral_id", UUID(as_uuid=True)),
    sa.Column("duplicate_of", UUID(as_uuid=True)),
    sa.Column("match_method", sa.Text),
    sa.Column("match_confidence", sa.Numeric(4, 3)),
    sa.Column("self_reference", sa.Text, unique=True, comment="short reference a self-referrer can quote"),
    sa.Column("submission_sha256", sa.Text, comment="digest of the canonical submission: a retry has the same"),
    sa.Column("contact", JSONB, comment="how to reach the person safely, why they were referred and by whom"),
    sa.Column("consent", JSONB, comment="the person's consent and contact wishes now (history: referral_consents)"),
    sa.UniqueConstraint("partner_id", "partner_referral_id", name="uq_referrals_partner_ref"),
)

case_holders = sa.Table(
    "case_holders",
    metadata,
    sa.Column("case_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("referral_id", UUID(as_uuid=True), nullable=False),
    sa.Column("programme_id", sa.Text, nullable=False),
    sa.Column("worker_id", UUID(as_uuid=True), comment="the worker holding the case now; none while it waits"),
    sa.Column("open", sa.Boolean, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

audit_trail = audit_trail_table(metadata)  # append-only (a trigger, migration 0005), hash-chained

referral_timeline = sa.Table(
    "referral_timeline",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("referral_id", UUID(as_uuid=True), sa.ForeignKey(referrals.c.id), nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("event_id", UUID(as_uuid=True)),
)

outbox = outbox_table(metadata, SCHEMA)
inbox = inbox_table(metadata, SCHEMA)
# Identity's revoked sign-in sessions, as this service has read them (require_staff refuses their tokens).
revoked_sessions = revoked_sessions_table(metadata, SCHEMA)
# Parked records, kept to be listed, replayed or discarded, and what operators did with them.
dead_letters = dead_letters_table(metadata, SCHEMA)
dead_letter_actions = dead_letter_actions_table(metadata, SCHEMA)

# --- added in migration intake_0002 ---------------------------------------------------

programmes = sa.Table(
    "programmes",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("self_referral_open", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("retention_days", sa.Integer, nullable=False, server_default=sa.text("2922"),
              comment="people are erased this long after their last case closed"),
)

# Intake is the one place personal data lives; other services know only person ids.
persons = sa.Table(
    "persons",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("nhs_number", sa.Text),
    sa.Column("given_name_key", sa.Text, comment="in clear only on rows from before intake_0009"),
    sa.Column("family_name_key", sa.Text, comment="in clear only on rows from before intake_0009"),
    sa.Column("date_of_birth", sa.Date),
    sa.Column("postcode", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("stated_age", sa.Integer),
    sa.Column("stated_age_on", sa.Date, comment="the day the stated age was true"),
    # From intake_0009: the whole match key sealed under the person's data key, and keyed blind indexes
    # (shared/platform/blind_index.py) of what candidates are searched by; the clear columns above stay empty.
    sa.Column("sealed_key", sa.Text, comment="what matching compares, sealed under the person's data key"),
    sa.Column("nhs_number_index", sa.Text),
    sa.Column("family_name_index", sa.Text),
    sa.Column("date_of_birth_index", sa.Text),
    sa.Column("postcode_index", sa.Text),
)

match_reviews = sa.Table(
    "match_reviews",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("referral_id", UUID(as_uuid=True), nullable=False),
    sa.Column("person_id", UUID(as_uuid=True), nullable=False, comment="the person the referral was filed under"),
    sa.Column("candidate_person_id", UUID(as_uuid=True), nullable=False),
    sa.Column("confidence", sa.Numeric(4, 3), nullable=False),
    sa.Column("reasons", JSONB, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="open"),
    sa.Column("decision", sa.Text),
    sa.Column("decided_by", sa.Text),
    sa.Column("decided_at", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

outreach_contacts = sa.Table(
    "outreach_contacts",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("programme_id", sa.Text, nullable=False),
    sa.Column("met_at", sa.Text, nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("logged_by", sa.Text, nullable=False),
    sa.Column("details", JSONB, nullable=False, comment="whatever the person chose to share; may be nothing"),
    sa.Column("referral_id", UUID(as_uuid=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

csv_mappings = sa.Table(
    "csv_mappings",
    metadata,
    sa.Column("partner_id", sa.Text, primary_key=True),
    sa.Column("mapping", JSONB, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

batches = sa.Table(
    "batches",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("partner_id", sa.Text, nullable=False),
    sa.Column("filename", sa.Text),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("report", JSONB),
)

webhooks = sa.Table(
    "webhooks",
    metadata,
    sa.Column("partner_id", sa.Text, primary_key=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("secret", sa.Text, nullable=False, comment="HMAC key the partner verifies signatures with"),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("partner_id", sa.Text, nullable=False),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("body", JSONB, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("delivered_at", sa.DateTime(timezone=True)),
    sa.Column("failed_at", sa.DateTime(timezone=True)),
    sa.Column("last_error", sa.Text),
)

# The person's consent over time: as the referral gave it, then each change their case recorded.
referral_consents = sa.Table(
    "referral_consents",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("referral_id", UUID(as_uuid=True), sa.ForeignKey(referrals.c.id), nullable=False),
    sa.Column("consent", JSONB, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("source", sa.Text, nullable=False, comment="referral | case"),
    sa.Column("reported_by", sa.Text, nullable=False),
    sa.Column("reported_at", sa.DateTime(timezone=True)),
    sa.Column("event_id", UUID(as_uuid=True)),
)

# --- added in migration intake_0009 ---------------------------------------------------

# Data keys: personal data is sealed under one per person (and per raw submission, batch file and outreach
# contact); erasure destroys the key, leaving a tombstone (shared/platform/sealing_sql.py).
data_keys = data_keys_table(metadata, SCHEMA)

# --- added in migration intake_0011 ---------------------------------------------------

# What a coordinator finds a referral by (services/intake/domain/search.py): keyed blind indexes of the
# normal forms of the person's names, NHS number and postcode as this referral gave them; never in clear.
referral_search_keys = sa.Table(
    "referral_search_keys",
    metadata,
    sa.Column("referral_id", UUID(as_uuid=True), sa.ForeignKey(referrals.c.id), primary_key=True),
    sa.Column("name_indexes", ARRAY(sa.Text), nullable=False,
              comment="blind indexes of each form of the name: given, family, preferred, full"),
    sa.Column("nhs_number_index", sa.Text),
    sa.Column("postcode_index", sa.Text),
    sa.Column("name_sound_indexes", ARRAY(sa.Text),
              comment="blind indexes of what each word of the names sounds like; NULL: not indexed yet"),
)

# Indexes as the migrations name them (tests/integration/test_migrations_match_tables.py holds the two together).
sa.Index("ix_referral_timeline_referral_id", referral_timeline.c.referral_id)
sa.Index("ix_referrals_person", referrals.c.person_id)
sa.Index("ix_referral_consents_referral_id", referral_consents.c.referral_id)
sa.Index("ix_persons_nhs_number", persons.c.nhs_number)
sa.Index("ix_persons_dob", persons.c.date_of_birth)
sa.Index("ix_persons_family_postcode", persons.c.family_name_key, persons.c.postcode)
sa.Index("ix_persons_postcode", persons.c.postcode)
sa.Index("ix_submissions_referral_id", submissions.c.referral_id)
sa.Index("ix_persons_nhs_number_index", persons.c.nhs_number_index)
sa.Index("ix_persons_family_name_index", persons.c.family_name_index)
sa.Index("ix_persons_date_of_birth_index", persons.c.date_of_birth_index)
sa.Index("ix_persons_postcode_index", persons.c.postcode_index)
sa.Index("ix_submissions_batch_id", submissions.c.batch_id)
sa.Index("ix_submissions_rejected", submissions.c.received_at, postgresql_where=sa.text("outcome = 'rejected'"))
sa.Index("ix_webhook_deliveries_due", webhook_deliveries.c.next_attempt_at,
         postgresql_where=sa.text("delivered_at IS NULL AND failed_at IS NULL"))
sa.Index("ix_referral_search_keys_name_indexes", referral_search_keys.c.name_indexes, postgresql_using="gin")
sa.Index("ix_referral_search_keys_nhs_number_index", referral_search_keys.c.nhs_number_index)
sa.Index("ix_referral_search_keys_postcode_index", referral_search_keys.c.postcode_index)
sa.Index("ix_referral_search_keys_name_sound_indexes", referral_search_keys.c.name_sound_indexes,
         postgresql_using="gin")
