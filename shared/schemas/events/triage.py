"""Events about triage decisions (produced by triage, topic triage.decisions)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from ..envelope import EventPayload
from .common import Value


class Decision(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REDIRECTED = "redirected"
    NEEDS_REVIEW = "needs_review"


class Complexity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Pathway(StrEnum):
    SIGNPOST_ONLY = "signpost_only"
    VOLUNTEER = "volunteer"
    CONNECTOR = "connector"
    CONNECTOR_WITH_VOLUNTEER = "connector_with_volunteer"


class RuleOutcome(Value):
    """One rule that was evaluated, and why it came out as it did, in plain words."""

    rule_id: str
    passed: bool
    explanation: str


class TriageDecided(EventPayload):
    event_type: ClassVar[str] = "triage.decided"
    schema_version: ClassVar[int] = 1

    referral_id: uuid.UUID
    person_id: uuid.UUID
    programme_id: str
    decision: Decision
    reason_code: str | None = None
    rules: list[RuleOutcome]
    ruleset_version: str
    complexity: Complexity | None = None
    pathway: Pathway | None = None
    priority: int | None = Field(default=None, ge=1, le=5)
    expected_weekly_hours: float | None = Field(default=None, ge=0)
    decided_at: datetime
    # What caseload needs to size and match the case (no identifying data).
    signposting: str | None = Field(default=None, description="where to turn instead, for a decline")
    language: str | None = None
    interpreter_needed: bool = False
    worker_gender_preference: str | None = None
    home_visit_needed: bool = False
    postcode_district: str | None = None
    postcode_sector: str | None = None
    ward: str | None = None
    trigger_groups: list[str] = Field(default_factory=list)
    needs: list[str] = Field(default_factory=list)
    review_reasons: list[str] = Field(default_factory=list)
    decided_by: str | None = Field(default=None, description="the reviewer, for a decision made by a person")
    previous_referral_id: uuid.UUID | None = None
    # The person's consent and contact wishes as intake recorded them, so the case honours them (no
    # identifying data). None and empty: not told, as in decisions published before these fields existed.
    to_contact: bool | None = Field(default=None, description="false: the service must not contact the person")
    to_data_sharing: bool | None = Field(
        default=None, description="false: nothing about the person individually leaves the scheme")
    do_not_contact_by: list[str] = Field(default_factory=list,
                                         description="methods the person declined: phone, text, email, post, home_visit")
    preferred_contact: str | None = Field(default=None, description="the method the person prefers")
