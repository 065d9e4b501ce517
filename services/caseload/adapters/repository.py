"""Caseload repositories: the only code that knows caseload's tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.caseload.domain.matching import WorkerProfile

from . import tables as t

DEFAULT_SETTINGS = {"first_contact_working_days": 5, "offer_timeout_minutes": 2880.0, "review_weeks": 6,
                    "budget_weeks": 12, "budget_sessions": 12, "follow_up_months": 3, "ageing_days": 14.0}


class WorkerRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, **values: Any) -> None:
        await self.conn.execute(sa.insert(t.workers).values(**values))

    async def update(self, worker_id: uuid.UUID, **values: Any) -> bool:
        result = await self.conn.execute(sa.update(t.workers).where(t.workers.c.id == worker_id).values(**values))
        return result.rowcount == 1

    async def get(self, worker_id: uuid.UUID) -> dict[str, Any] | None:
        row = (await self.conn.execute(sa.select(t.workers).where(t.workers.c.id == worker_id))).first()
        return dict(row._mapping) if row else None

    async def list(self, programme_id: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(t.workers).order_by(t.workers.c.name)
        if programme_id:
            query = query.where(t.workers.c.programme_id == programme_id)
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def profiles(self, programme_id: str, role: str) -> list[WorkerProfile]:
        w = t.workers
        rows = await self.conn.execute(sa.select(w).where(w.c.programme_id == programme_id, w.c.role == role, w.c.active))
        return [
            WorkerProfile(
                id=str(r.id), role=r.role, capacity_hours=r.capacity_hours, load_hours=r.load_hours,
                max_open_cases=r.max_open_cases, open_cases=r.open_cases, site=r.site, languages=tuple(r.languages),
                gender=r.gender, interests=tuple(r.interests), home_visits=r.home_visits,
                travel_districts=tuple(r.travel_districts),
            )
            for r in rows
        ]

    async def reserve(self, worker_id: uuid.UUID, hours: Decimal) -> bool:
        """Take `hours` and one case slot on the worker, atomically, only if they have room.

        The condition is re-checked under the row lock, so any number of replicas reserving
        at once serialise per worker; the CHECK constraints are the last line of defence.
        """
        w = t.workers
        result = await self.conn.execute(
            sa.update(w)
            .where(w.c.id == worker_id, w.c.active, (w.c.capacity_hours - w.c.load_hours) >= hours,
                   w.c.open_cases < w.c.max_open_cases)
            .values(load_hours=w.c.load_hours + hours, open_cases=w.c.open_cases + 1)
        )
        return result.rowcount == 1

    async def release(self, worker_id: uuid.UUID, hours: Decimal) -> None:
        w = t.workers
        await self.conn.execute(
            sa.update(w).where(w.c.id == worker_id).values(
                load_hours=sa.func.greatest(w.c.load_hours - hours, 0),
                open_cases=sa.func.greatest(w.c.open_cases - 1, 0))
        )

    async def active_count(self, programme_id: str) -> int:
        w = t.workers
        return (await self.conn.execute(sa.select(sa.func.count()).where(w.c.programme_id == programme_id, w.c.active))).scalar_one()


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

    async def find(self, referral_id: uuid.UUID | None = None, worker_id: uuid.UUID | None = None,
                   status: str | None = None, programme_id: str | None = None) -> list[dict]:
        query = sa.select(t.cases).order_by(t.cases.c.opened_at)
        if referral_id:
            query = query.where(t.cases.c.referral_id == referral_id)
        if worker_id:
            query = query.where(t.cases.c.worker_id == worker_id)
        if status:
            query = query.where(t.cases.c.status == status)
        if programme_id:
            query = query.where(t.cases.c.programme_id == programme_id)
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def update(self, case_id: uuid.UUID, **values: Any) -> None:
        await self.conn.execute(sa.update(t.cases).where(t.cases.c.id == case_id).values(**values))

    async def append_event(self, case_id: uuid.UUID, event_type: str, data: dict, at: datetime, actor: str | None) -> None:
        await self.conn.execute(sa.insert(t.case_events).values(
            case_id=case_id, event_type=event_type, data=data, at=at, actor=actor))

    async def events(self, case_id: uuid.UUID) -> list[dict[str, Any]]:
        rows = await self.conn.execute(sa.select(t.case_events).where(t.case_events.c.case_id == case_id)
                                       .order_by(t.case_events.c.id))
        return [dict(r._mapping) for r in rows]

    async def waiting(self, programme_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """Waiting cases, locked against other assigners (skipping those another replica holds)."""
        rows = await self.conn.execute(
            sa.select(t.cases).where(t.cases.c.programme_id == programme_id, t.cases.c.status == "waiting")
            .order_by(t.cases.c.waiting_since).limit(limit).with_for_update(skip_locked=True)
        )
        return [dict(r._mapping) for r in rows]

    async def all_waiting(self, programme_id: str) -> list[dict[str, Any]]:
        rows = await self.conn.execute(sa.select(t.cases).where(
            t.cases.c.programme_id == programme_id, t.cases.c.status == "waiting"))
        return [dict(r._mapping) for r in rows]

    async def closures_since(self, programme_id: str, since: datetime) -> int:
        c = t.cases
        return (await self.conn.execute(sa.select(sa.func.count()).where(
            c.c.programme_id == programme_id, c.c.closed_at >= since))).scalar_one()

    async def add_contact(self, **values: Any) -> None:
        await self.conn.execute(sa.insert(t.contacts).values(**values))

    async def contact_count(self, case_id: uuid.UUID) -> int:
        return (await self.conn.execute(sa.select(sa.func.count()).where(t.contacts.c.case_id == case_id))).scalar_one()


class OfferRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, **values: Any) -> None:
        await self.conn.execute(sa.insert(t.offers).values(**values))

    async def get(self, offer_id: uuid.UUID, *, for_update: bool = False) -> dict[str, Any] | None:
        query = sa.select(t.offers).where(t.offers.c.id == offer_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).first()
        return dict(row._mapping) if row else None

    async def respond(self, offer_id: uuid.UUID, status: str, at: datetime, reason: str | None = None) -> None:
        await self.conn.execute(sa.update(t.offers).where(t.offers.c.id == offer_id).values(
            status=status, responded_at=at, response_reason=reason))

    async def tried_workers(self, case_id: uuid.UUID) -> frozenset[str]:
        rows = await self.conn.execute(sa.select(t.offers.c.worker_id).where(
            t.offers.c.case_id == case_id, t.offers.c.status.in_(["declined", "expired"])))
        return frozenset(str(r.worker_id) for r in rows)

    async def expired(self, now: datetime, limit: int = 50) -> list[dict[str, Any]]:
        rows = await self.conn.execute(sa.select(t.offers).where(t.offers.c.status == "open", t.offers.c.expires_at <= now)
                                       .order_by(t.offers.c.expires_at).limit(limit).with_for_update(skip_locked=True))
        return [dict(r._mapping) for r in rows]

    async def for_worker(self, worker_id: uuid.UUID, status: str = "open") -> list[dict[str, Any]]:
        rows = await self.conn.execute(sa.select(t.offers).where(t.offers.c.worker_id == worker_id,
                                                                 t.offers.c.status == status).order_by(t.offers.c.offered_at))
        return [dict(r._mapping) for r in rows]


class SettingsRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, programme_id: str) -> dict[str, Any]:
        row = (await self.conn.execute(sa.select(t.programme_settings).where(
            t.programme_settings.c.programme_id == programme_id))).first()
        return {**DEFAULT_SETTINGS, **({k: v for k, v in row._mapping.items() if k != "programme_id"} if row else {})}

    async def put(self, programme_id: str, values: dict[str, Any]) -> None:
        statement = insert(t.programme_settings).values(programme_id=programme_id, **values)
        await self.conn.execute(statement.on_conflict_do_update(index_elements=["programme_id"], set_=values))
