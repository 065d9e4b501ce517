"""A referral as a partner submits it, validated and normalised. No I/O here."""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})$")


class SubmittedPerson(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    date_of_birth: date | None = None
    age_years: int | None = Field(default=None, ge=0, le=130)
    postcode: str | None = Field(default=None, max_length=10)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

    @field_validator("postcode")
    @classmethod
    def _uk_postcode(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        match = _POSTCODE.match(value.upper())
        if not match:
            raise ValueError("not a UK postcode (expected e.g. 'E8 1DY')")
        return f"{match.group(1)} {match.group(2)}"

    @field_validator("date_of_birth")
    @classmethod
    def _not_in_future(cls, value: date | None) -> date | None:
        if value is not None and value > date.today():
            raise ValueError("date of birth is in the future")
        return value


class SubmittedConsent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_referral: bool
    to_data_sharing: bool = False
    to_contact: bool = True


class SubmittedSource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str = Field(min_length=1, max_length=64)
    subcategory: str | None = Field(default=None, max_length=64)


class ReferralSubmission(BaseModel):
    """The canonical partner payload (HTTP body, or the data of a partner's Kafka message)."""

    model_config = ConfigDict(extra="forbid")

    partner_referral_id: str | None = Field(default=None, min_length=1, max_length=128)
    programme_id: str = Field(min_length=1, max_length=64)
    person: SubmittedPerson
    consent: SubmittedConsent
    source: SubmittedSource = SubmittedSource(category="unknown")
    needs: list[str] = Field(default_factory=list, max_length=50)
    risk_flags: list[str] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _consent_given(self) -> ReferralSubmission:
        if not self.consent.to_referral:
            raise ValueError("consent.to_referral must be true: a person is only referred with their consent")
        return self


def age_on(day: date, date_of_birth: date | None, stated_age: int | None) -> int | None:
    if date_of_birth is None:
        return stated_age
    years = day.year - date_of_birth.year
    if (day.month, day.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years
