"""Outcomes repositories: the only code that writes the reporting facts' tables."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.outcomes.domain.records import CaseKey, MeasureRecord, ReferralFacts, TriageOutcome
from services.outcomes.service_layer.ports import (
    CaseFactsRepository,
    MeasuresRepository,
    ReferralFactsRepository,
    SignpostsRepository,
    UnmetNeedsRepository,
)

from . import tables as t


class SqlReferralFacts(ReferralFactsRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record_received(self, referral_id: uuid.UUID, facts: ReferralFacts) -> None:
        values = dataclasses.asdict(facts) | {"trigger_groups": list(facts.trigger_groups)}
        await self._conn.execute(insert(t.referral_facts).values(referral_id=referral_id, **values)
                                 .on_conflict_do_update(index_elements=["referral_id"], set_=values))

    async def record_decision(self, referral_id: uuid.UUID, outcome: TriageOutcome) -> None:
        decided = dict(decision=outcome.decision, decision_reason=outcome.reason, decided_at=outcome.decided_at)
        await self._conn.execute(insert(t.referral_facts).values(
            referral_id=referral_id, person_id=outcome.person_id, programme_id=outcome.programme_id,
            partner_id="", received_at=outcome.decided_at, **decided)
            .on_conflict_do_update(index_elements=["referral_id"], set_=decided))

    async def record_data_sharing(self, referral_id: uuid.UUID, to_data_sharing: bool | None) -> None:
        await self._conn.execute(sa.update(t.referral_facts).where(t.referral_facts.c.referral_id == referral_id)
                                 .values(to_data_sharing=to_data_sharing))


class SqlCaseFacts(CaseFactsRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def open(self, case: CaseKey, opened_at: datetime) -> None:
        await self._conn.execute(insert(t.case_facts).values(
            case_id=case.case_id, referral_id=case.referral_id, programme_id=case.programme_id, opened_at=opened_at)
            .on_conflict_do_nothing())

    async def assign(self, case: CaseKey, worker_id: uuid.UUID, worker_role: str, assigned_at: datetime) -> None:
        await self._upsert(case, worker_id=worker_id, worker_role=worker_role, assigned_at=assigned_at)

    async def transfer(self, case: CaseKey, worker_id: uuid.UUID) -> None:
        await self._upsert(case, worker_id=worker_id)

    async def add_contact(self, case: CaseKey, minutes: int, at: datetime) -> None:
        c = t.case_facts.c
        await self._upsert(case, contacts=c.contacts + 1, contact_minutes=c.contact_minutes + minutes,
                           first_contact_at=sa.func.coalesce(c.first_contact_at, at))

    async def close(self, case: CaseKey, closed_at: datetime, closure_reason: str, worker_id: uuid.UUID,
                    worker_role: str) -> None:
        await self._upsert(case, closed_at=closed_at, closure_reason=closure_reason, worker_id=worker_id,
                           worker_role=worker_role)

    async def _upsert(self, case: CaseKey, **values: Any) -> None:
        # A new row takes the plain values; expressions over the existing row apply only to an update.
        plain = {k: v for k, v in values.items() if not isinstance(v, sa.sql.ClauseElement)}
        statement = insert(t.case_facts).values(case_id=case.case_id, referral_id=case.referral_id,
                                                programme_id=case.programme_id, **plain)
        await self._conn.execute(statement.on_conflict_do_update(index_elements=["case_id"], set_=values))


class SqlMeasures(MeasuresRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def save(self, measure: MeasureRecord) -> None:
        values = dataclasses.asdict(measure)
        key = {k: values.pop(k) for k in ("case_id", "instrument", "timepoint")}
        await self._conn.execute(insert(t.measures).values(**key, **values).on_conflict_do_update(
            index_elements=["case_id", "instrument", "timepoint"], set_=values))


class SqlSignposts(SignpostsRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, signpost_id: uuid.UUID, case_id: uuid.UUID, programme_id: str, destination: str,
                  category: str | None) -> None:
        await self._conn.execute(insert(t.signposts).values(
            signpost_id=signpost_id, case_id=case_id, programme_id=programme_id, destination=destination,
            category=category).on_conflict_do_nothing())

    async def record_take_up(self, signpost_id: uuid.UUID, taken_up: bool) -> None:
        await self._conn.execute(sa.update(t.signposts).where(t.signposts.c.signpost_id == signpost_id)
                                 .values(taken_up=taken_up))


class SqlUnmetNeeds(UnmetNeedsRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, case_id: uuid.UUID, programme_id: str, need: str, postcode_district: str | None,
                  recorded_at: datetime) -> None:
        await self._conn.execute(sa.insert(t.unmet_needs).values(
            case_id=case_id, programme_id=programme_id, need=need, postcode_district=postcode_district,
            recorded_at=recorded_at))
