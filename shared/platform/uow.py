"""The unit of work: one transaction holding state changes, the inbox claim and outgoing events.

`UnitOfWork` is the port the service layer sees: repositories (declared by each
service's own subclass), `commit`, `first_delivery` (the inbox) and `emit` (the
outbox). `SqlUnitOfWork` is the PostgreSQL adapter: one database transaction,
whose connection is private to it and to the repositories it binds. Unit tests use
in-memory fakes of the same port.

Nothing is published directly: events go to the outbox in the same transaction as
the change they describe, and the relay publishes them after commit.
"""

from __future__ import annotations

import abc
import uuid

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.platform.logging import get_logger
from shared.platform.messaging.inbox import claim
from shared.platform.messaging.outbox import add_to_outbox
from shared.platform.tracing import current_trace_context
from shared.schemas.envelope import Envelope, EventPayload, new_envelope

log = get_logger(__name__)


class Conflict(Exception):
    """Another transaction stored the same thing first (a unique constraint); look again and retry."""


class UnitOfWork(abc.ABC):
    """What a use case holds while it works: anything not committed is undone on exit."""

    source: str

    def __init__(self) -> None:
        self.emitted: list[Envelope] = []

    async def __aenter__(self):
        await self._begin()
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        await self._end()

    async def _begin(self) -> None:
        """Open the transaction and attach the repositories."""

    async def _end(self) -> None:
        """Roll back whatever was not committed, and let go of the transaction."""

    @abc.abstractmethod
    async def commit(self) -> None: ...

    async def first_delivery(self, consumer: str, envelope: Envelope) -> bool:
        """Record that `consumer` handled this event; False if it already had (a redelivery)."""
        first = await self._claim(consumer, envelope)
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
            payload, source=self.source, subject=subject, correlation_id=correlation_id, causation_id=causation_id,
            trace_context=current_trace_context(),
        )
        await self._stage(envelope, topic)
        self.emitted.append(envelope)
        return envelope

    @abc.abstractmethod
    async def _claim(self, consumer: str, envelope: Envelope) -> bool: ...

    @abc.abstractmethod
    async def _stage(self, envelope: Envelope, topic: str) -> None:
        """Hold the event to be published once this unit of work commits."""


class SqlUnitOfWork(UnitOfWork):
    """A PostgreSQL transaction; services subclass it to bind their repositories to its connection."""

    def __init__(self, engine: AsyncEngine, *, outbox: sa.Table, inbox: sa.Table, source: str) -> None:
        super().__init__()
        self._engine = engine
        self._outbox = outbox
        self._inbox = inbox
        self.source = source
        self._conn: AsyncConnection

    async def _begin(self) -> None:
        self._conn = await self._engine.connect()
        await self._conn.begin()
        self._bind_repositories(self._conn)

    async def _end(self) -> None:
        try:
            if self._conn.in_transaction():
                await self._conn.rollback()  # anything not explicitly committed is undone
        finally:
            await self._conn.close()

    def _bind_repositories(self, conn: AsyncConnection) -> None:
        """Subclasses attach their repositories to the connection here."""

    async def commit(self) -> None:
        try:
            await self._conn.commit()
        except IntegrityError as exc:
            raise Conflict(str(exc.orig)) from exc

    async def _claim(self, consumer: str, envelope: Envelope) -> bool:
        return await claim(self._conn, self._inbox, consumer, envelope)

    async def _stage(self, envelope: Envelope, topic: str) -> None:
        await add_to_outbox(self._conn, self._outbox, envelope, topic)
