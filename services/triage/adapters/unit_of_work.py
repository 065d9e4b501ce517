"""Triage's unit of work on PostgreSQL and the repository of its decisions: SQL, so it lives with the adapters."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.triage.adapters import tables
from shared.platform.uow import SqlUnitOfWork

SOURCE = "/services/triage"


class DecisionRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, referral_id: uuid.UUID) -> dict[str, Any] | None:
        row = (
            await self.conn.execute(sa.select(tables.decisions).where(tables.decisions.c.referral_id == referral_id))
        ).first()
        return dict(row._mapping) if row else None


class TriageUnitOfWork(SqlUnitOfWork):
    decisions: DecisionRepository

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine, outbox=tables.outbox, inbox=tables.inbox, source=SOURCE)

    def _bind_repositories(self, conn: AsyncConnection) -> None:
        self.decisions = DecisionRepository(conn)
