"""The unit of work: one database transaction holding state changes, the inbox claim and outgoing events.

Services subclass it to expose their repositories. Nothing is published
directly: events go to the outbox in the same transaction as the change they
describe, and the relay publishes them after commit.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.platform.logging import get_logger
from shared.platform.messaging.inbox import claim
from shared.platform.messaging.outbox import add_to_outbox
from shared.platform.tracing import current_trace_context
from shared.schemas.envelope import Envelope, EventPayload, new_envelope

log = get_logger(__name__)


class UnitOfWork:
    def __init__(self, engine: AsyncEngine, *, outbox: sa.Table, inbox: sa.Table, source: str) -> None:
        self._engine = engine
        self._outbox = outbox
        self._inbox = inbox
        self._source = source
        self.conn: AsyncConnection
        self.emitted: list[Envelope] = []

    async def __aenter__(self):
        self.conn = await self._engine.connect()
        await self.conn.begin()
        self._bind_repositories(self.conn)
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        try:
            if self.conn.in_transaction():
                await self.conn.rollback()  # anything not explicitly committed is undone
        finally:
            await self.conn.close()

    def _bind_repositories(self, conn: AsyncConnection) -> None:
        """Subclasses attach their repositories to the connection here."""

    async def commit(self) -> None:
        await self.conn.commit()

    async def first_delivery(self, consumer: str, envelope: Envelope) -> bool:
        first = await claim(self.conn, self._inbox, consumer, envelope)
        if not first:
            log.info("event_already_handled", inbox_consumer=consumer)
        return first

    async def emit(
        self,
        payload: EventPayload,
        *,
        topic: str,
        subject: str,
        correlation_id: uuid.UUID,
        causation_id: uuid.UUID | None = None,
    ) -> Envelope:
        envelope = new_envelope(
            payload, source=self._source, subject=subject, correlation_id=correlation_id, causation_id=causation_id,
            trace_context=current_trace_context(),
        )
        await add_to_outbox(self.conn, self._outbox, envelope, topic)
        self.emitted.append(envelope)
        return envelope
