"""Events about referrals (produced by intake, topic intake.referrals).

Intake is the person registry: who the person is and how to reach them stays in its tables, read
through its API (GET /v1/cases/{case_id}/person). `referral.received` version 2 carries a
pseudonymous person id and only what consumers need to decide, size, match and count (age, age band,
postcode district and sector, needs, languages, wishes): no names, contact details, NHS number,
date of birth, address or free text. Version 1 (with `PersonDetails`) is kept so that records of it
still on a topic are read; intake no longer publishes it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar, Literal

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
    """The person referred: what intake's registry keeps. Personal data: carried only by version 1 of
    referral.received, which intake no longer publishes."""

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


# What of a person a correction of their contact details can change and caseload matches on.
CorrectedNeed = Literal["language", "interpreter_needed", "postcode_district"]


class ReferralDetailsCorrected(EventPayload):
    """A connector corrected the contact details of a case's person (a move, another main language), and what
    caseload matches workers on changed with them. Coded values only, as they stand now, whole: never the
    postcode, phone or address themselves, which stay in intake's registry."""

    event_type: ClassVar[str] = "referral.details_corrected"
    schema_version: ClassVar[int] = 1

    referral_id: uuid.UUID
    person_id: uuid.UUID = Field(description="pseudonymous: the registry (intake) alone knows who it is")
    case_id: uuid.UUID = Field(description="the case whose person was corrected")
    language: str | None = Field(default=None, max_length=50)
    interpreter_needed: bool = False
    postcode_district: str | None = Field(default=None, max_length=8, description="e.g. LS6, never the postcode")
    changed: list[CorrectedNeed] = Field(min_length=1, max_length=3, description="which of the three changed")
    corrected_at: datetime


# The age bands reports count by (outcomes), defined once with the contract that carries them.
AGE_BANDS = ((25, "18-24"), (35, "25-34"), (50, "35-49"), (65, "50-64"), (75, "65-74"), (85, "75-84"))


def age_band(age: int | None) -> str | None:
    if age is None:
        return None
    for upper, band in AGE_BANDS:
        if age < upper:
            return band if age >= 18 else "under 18"
    return "85+"


class ReferralProfileV2(Value):
    """What triage, caseload and outcomes need of the person: no identifiers and no free text (version 1's
    profile also had ethnicity, as the referrer wrote it, which no consumer reads)."""

    gender: str | None = None
    language: str | None = None
    interpreter_needed: bool = False
    postcode_district: str | None = None
    postcode_sector: str | None = None
    ward: str | None = None
    local_authority: str | None = None
    living_situation: str | None = None
    carer_status: str | None = None
    mobility: str | None = None
    trigger_groups_status: str = "not_assessed"
    trigger_groups: list[TriggerGroupEntry] = Field(default_factory=list)
    preferred_contact: str | None = None
    do_not_contact_by: list[str] = Field(default_factory=list)
    worker_gender_preference: str | None = None


class ReferringOrganisation(Value):
    """Who referred, as an organisation: the referrer's own name and contact details stay in intake."""

    organisation: str | None = None
    organisation_code: str | None = None


class ReferralReceivedV2(EventPayload):
    """A referral accepted by intake, told pseudonymously: the person is `person_id`, whose details are
    in intake's registry alone."""

    event_type: ClassVar[str] = "referral.received"
    schema_version: ClassVar[int] = 2

    referral_id: uuid.UUID
    person_id: uuid.UUID = Field(description="pseudonymous: the registry (intake) alone knows who it is")
    programme_id: str
    partner_id: str
    source: ReferralSource
    consent: Consent
    needs: list[str] = Field(default_factory=list)
    risk_flags: list[str] = Field(default_factory=list)
    received_at: datetime
    channel: str | None = None
    age_years: int | None = Field(default=None, ge=0, le=130,
                                  description="on the day received; eligibility rules compare ages")
    age_band: str | None = Field(default=None, description="e.g. 65-74, 85+, under 18")
    profile: ReferralProfileV2 = Field(default_factory=ReferralProfileV2)
    referrer: ReferringOrganisation | None = None
    previous_referral_id: uuid.UUID | None = Field(default=None, description="the earlier episode, for a re-referral")
    person_match: PersonMatch | None = None


# Either version, as consumers receive it: the registry picks the model by the envelope's schemaversion.
AnyReferralReceived = ReferralReceived | ReferralReceivedV2
