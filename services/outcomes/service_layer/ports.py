"""The ports the outcomes service layer works through: repositories of the reporting facts (written by
the projections, inside a unit of work) and the read-side views the reports count from.

Adapters (adapters/repository.py, adapters/views.py) implement them over PostgreSQL; unit tests
use in-memory fakes. Each write keeps the facts right whatever order events arrive in.
"""

from __future__ import annotations

import abc
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.outcomes.domain.records import CaseKey, MeasureRecord, ReferralFacts, TriageOutcome


class ReferralFactsRepository(abc.ABC):
    @abc.abstractmethod
    async def record_received(self, referral_id: uuid.UUID, facts: ReferralFacts) -> None:
        """Add the referral's facts, or fill them in over a placeholder a decision left (keeping the decision)."""

    @abc.abstractmethod
    async def record_decision(self, referral_id: uuid.UUID, outcome: TriageOutcome) -> None:
        """Set the decision; if the referral has not arrived yet, hold it in a placeholder row
        (no partner, received when decided) until the referral's own facts fill the rest in."""

    @abc.abstractmethod
    async def record_data_sharing(self, referral_id: uuid.UUID, to_data_sharing: bool | None) -> None:
        """The person's consent to data sharing changed on their case; a referral not recorded is left alone."""


class CaseFactsRepository(abc.ABC):
    """Case facts: each change creates the case's row if it is not there yet, else updates it."""

    @abc.abstractmethod
    async def open(self, case: CaseKey, opened_at: datetime) -> None:
        """Add the case; a case already there is left as it is."""

    @abc.abstractmethod
    async def assign(self, case: CaseKey, worker_id: uuid.UUID, worker_role: str, assigned_at: datetime) -> None: ...

    @abc.abstractmethod
    async def transfer(self, case: CaseKey, worker_id: uuid.UUID) -> None: ...

    @abc.abstractmethod
    async def add_contact(self, case: CaseKey, minutes: int, at: datetime) -> None:
        """One more successful contact (and its minutes); the first one's time is kept.
        A case not there yet gets its row with no contacts counted."""

    @abc.abstractmethod
    async def close(self, case: CaseKey, closed_at: datetime, closure_reason: str, worker_id: uuid.UUID,
                    worker_role: str) -> None: ...


class MeasuresRepository(abc.ABC):
    @abc.abstractmethod
    async def save(self, measure: MeasureRecord) -> None:
        """Keep the measure; one already recorded for the same case, instrument and timepoint is replaced."""


class SignpostsRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, signpost_id: uuid.UUID, case_id: uuid.UUID, programme_id: str, destination: str,
                  category: str | None) -> None:
        """Add the signpost; one already there is left as it is."""

    @abc.abstractmethod
    async def record_take_up(self, signpost_id: uuid.UUID, taken_up: bool) -> None:
        """Whether the person took it up; nothing happens for a signpost not recorded."""


class UnmetNeedsRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, case_id: uuid.UUID, programme_id: str, need: str, postcode_district: str | None,
                  recorded_at: datetime) -> None: ...


# --- the read side ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelRows:
    """The funnel's counts as the views read them: the headline row and the breakdowns."""

    head: dict[str, Any]
    declined_or_redirected: list[dict[str, Any]] = field(default_factory=list)
    closure_reasons: list[dict[str, Any]] = field(default_factory=list)
    signposts: list[dict[str, Any]] = field(default_factory=list)
    unmet_needs: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class CompletenessRows:
    rows: list[dict[str, Any]]  # programme_id, worker_id, closed_cases, with_baseline, with_end, with_follow_up
    missing_reasons: list[dict[str, Any]]  # timepoint, reason, cases


class OutcomesViews(abc.ABC):
    """Read-only queries over the facts; each call reads one consistent snapshot."""

    @abc.abstractmethod
    async def case_measures(self, case_id: uuid.UUID) -> list[dict[str, Any]]:
        """Every measure recorded for the case (all columns), by instrument then time recorded."""

    @abc.abstractmethod
    async def shares_data(self, case_id: uuid.UUID) -> bool:
        """False when the case's person did not consent to data sharing (nothing individual may be shown)."""

    @abc.abstractmethod
    async def change_rows(self, *, instrument: str, better_sign: int, meaningful: float, programme_id: str | None,
                          worker_id: str | None, closed_from: datetime | None, closed_to: datetime | None,
                          breakdown: str | None) -> list[dict[str, Any]]:
        """Paired start/end counts and means per group (`grp`), ordered by group."""

    @abc.abstractmethod
    async def funnel(self, programme_id: str | None, received_from: datetime | None,
                     received_to: datetime | None) -> FunnelRows: ...

    @abc.abstractmethod
    async def completeness(self, programme_id: str | None, instrument: str) -> CompletenessRows: ...

    @abc.abstractmethod
    async def unmet_need_counts(self, programme_id: str | None, recorded_from: datetime | None,
                                recorded_to: datetime | None) -> list[dict[str, Any]]:
        """Unmet needs recorded, counted by kind and area together, by kind alone, by area alone and in all:
        rows of `kind` and `area` (None where that row is not broken down by it; an unknown area is
        "not known"), `times` (recordings) and `cases` (distinct cases)."""
