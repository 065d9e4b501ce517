"""Triage's unit of work in memory: the repositories and views over plain dicts and lists.

State lives on the fake itself, so it outlasts each `async with uow:` as a database would;
like tests.unit.fakes.FakeMessaging, the fake is its own factory.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from services.triage.domain.facts import ReferralFacts
from services.triage.domain.ruleset import RuleSet
from services.triage.service_layer.unit_of_work import (
    DecidedReferral,
    DecisionEntry,
    DecisionRepository,
    Review,
    ReviewRepository,
    RuleSetRepository,
    StoredReferral,
    TriageUnitOfWork,
    TriageViews,
)
from shared.platform.audit import InMemoryAuditTrail
from shared.platform.sealing import InMemoryDataKeyStore, LocalKeyEncryptionKey, Sealer
from tests.unit.fakes import FakeMessaging


class FakeDecisions(DecisionRepository):
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, dict[str, Any]] = {}  # by referral id, as the decisions table has them
        self.history: list[dict[str, Any]] = []  # in the order written

    async def add(self, entry: DecisionEntry, *, person_id: uuid.UUID, partner_id: str, facts: ReferralFacts,
                  correlation_id: uuid.UUID) -> None:
        assert entry.referral_id not in self.rows, "a referral's first decision is added once"
        self.rows[entry.referral_id] = {"referral_id": entry.referral_id, "person_id": person_id,
                                        "programme_id": facts.programme_id, "referring_partner_id": partner_id,
                                        "facts": facts, "correlation_id": correlation_id}
        await self.revise(entry)

    async def revise(self, entry: DecisionEntry) -> None:
        outcome = entry.outcome
        self.rows[entry.referral_id].update(
            decision=outcome.decision.value, reason_code=outcome.reason_code,
            ruleset_version=outcome.ruleset_version, complexity=outcome.complexity, pathway=outcome.pathway,
            priority=outcome.priority, expected_weekly_hours=outcome.expected_weekly_hours,
            signposting=outcome.signposting, decided_at=entry.decided_at, decided_by=entry.decided_by,
            event=entry.event)
        self.history.append({"referral_id": entry.referral_id, "decision": outcome.decision.value,
                             "reason_code": outcome.reason_code, "ruleset_version": outcome.ruleset_version,
                             "decided_by": entry.decided_by, "note": entry.note})

    async def get_for_update(self, referral_id: uuid.UUID) -> DecidedReferral | None:
        row = self.rows.get(referral_id)
        if row is None:
            return None
        return DecidedReferral(referral_id, row["person_id"], row["referring_partner_id"], row["facts"],
                               row["correlation_id"], row["ruleset_version"], row["event"].previous_referral_id)


class FakeReviews(ReviewRepository):
    def __init__(self) -> None:
        self.by_id: dict[uuid.UUID, Review] = {}

    async def add(self, review: Review) -> None:
        assert all(r.referral_id != review.referral_id for r in self.by_id.values()), "one review per referral"
        self.by_id[review.id] = review

    async def get_for_update(self, review_id: uuid.UUID) -> Review | None:
        return self.by_id.get(review_id)

    async def claim(self, review_id: uuid.UUID, reviewer: str, at: datetime) -> None:
        self.by_id[review_id] = replace(self.by_id[review_id], status="claimed", claimed_by=reviewer, claimed_at=at)

    async def decide(self, review_id: uuid.UUID, reviewer: str, at: datetime, outcome: str, note: str) -> None:
        self.by_id[review_id] = replace(self.by_id[review_id], status="decided", decided_by=reviewer, decided_at=at,
                                        outcome=outcome, note=note)

    async def decide_open_for_referral(self, referral_id: uuid.UUID, reviewer: str, at: datetime, outcome: str,
                                       note: str) -> None:
        for review in list(self.by_id.values()):
            if review.referral_id == referral_id and review.status != "decided":
                await self.decide(review.id, reviewer, at, outcome, note)

    def of(self, referral_id: uuid.UUID) -> Review | None:
        return next((r for r in self.by_id.values() if r.referral_id == referral_id), None)


class FakeRuleSets(RuleSetRepository):
    def __init__(self) -> None:
        self.stored: dict[tuple[str, str], tuple[RuleSet, str]] = {}  # (programme, version) -> (rule set, by)

    async def exists(self, programme_id: str, version: str) -> bool:
        return (programme_id, version) in self.stored

    async def add(self, ruleset: RuleSet, created_by: str) -> None:
        assert not await self.exists(ruleset.programme_id, ruleset.version), "versions are stored once"
        self.stored[(ruleset.programme_id, ruleset.version)] = (ruleset, created_by)

    async def add_if_new(self, ruleset: RuleSet, created_by: str) -> bool:
        if await self.exists(ruleset.programme_id, ruleset.version):
            return False
        await self.add(ruleset, created_by)
        return True

    async def published_effective_by(self, programme_id: str, at: datetime) -> list[tuple[str, dict[str, Any]]]:
        return [(version, ruleset.model_dump(mode="json")) for (programme, version), (ruleset, _) in self.stored.items()
                if programme == programme_id and ruleset.effective_from <= at]

    async def body(self, programme_id: str, version: str) -> dict[str, Any] | None:
        stored = self.stored.get((programme_id, version))
        return stored[0].model_dump(mode="json") if stored else None


class FakeViews(TriageViews):
    def __init__(self, decisions: FakeDecisions, reviews: FakeReviews) -> None:
        self._decisions = decisions
        self._reviews = reviews

    async def decision(self, referral_id: uuid.UUID) -> dict[str, Any] | None:
        row = self._decisions.rows.get(referral_id)
        notes = [h["note"] for h in self._decisions.history if h["referral_id"] == referral_id]
        return dict(row, note=notes[-1] if notes else None) if row else None

    async def open_reviews(self, programme_id: str | None = None) -> list[dict[str, Any]]:
        return [vars(r).copy() for r in sorted(self._reviews.by_id.values(), key=lambda r: r.created_at)
                if r.status != "decided" and (not programme_id or r.programme_id == programme_id)]

    def _rows(self, programme_id: str | None, since: datetime | None) -> list[dict[str, Any]]:
        return [r for r in self._decisions.rows.values()
                if (not programme_id or r["programme_id"] == programme_id) and (not since or r["decided_at"] >= since)]

    async def declines_by_organisation(self, programme_id: str | None,
                                       since: datetime | None) -> list[dict[str, Any]]:
        counts = Counter((r["facts"].referring_organisation, r["decision"], r["reason_code"])
                         for r in self._rows(programme_id, since) if r["decision"] in ("declined", "redirected"))
        return [{"referring_organisation": o, "decision": d, "reason_code": c, "referrals": n}
                for (o, d, c), n in sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))]

    async def referrals_by_organisation(self, programme_id: str | None, since: datetime | None) -> dict[str, int]:
        return dict(Counter(r["facts"].referring_organisation for r in self._rows(programme_id, since)))

    async def decided_referrals(self, programme_id: str, received_from: datetime | None,
                                received_to: datetime | None) -> list[StoredReferral]:
        rows = [r for r in self._decisions.rows.values() if r["programme_id"] == programme_id
                and (not received_from or r["facts"].received_at >= received_from)
                and (not received_to or r["facts"].received_at < received_to)]
        return [StoredReferral(r["referral_id"], r["facts"]) for r in sorted(rows, key=lambda r: r["facts"].received_at)]

    async def automated_decisions(self, referral_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
        firsts: dict[uuid.UUID, dict[str, Any]] = {}
        for line in self._decisions.history:
            if line["referral_id"] in referral_ids and line["referral_id"] not in firsts:
                firsts[line["referral_id"]] = {k: line[k] for k in ("decision", "reason_code", "ruleset_version")}
        return firsts


class FakeTriageUnitOfWork(FakeMessaging, TriageUnitOfWork):
    source = "/tests/fake-triage"

    def __init__(self) -> None:
        super().__init__()
        self.decisions = FakeDecisions()
        self.reviews = FakeReviews()
        self.rulesets = FakeRuleSets()
        self.views = FakeViews(self.decisions, self.reviews)
        self.data_keys = InMemoryDataKeyStore()
        self.sealer = Sealer(LocalKeyEncryptionKey(os.urandom(32)), self.data_keys)
        self.audit = InMemoryAuditTrail()


class FakeClock:
    """The time, moved on only by the test."""

    def __init__(self, now: datetime = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
