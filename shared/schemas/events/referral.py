"""Events about referrals (produced by intake, topic intake.referrals).

Personal data (names, contact details, NHS number, address) travels only in
`PersonDetails`, inside referral events: the one place to encrypt per person
later. Everything else downstream services need is in `ReferralProfile`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar

from pydantic import Field

from ..envelope import EventPayload
from .common import ReferralSource, Value


class Address(Value):
    line1: str | None = None
    line2: str | None = None
    town: str | None = None
    postcode: str | None = None
    ward: str | None = None
    local_authority: str | None = None


class PersonDetails(Value):
    """The person referred. Personal data: travels only inside referral events."""

    given_name: str
    family_name: str
    date_of_birth: date | None = None
    age_years: int | None = Field(default=None, ge=0, le=130)
    postcode: str | None = None
    phone: str | None = None
    email: str | None = None
    preferred_name: str | None = None
    nhs_number: str | None = None
    address: Address | None = None
    safe_contact_instructions: str | None = None
    concerns: str | None = None


class Consent(Value):
    to_referral: bool
    to_data_sharing: bool
    to_contact: bool


class TriggerGroupEntry(Value):
    group: str
    qualifying_date: date | None = None


class ReferralProfile(Value):
    """What triage and caseload need to decide, size and match the case: no identifying data."""

    gender: str | None = None
    ethnicity: str | None = None
    language: str | None = None
    interpreter_needed: bool = False
    postcode_district: str | None = None
    postcode_sector: str | None = None
    living_situation: str | None = None
    carer_status: str | None = None
    mobility: str | None = None
    trigger_groups_status: str = "not_assessed"
    trigger_groups: list[TriggerGroupEntry] = Field(default_factory=list)
    preferred_contact: str | None = None
    do_not_contact_by: list[str] = Field(default_factory=list)
    worker_gender_preference: str | None = None
    ward: str | None = None
    local_authority: str | None = None


class Referrer(Value):
    source_category: str | None = None
    source_subcategory: str | None = None
    organisation: str | None = None
    organisation_code: str | None = None
    person_name: str | None = None
    phone: str | None = None
    email: str | None = None


class PersonMatch(Value):
    """How intake recognised the person: new, or the same as an earlier one (and how sure)."""

    method: str = Field(description="new | nhs_number | demographics")
    confidence: float = Field(ge=0, le=1)
    needs_review: bool = False


class ReferralReceived(EventPayload):
    event_type: ClassVar[str] = "referral.received"
    schema_version: ClassVar[int] = 1

    referral_id: uuid.UUID
    person_id: uuid.UUID
    programme_id: str
    partner_id: str
    partner_referral_id: str | None = None
    source: ReferralSource
    person: PersonDetails
    consent: Consent
    needs: list[str] = Field(default_factory=list)
    risk_flags: list[str] = Field(default_factory=list)
    received_at: datetime
    channel: str | None = None
    profile: ReferralProfile | None = None
    referrer: Referrer | None = None
    reason: str | None = None
    previous_referral_id: uuid.UUID | None = Field(default=None, description="the earlier episode, for a re-referral")
    person_match: PersonMatch | None = None


class ReferralStatusChanged(EventPayload):
    """The referrer's view of a referral's progress (topic intake.referral-status.<partner id>)."""

    event_type: ClassVar[str] = "referral.status_changed"
    schema_version: ClassVar[int] = 1

    referral_id: uuid.UUID
    partner_id: str
    partner_referral_id: str | None = None
    status: str
    reason: str | None = None
    linked_referral_id: uuid.UUID | None = None
    estimated_wait_days: int | None = None
    changed_at: datetime
