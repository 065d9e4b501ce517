"""The idempotent-consumer inbox: (consumer, event id) recorded with the consumer's writes."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.schemas.envelope import Envelope


async def claim(conn: AsyncSession | AsyncConnection, inbox: sa.Table, consumer: str, envelope: Envelope) -> bool:
    """True the first time this consumer sees the event; False for a redelivery.

    Must run in the same transaction as the handler's writes: if that transaction
    rolls back, the claim goes with it and the event will be handled again.
    """
    result = await conn.execute(
        insert(inbox)
        .values(consumer=consumer, event_id=envelope.id, event_type=envelope.type)
        .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
        .returning(inbox.c.event_id)
    )
    return result.first() is not None
