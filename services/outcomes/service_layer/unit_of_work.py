from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.outcomes.adapters import tables as t
from shared.platform.uow import UnitOfWork

SOURCE = "/services/outcomes"


class OutcomeRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add_score(self, **values: Any) -> None:
        await self.conn.execute(insert(t.measure_scores).values(**values).on_conflict_do_nothing())

    async def add_case_outcome(self, **values: Any) -> None:
        await self.conn.execute(sa.insert(t.case_outcomes).values(**values))

    async def case_outcome(self, case_id: uuid.UUID) -> dict[str, Any] | None:
        row = (await self.conn.execute(sa.select(t.case_outcomes).where(t.case_outcomes.c.case_id == case_id))).first()
        return dict(row._mapping) if row else None

    async def scores(self, case_id: uuid.UUID) -> list[dict[str, Any]]:
        rows = await self.conn.execute(sa.select(t.measure_scores).where(t.measure_scores.c.case_id == case_id))
        return [dict(r._mapping) for r in rows]

    async def loneliness_summary(self, programme_id: str | None) -> dict[str, Any]:
        c = t.case_outcomes
        query = sa.select(
            sa.func.count().label("paired"),
            sa.func.count().filter(c.c.ucla_direction == "improved").label("improved"),
            sa.func.count().filter(c.c.ucla_direction == "same").label("same"),
            sa.func.count().filter(c.c.ucla_direction == "worse").label("worse"),
            sa.func.avg(c.c.ucla_change).label("mean_change"),
            sa.func.stddev_samp(c.c.ucla_change).label("sd_change"),
        ).where(c.c.ucla_change.is_not(None))
        if programme_id:
            query = query.where(c.c.programme_id == programme_id)
        row = (await self.conn.execute(query)).one()
        return dict(row._mapping)


class OutcomesUnitOfWork(UnitOfWork):
    outcomes: OutcomeRepository

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine, outbox=t.outbox, inbox=t.inbox, source=SOURCE)

    def _bind_repositories(self, conn: AsyncConnection) -> None:
        self.outcomes = OutcomeRepository(conn)
