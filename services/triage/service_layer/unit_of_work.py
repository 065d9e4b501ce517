"""Triage's unit of work as the service layer sees it: the port, and the repositories and views it holds.

The service layer depends only on these declarations; adapters/ implements them on
PostgreSQL (`SqlTriageUnitOfWork`) and the unit tests in memory.
"""

from __future__ import annotations

import abc
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.triage.domain.decide import TriageOutcome
from services.triage.domain.facts import ReferralFacts
from services.triage.domain.ruleset import RuleSet
from shared.platform.audit import AuditTrail
from shared.platform.sealing import Sealer
from shared.platform.uow import UnitOfWork
from shared.schemas.events.triage import TriageDecided


@dataclass(frozen=True)
class DecisionEntry:
    """One decision as written: the referral's current decision and a line of its history."""

    referral_id: uuid.UUID
    outcome: TriageOutcome
    event: TriageDecided  # the triage.decided payload emitted for it
    decided_at: datetime
    decided_by: str | None = None  # None for the rules, the reviewer for a person
    note: str | None = None


@dataclass(frozen=True)
class DecidedReferral:
    """A referral triage has decided: what it knows of it, and the version of the rules its decision used."""

    referral_id: uuid.UUID
    person_id: uuid.UUID
    partner_id: str
    facts: ReferralFacts
    correlation_id: uuid.UUID
    ruleset_version: str
    previous_referral_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Review:
    """A referral waiting for (or decided by) a person; the fields are the review queue's columns."""

    id: uuid.UUID
    referral_id: uuid.UUID
    programme_id: str
    reasons: list[dict[str, Any]]
    status: str = "open"  # open | claimed | decided
    created_at: datetime | None = None
    due_at: datetime | None = None
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    outcome: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class StoredReferral:
    """A past referral's facts, for running a draft rule set over it."""

    referral_id: uuid.UUID
    facts: ReferralFacts


class DecisionRepository(abc.ABC):
    """Each referral's current decision, and the history of every decision made about it."""

    @abc.abstractmethod
    async def add(self, entry: DecisionEntry, *, person_id: uuid.UUID, partner_id: str, facts: ReferralFacts,
                  correlation_id: uuid.UUID) -> None:
        """The referral's first decision."""

    @abc.abstractmethod
    async def revise(self, entry: DecisionEntry) -> None:
        """A later decision (a person's) replaces the current one; the history keeps both."""

    @abc.abstractmethod
    async def get_for_update(self, referral_id: uuid.UUID) -> DecidedReferral | None:
        """The decided referral, held against concurrent changes until the unit of work ends."""


class ReviewRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, review: Review) -> None: ...

    @abc.abstractmethod
    async def get_for_update(self, review_id: uuid.UUID) -> Review | None: ...

    @abc.abstractmethod
    async def claim(self, review_id: uuid.UUID, reviewer: str, at: datetime) -> None: ...

    @abc.abstractmethod
    async def decide(self, review_id: uuid.UUID, reviewer: str, at: datetime, outcome: str, note: str) -> None: ...

    @abc.abstractmethod
    async def decide_open_for_referral(self, referral_id: uuid.UUID, reviewer: str, at: datetime, outcome: str,
                                       note: str) -> None:
        """Close the referral's review, if one is still open (its decision was overridden)."""


class RuleSetRepository(abc.ABC):
    """Rule-set versions as stored; a version, once stored, never changes."""

    @abc.abstractmethod
    async def exists(self, programme_id: str, version: str) -> bool: ...

    @abc.abstractmethod
    async def add(self, ruleset: RuleSet, created_by: str) -> None: ...

    @abc.abstractmethod
    async def add_if_new(self, ruleset: RuleSet, created_by: str) -> bool:
        """Store the version unless it is known (several replicas may try at once); True if it was added."""

    @abc.abstractmethod
    async def published_effective_by(self, programme_id: str, at: datetime) -> list[tuple[str, dict[str, Any]]]:
        """(version, body) of the programme's published versions effective from `at` or before."""

    @abc.abstractmethod
    async def body(self, programme_id: str, version: str) -> dict[str, Any] | None: ...


class TriageViews(abc.ABC):
    """What the HTTP API and reports read: rows as they show them, no domain objects."""

    @abc.abstractmethod
    async def decision(self, referral_id: uuid.UUID) -> dict[str, Any] | None:
        """The referral's current decision, every column of it."""

    @abc.abstractmethod
    async def open_reviews(self, programme_id: str | None = None) -> list[dict[str, Any]]:
        """Reviews not yet decided, oldest first."""

    @abc.abstractmethod
    async def declines_by_organisation(self, programme_id: str | None,
                                       since: datetime | None) -> list[dict[str, Any]]:
        """Declined and redirected referrals counted by referring_organisation, decision and reason_code,
        most first (as `referrals`)."""

    @abc.abstractmethod
    async def referrals_by_organisation(self, programme_id: str | None, since: datetime | None) -> dict[str, int]:
        """Every decided referral counted by referring organisation."""

    @abc.abstractmethod
    async def decided_referrals(self, programme_id: str, received_from: datetime | None,
                                received_to: datetime | None) -> list[StoredReferral]:
        """The programme's decided referrals received in [from, to), in order of receipt."""

    @abc.abstractmethod
    async def automated_decisions(self, referral_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
        """Each referral's first decision (the rules', before any person): decision, reason_code, ruleset_version."""


class TriageUnitOfWork(UnitOfWork):
    decisions: DecisionRepository
    reviews: ReviewRepository
    rulesets: RuleSetRepository
    views: TriageViews
    # Seals a reviewer's note under triage's data key for the person, opens it for readers, destroys the key
    # when the person is erased.
    sealer: Sealer
    audit: AuditTrail  # every opening and writing of a sealed note (shared/platform/audit.py)


# What handlers are given to open a unit of work, and to tell the time.
UnitOfWorkFactory = Callable[[], TriageUnitOfWork]
Clock = Callable[[], datetime]
