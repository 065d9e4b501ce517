"""What the reporting facts hold: plain values the projections write and the repositories store. No I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ReferralFacts:
    """A referral as reports count it: where it came from and who it is for, without names or contacts."""

    person_id: uuid.UUID
    programme_id: str
    partner_id: str
    source_category: str | None
    source_subcategory: str | None
    age_band: str | None
    gender: str | None
    trigger_groups: tuple[str, ...]
    postcode_district: str | None
    received_at: datetime
    # False: the person did not consent to data sharing; counted in aggregates, never shown individually.
    to_data_sharing: bool | None = None


@dataclass(frozen=True)
class TriageOutcome:
    """Triage's decision on a referral, as reports count it."""

    person_id: uuid.UUID
    programme_id: str
    decision: str
    reason: str | None
    decided_at: datetime


@dataclass(frozen=True)
class CaseKey:
    """What every case event names: the case, its referral and its programme."""

    case_id: uuid.UUID
    referral_id: uuid.UUID
    programme_id: str


@dataclass(frozen=True)
class MeasureRecord:
    """One administration of an instrument, scored when it arrived (or kept unscored, with the reason)."""

    case_id: uuid.UUID
    instrument: str
    timepoint: str
    instrument_version: str
    programme_id: str
    worker_id: uuid.UUID | None
    items: list[int] | None
    score: float | None
    category: str | None
    subscores: dict[str, Any] | None
    not_collected_reason: str | None
    invalid_reason: str | None
    recorded_at: datetime
