"""One leader at a time among a service's replicas, by a PostgreSQL session advisory lock.

Used for work that must run in one place (the outbox relay keeps an aggregate's
events in order; the webhook dispatcher sends each delivery once). The lock
lives as long as the connection: a replica that dies loses it at once.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine


@asynccontextmanager
async def leadership(engine: AsyncEngine, name: str) -> AsyncIterator[bool]:
    """Yield True while this process holds the lock called `name`, False if another process does."""
    key = zlib.crc32(name.encode())
    async with engine.connect() as conn:
        got = bool((await conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key})).scalar())
        await conn.commit()
        try:
            yield got
        finally:
            if got:
                await conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                await conn.commit()
