"""What readiness asks of a service's dependencies: each check answers None (fine) or what is wrong."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncEngine


async def database_problem(engine: AsyncEngine, timeout_s: float = 2) -> str | None:
    try:
        async with engine.connect() as conn:
            await asyncio.wait_for(conn.execute(sa.text("SELECT 1")), timeout=timeout_s)
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return type(exc).__name__


async def broker_problem(producer: AIOKafkaProducer, timeout_s: float = 2) -> str | None:
    """A metadata round trip for the topics the producer uses (its cached metadata would say yes to a
    broker that has gone; asking for every topic in the cluster would be more than a probe needs)."""
    try:
        updated = await asyncio.wait_for(producer.client.force_metadata_update(), timeout=timeout_s)
    except Exception as exc:  # noqa: BLE001
        return type(exc).__name__
    return None if updated else "no broker answered a metadata request"
