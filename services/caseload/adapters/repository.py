"""Caseload repositories."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from . import tables as t


class WorkerRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, **values: Any) -> None:
        await self.conn.execute(sa.insert(t.workers).values(**values))

    async def list(self, programme_id: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(t.workers).order_by(t.workers.c.name)
        if programme_id:
            query = query.where(t.workers.c.programme_id == programme_id)
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def take_capacity(self, programme_id: str, role: str, hours: Decimal) -> dict[str, Any] | None:
        """Reserve `hours` on the least-loaded worker with room, atomically; None if nobody has room.

        The row lock and the re-checked condition make concurrent reservations
        (from any number of replicas) serialise per worker; the CHECK constraint
        is the last line of defence.
        """
        w = t.workers
        candidate = (
            sa.select(w.c.id)
            .where(
                w.c.programme_id == programme_id,
                w.c.role == role,
                w.c.active,
                (w.c.capacity_hours - w.c.load_hours) >= hours,
            )
            .order_by((w.c.load_hours / w.c.capacity_hours), w.c.id)
            .limit(1)
            .with_for_update()
            .scalar_subquery()
        )
        row = (
            await self.conn.execute(
                sa.update(w)
                .where(w.c.id == candidate, (w.c.capacity_hours - w.c.load_hours) >= hours)
                .values(load_hours=w.c.load_hours + hours)
                .returning(w.c.id, w.c.role)
            )
        ).first()
        return dict(row._mapping) if row else None

    async def release_capacity(self, worker_id: uuid.UUID, hours: Decimal) -> None:
        w = t.workers
        await self.conn.execute(
            sa.update(w).where(w.c.id == worker_id).values(load_hours=sa.func.greatest(w.c.load_hours - hours, 0))
        )

    async def role_of(self, worker_id: uuid.UUID) -> str | None:
        return (await self.conn.execute(sa.select(t.workers.c.role).where(t.workers.c.id == worker_id))).scalar()


class CaseRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, **values: Any) -> None:
        await self.conn.execute(sa.insert(t.cases).values(**values))

    async def get(self, case_id: uuid.UUID, *, for_update: bool = False) -> dict[str, Any] | None:
        query = sa.select(t.cases).where(t.cases.c.id == case_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).first()
        return dict(row._mapping) if row else None

    async def find(self, referral_id: uuid.UUID | None = None, worker_id: uuid.UUID | None = None) -> list[dict]:
        query = sa.select(t.cases).order_by(t.cases.c.opened_at)
        if referral_id:
            query = query.where(t.cases.c.referral_id == referral_id)
        if worker_id:
            query = query.where(t.cases.c.worker_id == worker_id)
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def update(self, case_id: uuid.UUID, **values: Any) -> None:
        await self.conn.execute(sa.update(t.cases).where(t.cases.c.id == case_id).values(**values))

    async def next_waiting(self, programme_id: str, limit: int = 20) -> list[dict[str, Any]]:
        """Waiting cases, most urgent first then longest waiting, locked against other assigners."""
        rows = await self.conn.execute(
            sa.select(t.cases)
            .where(t.cases.c.programme_id == programme_id, t.cases.c.status == "waiting")
            .order_by(t.cases.c.priority, t.cases.c.opened_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [dict(r._mapping) for r in rows]

    async def add_contact(self, **values: Any) -> None:
        await self.conn.execute(sa.insert(t.contacts).values(**values))

    async def contact_count(self, case_id: uuid.UUID) -> int:
        return (
            await self.conn.execute(sa.select(sa.func.count()).where(t.contacts.c.case_id == case_id))
        ).scalar_one()


