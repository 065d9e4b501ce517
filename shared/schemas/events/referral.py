"""Events about referrals (produced by intake, topic intake.referrals)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar

from pydantic import Field

from ..envelope import EventPayload
from .common import ReferralSource, Value


class PersonDetails(Value):
    """The person referred. Personal data: travels only inside referral events."""

    given_name: str
    family_name: str
    date_of_birth: date | None = None
    age_years: int | None = Field(default=None, ge=0, le=130)
    postcode: str | None = None
    phone: str | None = None
    email: str | None = None


class Consent(Value):
    to_referral: bool
    to_data_sharing: bool
    to_contact: bool


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
