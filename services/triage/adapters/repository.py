"""Triage's repositories on PostgreSQL: decisions and their history, the review queue, rule-set versions."""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.triage.adapters import tables as t
from services.triage.domain.facts import ReferralFacts
from services.triage.domain.ruleset import RuleSet
from services.triage.service_layer.unit_of_work import (
    DecidedReferral,
    DecisionEntry,
    DecisionRepository,
    Review,
    ReviewRepository,
    RuleSetRepository,
)


class SqlDecisionRepository(DecisionRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, entry: DecisionEntry, *, person_id: uuid.UUID, partner_id: str, facts: ReferralFacts,
                  correlation_id: uuid.UUID) -> None:
        await self._conn.execute(sa.insert(t.decisions).values(
            referral_id=entry.referral_id, person_id=person_id, programme_id=facts.programme_id,
            referring_partner_id=partner_id, facts=facts.to_json(), received_at=facts.received_at,
            correlation_id=correlation_id, **_values(entry)))
        await self._add_history(entry)

    async def revise(self, entry: DecisionEntry) -> None:
        await self._conn.execute(sa.update(t.decisions).where(t.decisions.c.referral_id == entry.referral_id)
                                 .values(**_values(entry)))
        await self._add_history(entry)

    async def _add_history(self, entry: DecisionEntry) -> None:
        outcome = entry.outcome
        await self._conn.execute(sa.insert(t.decision_history).values(
            referral_id=entry.referral_id, decision=outcome.decision.value, reason_code=outcome.reason_code,
            ruleset_version=outcome.ruleset_version, decided_by=entry.decided_by, note=entry.note,
            decided_at=entry.decided_at))

    async def get_for_update(self, referral_id: uuid.UUID) -> DecidedReferral | None:
        row = (await self._conn.execute(sa.select(t.decisions).where(t.decisions.c.referral_id == referral_id)
                                        .with_for_update())).first()
        if row is None:
            return None
        previous = (row.event or {}).get("previous_referral_id")
        return DecidedReferral(
            referral_id=row.referral_id, person_id=row.person_id, partner_id=row.referring_partner_id,
            facts=ReferralFacts.from_json(row.facts), correlation_id=row.correlation_id,
            ruleset_version=row.ruleset_version, previous_referral_id=uuid.UUID(previous) if previous else None,
        )


def _values(entry: DecisionEntry) -> dict[str, Any]:
    """The decision row's columns that every decision (re)writes."""
    outcome = entry.outcome
    return dict(
        decision=outcome.decision.value, reason_code=outcome.reason_code, ruleset_version=outcome.ruleset_version,
        rules=[r.model_dump() for r in outcome.rules],
        complexity=outcome.complexity.value if outcome.complexity else None,
        pathway=outcome.pathway.value if outcome.pathway else None, priority=outcome.priority,
        expected_weekly_hours=outcome.expected_weekly_hours, decided_at=entry.decided_at,
        signposting=outcome.signposting, review_reasons=outcome.review_reasons, decided_by=entry.decided_by,
        event=entry.event.model_dump(mode="json"),
    )


class SqlReviewRepository(ReviewRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, review: Review) -> None:
        await self._conn.execute(sa.insert(t.reviews).values(
            id=review.id, referral_id=review.referral_id, programme_id=review.programme_id, reasons=review.reasons,
            created_at=review.created_at, due_at=review.due_at))

    async def get_for_update(self, review_id: uuid.UUID) -> Review | None:
        row = (await self._conn.execute(sa.select(t.reviews).where(t.reviews.c.id == review_id)
                                        .with_for_update())).first()
        return Review(**{f.name: row._mapping[f.name] for f in fields(Review)}) if row else None

    async def claim(self, review_id: uuid.UUID, reviewer: str, at: datetime) -> None:
        await self._conn.execute(sa.update(t.reviews).where(t.reviews.c.id == review_id).values(
            status="claimed", claimed_by=reviewer, claimed_at=at))

    async def decide(self, review_id: uuid.UUID, reviewer: str, at: datetime, outcome: str, note: str) -> None:
        await self._conn.execute(sa.update(t.reviews).where(t.reviews.c.id == review_id).values(
            status="decided", decided_by=reviewer, decided_at=at, outcome=outcome, note=note))

    async def decide_open_for_referral(self, referral_id: uuid.UUID, reviewer: str, at: datetime, outcome: str,
                                       note: str) -> None:
        await self._conn.execute(sa.update(t.reviews).where(
            t.reviews.c.referral_id == referral_id, t.reviews.c.status != "decided").values(
            status="decided", decided_by=reviewer, decided_at=at, outcome=outcome, note=note))


class SqlRuleSetRepository(RuleSetRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def exists(self, programme_id: str, version: str) -> bool:
        row = (await self._conn.execute(sa.select(t.rulesets.c.version).where(
            t.rulesets.c.programme_id == programme_id, t.rulesets.c.version == version))).first()
        return row is not None

    async def add(self, ruleset: RuleSet, created_by: str) -> None:
        await self._conn.execute(sa.insert(t.rulesets).values(**_ruleset_values(ruleset, created_by)))

    async def add_if_new(self, ruleset: RuleSet, created_by: str) -> bool:
        result = await self._conn.execute(
            insert(t.rulesets).values(**_ruleset_values(ruleset, created_by)).on_conflict_do_nothing())
        return result.rowcount > 0

    async def published_effective_by(self, programme_id: str, at: datetime) -> list[tuple[str, dict[str, Any]]]:
        rows = await self._conn.execute(
            sa.select(t.rulesets.c.version, t.rulesets.c.body).where(
                t.rulesets.c.programme_id == programme_id, t.rulesets.c.status == "published",
                t.rulesets.c.effective_from <= at,
            )
        )
        return [(r.version, r.body) for r in rows]

    async def body(self, programme_id: str, version: str) -> dict[str, Any] | None:
        row = (await self._conn.execute(sa.select(t.rulesets.c.body).where(
            t.rulesets.c.programme_id == programme_id, t.rulesets.c.version == version))).first()
        return row.body if row else None


def _ruleset_values(ruleset: RuleSet, created_by: str) -> dict[str, Any]:
    return dict(programme_id=ruleset.programme_id, version=ruleset.version, effective_from=ruleset.effective_from,
                status="published", body=ruleset.model_dump(mode="json"), created_by=created_by)
