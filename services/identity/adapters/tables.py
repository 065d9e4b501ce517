"""Identity's tables (schema `identity`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from shared.platform.messaging.tables import inbox_table, outbox_table
from shared.platform.messaging.dead_letter_archive import dead_letter_actions_table, dead_letters_table
from shared.platform.sessions import revoked_sessions_table

SCHEMA = "identity"
metadata = sa.MetaData(schema=SCHEMA)

outbox = outbox_table(metadata, SCHEMA)
inbox = inbox_table(metadata, SCHEMA)
# Identity's revoked sign-in sessions, as this service has read them (require_staff refuses their tokens).
revoked_sessions = revoked_sessions_table(metadata, SCHEMA)
# Parked records, kept to be listed, replayed or discarded, and what operators did with them.
dead_letters = dead_letters_table(metadata, SCHEMA)
dead_letter_actions = dead_letter_actions_table(metadata, SCHEMA)

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    # Stored lower-cased (the domain's normalise_email), so the unique index is case-blind.
    sa.Column("email", sa.Text, nullable=False, unique=True),
    sa.Column("roles", ARRAY(sa.Text), nullable=False),
    sa.Column("programmes", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("sites", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("worker_id", UUID(as_uuid=True)),
    sa.Column("partner_id", sa.Text, comment="a referrer's partner (intake's partner id)"),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("account_id", UUID(as_uuid=True), sa.ForeignKey("identity.accounts.id"), nullable=False),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    sa.Column("revoked_reason", sa.Text),
    sa.Index("ix_sessions_account_id", "account_id"),  # disabling an account finds its live sessions
)
