"""Caseload repositories: the only code that knows caseload's tables."""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.caseload.domain.case import DERIVED_FIELDS, Case
from services.caseload.domain.matching import WorkerProfile
from services.caseload.domain.model import CaseState
from services.caseload.service_layer.unit_of_work import (
    DEFAULT_SETTINGS,
    CaseRepository,
    CaseViews,
    OfferRepository,
    SettingsRepository,
    WorkerRepository,
)

from . import tables as t



class SqlWorkerRepository(WorkerRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, **values: Any) -> None:
        await self._conn.execute(sa.insert(t.workers).values(**values))

    async def update(self, worker_id: uuid.UUID, **values: Any) -> bool:
        if not values:  # nothing to change (a PATCH of {}): an UPDATE that sets nothing is not SQL
            return await self.get(worker_id) is not None
        result = await self._conn.execute(sa.update(t.workers).where(t.workers.c.id == worker_id).values(**values))
        return result.rowcount == 1

    async def get(self, worker_id: uuid.UUID) -> dict[str, Any] | None:
        row = (await self._conn.execute(sa.select(t.workers).where(t.workers.c.id == worker_id))).first()
        return dict(row._mapping) if row else None

    async def list(self, programme_id: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(t.workers).order_by(t.workers.c.name)
        if programme_id:
            query = query.where(t.workers.c.programme_id == programme_id)
        return [dict(r._mapping) for r in await self._conn.execute(query)]

    async def profiles(self, programme_id: str, role: str) -> list[WorkerProfile]:
        w = t.workers
        rows = await self._conn.execute(sa.select(w).where(w.c.programme_id == programme_id, w.c.role == role, w.c.active))
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
        result = await self._conn.execute(
            sa.update(w)
            .where(w.c.id == worker_id, w.c.active, (w.c.capacity_hours - w.c.load_hours) >= hours,
                   w.c.open_cases < w.c.max_open_cases)
            .values(load_hours=w.c.load_hours + hours, open_cases=w.c.open_cases + 1)
        )
        return result.rowcount == 1

    async def release(self, worker_id: uuid.UUID, hours: Decimal) -> None:
        w = t.workers
        await self._conn.execute(
            sa.update(w).where(w.c.id == worker_id).values(
                load_hours=sa.func.greatest(w.c.load_hours - hours, 0),
                open_cases=sa.func.greatest(w.c.open_cases - 1, 0))
        )

    async def active_count(self, programme_id: str) -> int:
        w = t.workers
        return (await self._conn.execute(sa.select(sa.func.count()).where(w.c.programme_id == programme_id, w.c.active))).scalar_one()


# The case's fields kept in its row; status and worker are also kept there, from its state, for queries.
_CASE_FIELDS = tuple(f.name for f in fields(Case) if f.name not in DERIVED_FIELDS)
_MUTABLE = ("waiting_since", "assigned_at", "first_contact_due_at", "first_contact_at", "review_due_at",
            "budget_ends_at", "closed_at", "closure_reason", "measures", "follow_up_due_at", "follow_up_requested_at",
            "consent", "needs")
# Cases whose person asked not to be contacted: no first contact falls due, no follow-up is asked for.
_MAY_CONTACT = sa.func.coalesce(t.cases.c.consent["to_contact"].astext, "") != "false"


class SqlCaseRepository(CaseRepository):
    def __init__(self, conn: AsyncConnection, settings: SettingsRepository) -> None:
        self._conn = conn
        self._settings = settings
        # One object per case per transaction: its history is read once and each new event applied to it.
        self._seen: dict[uuid.UUID, Case] = {}

    async def add(self, case: Case) -> None:
        await self._conn.execute(sa.insert(t.cases).values(
            **{name: getattr(case, name) for name in _CASE_FIELDS}, status=case.status.value,
            worker_id=case.worker_id))
        self._seen[case.id] = case

    async def get(self, case_id: uuid.UUID) -> Case | None:
        if case_id in self._seen:
            return self._seen[case_id]
        cases = await self._load(sa.select(t.cases).where(t.cases.c.id == case_id).with_for_update())
        return cases[0] if cases else None

    async def for_referral(self, referral_id: uuid.UUID) -> Case | None:
        cases = await self._load(sa.select(t.cases).where(t.cases.c.referral_id == referral_id))
        return cases[0] if cases else None

    async def save(self, case: Case) -> list:
        pending = case.take_pending()
        stored = [p for p in pending if p.in_history]
        if stored:
            await self._conn.execute(sa.insert(t.case_events), [
                {"case_id": case.id, "event_type": p.payload.event_type, "data": p.payload.model_dump(mode="json"),
                 "at": p.at, "actor": p.actor} for p in stored])
        for contact in case.new_contacts:
            await self._conn.execute(sa.insert(t.contacts).values(
                id=contact.id, case_id=case.id, kind=contact.kind, minutes=contact.minutes,
                occurred_at=contact.occurred_at, recorded_by=contact.recorded_by))
        case.new_contacts = []
        await self._conn.execute(sa.update(t.cases).where(t.cases.c.id == case.id).values(
            status=case.status.value, worker_id=case.worker_id, **{name: getattr(case, name) for name in _MUTABLE}))
        return pending

    async def waiting(self, programme_id: str, limit: int = 100) -> list[Case]:
        return await self._load(
            sa.select(t.cases).where(t.cases.c.programme_id == programme_id, t.cases.c.status == "waiting")
            .order_by(t.cases.c.waiting_since).limit(limit).with_for_update(skip_locked=True))

    async def waiting_entries(self, programme_id: str) -> list[dict[str, Any]]:
        rows = await self._conn.execute(sa.select(t.cases).where(
            t.cases.c.programme_id == programme_id, t.cases.c.status == "waiting"))
        return [dict(r._mapping) for r in rows]

    async def closures_since(self, programme_id: str, since: datetime) -> int:
        c = t.cases
        return (await self._conn.execute(sa.select(sa.func.count()).where(
            c.c.programme_id == programme_id, c.c.closed_at >= since))).scalar_one()

    async def first_contact_overdue(self, now: datetime, limit: int = 100) -> list[Case]:
        c = t.cases
        return await self._load(sa.select(c).where(
            c.c.status == "assigned", c.c.first_contact_at.is_(None), c.c.first_contact_due_at <= now, _MAY_CONTACT,
            ~sa.exists().where(t.case_events.c.case_id == c.c.id,
                               t.case_events.c.event_type == "case.first_contact_deadline_missed"))
            .with_for_update(skip_locked=True).limit(limit))

    async def follow_ups_due(self, now: datetime, limit: int = 100) -> list[Case]:
        c = t.cases
        return await self._load(sa.select(c).where(
            c.c.status == "closed", c.c.follow_up_due_at <= now, c.c.follow_up_requested_at.is_(None), _MAY_CONTACT)
            .with_for_update(skip_locked=True).limit(limit))

    async def _load(self, query: sa.Select) -> list[Case]:
        """The cases the query selects, each with its history folded, in one read of the histories."""
        rows = [dict(r._mapping) for r in await self._conn.execute(query)]
        fresh = [r for r in rows if r["id"] not in self._seen]
        histories: dict[uuid.UUID, list[tuple[str, dict]]] = {r["id"]: [] for r in fresh}
        if fresh:
            events = await self._conn.execute(
                sa.select(t.case_events.c.case_id, t.case_events.c.event_type, t.case_events.c.data)
                .where(t.case_events.c.case_id.in_(list(histories))).order_by(t.case_events.c.id))
            for e in events:
                histories[e.case_id].append((e.event_type, e.data))
        budgets: dict[str, dict[str, Any]] = {}
        for row in fresh:
            if row["programme_id"] not in budgets:
                budgets[row["programme_id"]] = await self._settings.get(row["programme_id"])
            settings = budgets[row["programme_id"]]
            state = CaseState.fold(histories[row["id"]], budget_weeks=settings["budget_weeks"],
                                   budget_sessions=settings["budget_sessions"])
            values = {name: row[name] for name in _CASE_FIELDS}
            values["needs"] = values["needs"] or {}
            self._seen[row["id"]] = Case(**values, state=state)
        return [self._seen[r["id"]] for r in rows]


class SqlCaseViews(CaseViews):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def find(self, referral_id: uuid.UUID | None = None, worker_id: uuid.UUID | None = None,
                   status: str | None = None) -> list[dict]:
        query = sa.select(t.cases).order_by(t.cases.c.opened_at)
        if referral_id:
            query = query.where(t.cases.c.referral_id == referral_id)
        if worker_id:
            query = query.where(t.cases.c.worker_id == worker_id)
        if status:
            query = query.where(t.cases.c.status == status)
        return [dict(r._mapping) for r in await self._conn.execute(query)]

    async def events(self, case_id: uuid.UUID) -> list[dict[str, Any]]:
        rows = await self._conn.execute(sa.select(t.case_events).where(t.case_events.c.case_id == case_id)
                                        .order_by(t.case_events.c.id))
        return [dict(r._mapping) for r in rows]


class SqlOfferRepository(OfferRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, **values: Any) -> None:
        await self._conn.execute(sa.insert(t.offers).values(**values))

    async def get(self, offer_id: uuid.UUID) -> dict[str, Any] | None:
        query = sa.select(t.offers).where(t.offers.c.id == offer_id).with_for_update()
        row = (await self._conn.execute(query)).first()
        return dict(row._mapping) if row else None

    async def respond(self, offer_id: uuid.UUID, status: str, at: datetime, reason: str | None = None,
                      code: str | None = None) -> None:
        await self._conn.execute(sa.update(t.offers).where(t.offers.c.id == offer_id).values(
            status=status, responded_at=at, response_reason=reason, response_code=code))

    async def answers_since(self, programme_id: str, since: datetime) -> list[dict[str, Any]]:
        o = t.offers.c
        query = (sa.select(o.worker_id, o.status, o.response_code, sa.func.count().label("count"))
                 .join_from(t.offers, t.cases, t.cases.c.id == o.case_id)
                 .where(t.cases.c.programme_id == programme_id, o.status.in_(["declined", "expired"]),
                        o.responded_at >= since)
                 .group_by(o.worker_id, o.status, o.response_code))
        return [dict(r._mapping) for r in await self._conn.execute(query)]

    async def tried_workers(self, case_id: uuid.UUID) -> frozenset[str]:
        rows = await self._conn.execute(sa.select(t.offers.c.worker_id).where(
            t.offers.c.case_id == case_id, t.offers.c.status.in_(["declined", "expired"])))
        return frozenset(str(r.worker_id) for r in rows)

    async def expired(self, now: datetime, limit: int = 50) -> list[dict[str, Any]]:
        rows = await self._conn.execute(sa.select(t.offers).where(t.offers.c.status == "open", t.offers.c.expires_at <= now)
                                       .order_by(t.offers.c.expires_at).limit(limit).with_for_update(skip_locked=True))
        return [dict(r._mapping) for r in rows]

    async def for_worker(self, worker_id: uuid.UUID, status: str = "open") -> list[dict[str, Any]]:
        rows = await self._conn.execute(sa.select(t.offers).where(t.offers.c.worker_id == worker_id,
                                                                 t.offers.c.status == status).order_by(t.offers.c.offered_at))
        return [dict(r._mapping) for r in rows]


class SqlSettingsRepository(SettingsRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, programme_id: str) -> dict[str, Any]:
        row = (await self._conn.execute(sa.select(t.programme_settings).where(
            t.programme_settings.c.programme_id == programme_id))).first()
        return {**DEFAULT_SETTINGS, **({k: v for k, v in row._mapping.items() if k != "programme_id"} if row else {})}

    async def put(self, programme_id: str, values: dict[str, Any]) -> None:
        statement = insert(t.programme_settings).values(programme_id=programme_id, **values)
        await self._conn.execute(statement.on_conflict_do_update(index_elements=["programme_id"], set_=values))
