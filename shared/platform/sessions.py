"""Revoked sign-in sessions, known to every service: tokens of signed-out sessions are refused.

Identity publishes `identity.session_revoked` on identity.sessions when a session is signed out
or its account disabled. Every service subscribes with a group of its own
(`<service>.identity.sessions`, in CONSUMER_GROUPS) and records each revocation in its own schema's
`revoked_sessions` table, claiming the event in its inbox in the same transaction, as every other
consumer does. require_staff looks up a token's `sid` there (one primary-key read, and only for
tokens that carry a session).

Kept in the database rather than in each process's memory, so that every replica of a service
refuses the token whichever of them read the event (the group splits partitions between replicas),
and a restarted process knows every revocation still in force without replaying the topic.

Until the event has arrived a just-revoked token may still pass, for the time it takes to travel
(normally well under a second): the price of verifying tokens without asking identity on each request.
Rows are forgotten once their token would have expired anyway (at most MAX_TOKEN_LIFETIME).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.platform.logging import get_logger
from shared.platform.messaging.consumer import EventConsumer
from shared.platform.messaging.inbox import claim
from shared.platform.messaging.tables import inbox_table
from shared.schemas.envelope import Envelope
from shared.schemas.events.session import SessionRevoked
from shared.schemas.topics import SESSIONS, consumer_group

log = get_logger(__name__)

TABLE = "revoked_sessions"


def revoked_sessions_table(metadata: sa.MetaData, schema: str) -> sa.Table:
    """Each service's own copy of the revocations still in force (filled from identity's events)."""
    return sa.Table(
        TABLE,
        metadata,
        sa.Column("session_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("account_id", UUID(as_uuid=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False,
                  comment="when the token expires anyway; the row is deleted after it"),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Index(f"ix_{TABLE}_expires_at", "expires_at"),
        schema=schema,
    )


def create_revoked_sessions_table(op, schema: str) -> None:
    """Used by each service's migration that adds the table."""
    revoked_sessions_table(sa.MetaData(), schema).create(op.get_bind(), checkfirst=True)


class RevokedSessions:
    """The service's revoked sessions: written by the consumer below, read by require_staff."""

    def __init__(self, engine: AsyncEngine, schema: str) -> None:
        metadata = sa.MetaData()
        self._engine = engine
        self.table = revoked_sessions_table(metadata, schema)
        self.inbox = inbox_table(metadata, schema)

    async def is_revoked(self, session_id: uuid.UUID) -> bool:
        async with self._engine.connect() as conn:
            row = (await conn.execute(
                sa.select(self.table.c.session_id).where(self.table.c.session_id == session_id))).first()
        return row is not None

    async def record(self, consumer: str, envelope: Envelope, payload: SessionRevoked) -> None:
        async with self._engine.begin() as conn:
            if not await claim(conn, self.inbox, consumer, envelope):
                return  # a redelivery: already recorded
            now = datetime.now(UTC)
            if payload.expires_at > now:  # an expired token is refused on its own
                await conn.execute(insert(self.table).values(
                    session_id=payload.session_id, account_id=payload.account_id, expires_at=payload.expires_at,
                    revoked_at=payload.revoked_at).on_conflict_do_nothing(index_elements=["session_id"]))
            # Housekeeping in passing: revocations of tokens that have expired mean nothing any more.
            await conn.execute(sa.delete(self.table).where(self.table.c.expires_at <= now))
        log.info("session_revoked", session_id=str(payload.session_id), reason=payload.reason)


def revocations_consumer(ctx, revoked: RevokedSessions | None) -> EventConsumer:
    """The platform's subscription in every service: identity's revocations into `revoked`
    (None only where the consumer is built to be described, as the AsyncAPI documents do)."""
    group = consumer_group(ctx.name, SESSIONS)

    async def on_revoked(envelope: Envelope, payload: SessionRevoked) -> None:
        assert revoked is not None, "a described consumer is never run"
        await revoked.record(group, envelope, payload)

    return ctx.consumer(group, ctx.topics.sessions, {SessionRevoked.event_type: on_revoked})
