"""What staff ask triage to do, each with who asked: one handler in handlers.py per command."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from services.triage.domain.ruleset import RuleSet
from shared.schemas.events.triage import Complexity, Decision, Pathway


@dataclass(frozen=True)
class Sizing:
    """What a person may set on their decision instead of what the rules would size (None: the rules' value)."""

    complexity: Complexity | None = None
    pathway: Pathway | None = None
    priority: int | None = None
    expected_weekly_hours: float | None = None
    signposting: str | None = None


# The programmes a reviewer coordinates (from their account); None: every programme. A reviewer acts
# only on referrals to their programmes.
Programmes = frozenset[str] | None


@dataclass(frozen=True)
class ClaimReview:
    review_id: uuid.UUID
    reviewer: str
    programmes: Programmes = field(default=None, kw_only=True)


@dataclass(frozen=True)
class DecideReview:
    review_id: uuid.UUID
    reviewer: str
    decision: Decision
    note: str
    reason_code: str | None = None
    sizing: Sizing = Sizing()
    programmes: Programmes = field(default=None, kw_only=True)


@dataclass(frozen=True)
class OverrideDecision:
    referral_id: uuid.UUID
    reviewer: str
    decision: Decision
    note: str
    reason_code: str | None = None
    sizing: Sizing = Sizing()
    programmes: Programmes = field(default=None, kw_only=True)


@dataclass(frozen=True)
class PublishRuleSet:
    ruleset: RuleSet
    created_by: str


@dataclass(frozen=True)
class WhatIf:
    """Run a draft over past referrals received in [received_from, received_to); decides nothing."""

    draft: RuleSet
    received_from: datetime | None = None
    received_to: datetime | None = None
    list_limit: int = 1000
