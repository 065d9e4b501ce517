"""Writing events to the outbox, inside the caller's transaction."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.schemas.envelope import Envelope


async def add_to_outbox(
    conn: AsyncSession | AsyncConnection, outbox: sa.Table, envelope: Envelope, topic: str
) -> None:
    await conn.execute(
        sa.insert(outbox).values(
            event_id=envelope.id,
            topic=topic,
            message_key=envelope.subject,
            event_type=envelope.type,
            envelope=envelope.model_dump(mode="json"),
        )
    )
