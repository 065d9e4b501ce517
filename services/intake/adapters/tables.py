"""Intake's tables (schema `intake`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from shared.platform.messaging.tables import inbox_table, outbox_table

SCHEMA = "intake"
metadata = sa.MetaData(schema=SCHEMA)

partners = sa.Table(
    "partners",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("allowed_programmes", ARRAY(sa.Text), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
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
    sa.UniqueConstraint("partner_id", "partner_referral_id", name="uq_referrals_partner_ref"),
)

referral_timeline = sa.Table(
    "referral_timeline",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("referral_id", UUID(as_uuid=True), sa.ForeignKey(referrals.c.id), nullable=False, index=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("event_id", UUID(as_uuid=True)),
)

outbox = outbox_table(metadata, SCHEMA)
inbox = inbox_table(metadata, SCHEMA)
