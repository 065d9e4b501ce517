"""The canonical referral: what every channel is turned into, validated and normalised. No I/O.

Fields a referrer did not know are left out (None), never guessed: "not assessed"
stays distinct from "none" (see trigger groups).
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator, model_validator

from . import normalise
from .referral_sources import check_source


_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value):
        # NUL and other control characters are never meant, and PostgreSQL's jsonb cannot hold NUL.
        texts = value if isinstance(value, list) else [value]
        for text in texts:
            if isinstance(text, str) and any(ord(c) < 32 and c not in "\n\r\t" for c in text):
                raise ValueError("contains control characters")
        return value


class ContactMethod(StrEnum):
    PHONE = "phone"
    TEXT = "text"
    EMAIL = "email"
    POST = "post"
    HOME_VISIT = "home_visit"


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    NON_BINARY = "non_binary"
    OTHER = "other"
    PREFER_NOT_TO_SAY = "prefer_not_to_say"


class LivingSituation(StrEnum):
    LIVES_ALONE = "lives_alone"
    WITH_PARTNER = "with_partner"
    WITH_FAMILY = "with_family"
    WITH_OTHERS = "with_others"
    SUPPORTED_OR_CARE_HOME = "supported_or_care_home"
    NO_FIXED_ABODE = "no_fixed_abode"


class CarerStatus(StrEnum):
    IS_A_CARER = "is_a_carer"
    HAS_A_CARER = "has_a_carer"
    BOTH = "both"
    NEITHER = "neither"


class Mobility(StrEnum):
    INDEPENDENT = "independent"
    LIMITED = "limited"
    HOUSEBOUND = "housebound"


class TriggerGroup(StrEnum):
    """The British Red Cross trigger groups (describe people; never restrict who is referred)."""

    YOUNG_PARENT = "young_parent"
    RECENTLY_BEREAVED = "recently_bereaved"
    SEPARATED = "separated"
    NO_CHILDREN_AT_HOME = "no_children_at_home"
    HEALTH_ISSUES = "health_issues"
    MOBILITY_LIMITATIONS = "mobility_limitations"


DATED_TRIGGER_GROUPS = frozenset({TriggerGroup.RECENTLY_BEREAVED, TriggerGroup.SEPARATED})


class RiskFlag(StrEnum):
    SAFEGUARDING = "safeguarding"
    CRISIS = "crisis"
    LONE_WORKING = "lone_working"


class Address(_Model):
    line1: str | None = Field(default=None, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    town: str | None = Field(default=None, max_length=100)
    postcode: str | None = Field(default=None, max_length=12)
    ward: str | None = Field(default=None, max_length=100, description="electoral ward, where the referrer knows it")
    local_authority: str | None = Field(default=None, max_length=100)

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, value: str | None) -> str | None:
        return normalise.postcode(value) if value else None


class Reachable(_Model):
    """Postcode, phone and email in the one normal form every channel, and a correction, keeps them in."""

    @field_validator("postcode", check_fields=False)
    @classmethod
    def _postcode(cls, value: str | None) -> str | None:
        return normalise.postcode(value) if value else None

    @field_validator("phone", check_fields=False)
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return normalise.phone(value) if value else None

    @field_validator("email", check_fields=False)
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return normalise.email(value) if value else None


class Person(Reachable):
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    preferred_name: str | None = Field(default=None, max_length=100)
    date_of_birth: date | None = None
    age_years: StrictInt | None = Field(default=None, ge=0, le=120, description="when the date of birth is unknown")
    nhs_number: str | None = None
    gender: Gender | None = None
    ethnicity: str | None = Field(default=None, max_length=100)
    language: str | None = Field(default=None, max_length=50, description="main language, e.g. 'en', 'gu', 'so'")
    interpreter_needed: StrictBool = False
    address: Address | None = None
    postcode: str | None = Field(default=None, max_length=12)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)

    @field_validator("given_name", "family_name", "preferred_name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return normalise.name(value) if value is not None else None

    @field_validator("nhs_number")
    @classmethod
    def _nhs_number(cls, value: str | None) -> str | None:
        return normalise.nhs_number(value) if value else None

    @field_validator("date_of_birth", mode="before")
    @classmethod
    def _date_as_written(cls, value):
        # People and UK systems write 14/03/1948; machines write 1948-03-14. Both mean the same day.
        if isinstance(value, str) and (written := _DAY_MONTH_YEAR.fullmatch(value.strip())):
            day, month, year = (int(part) for part in written.groups())
            try:
                return date(year, month, day)
            except ValueError:
                raise ValueError("not a real date: expected a date like 14/03/1948 or 1948-03-14") from None
        if isinstance(value, int | float):  # pydantic would read a number as seconds since 1970
            raise ValueError("not a date: expected a date like 14/03/1948 or 1948-03-14")
        if isinstance(value, str) and value.strip() and not _ISO_DATE.fullmatch(value.strip()):
            raise ValueError("not a date: expected a date like 14/03/1948 or 1948-03-14")
        return value

    @field_validator("date_of_birth")
    @classmethod
    def _date_of_birth(cls, value: date | None) -> date | None:
        if value is None:
            return None
        if value > date.today():
            raise ValueError("date of birth is in the future")
        if value.year < 1900:
            raise ValueError("date of birth is before 1900")
        return value

    @model_validator(mode="after")
    def _one_postcode(self) -> Person:
        # The postcode may come on its own or inside the address; keep both in step.
        if self.address and self.address.postcode and not self.postcode:
            self.postcode = self.address.postcode
        return self


class ContactPreferences(_Model):
    preferred: ContactMethod | None = None
    worker_gender: str | None = Field(default=None, pattern="^(female|male|no_preference)$",
                                      description="the gender of worker the person would prefer")
    do_not_contact_by: list[ContactMethod] = Field(default_factory=list)
    safe_contact_instructions: str | None = Field(default=None, max_length=1000)
    best_times: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _consistent(self) -> ContactPreferences:
        if self.preferred is not None and self.preferred in self.do_not_contact_by:
            raise ValueError("the preferred contact method is also listed under do_not_contact_by")
        return self


class TriggerGroupEntry(_Model):
    group: TriggerGroup
    qualifying_date: date | None = Field(default=None, description="date of bereavement or separation")

    @model_validator(mode="after")
    def _date(self) -> TriggerGroupEntry:
        if self.qualifying_date is not None:
            if self.group not in DATED_TRIGGER_GROUPS:
                raise ValueError(f"a qualifying date applies only to {', '.join(sorted(DATED_TRIGGER_GROUPS))}")
            if self.qualifying_date > date.today():
                raise ValueError("the qualifying date is in the future")
        return self


class TriggerGroupAssessment(_Model):
    """'not_assessed' (nobody asked) is not 'none' (asked: no trigger group applies)."""

    status: str = Field(pattern="^(not_assessed|none|assessed)$", default="not_assessed")
    groups: list[TriggerGroupEntry] = Field(default_factory=list, max_length=6)

    @model_validator(mode="after")
    def _consistent(self) -> TriggerGroupAssessment:
        if self.status == "assessed" and not self.groups:
            raise ValueError("status 'assessed' needs at least one group (use 'none' if none applies)")
        if self.status != "assessed" and self.groups:
            raise ValueError(f"status '{self.status}' cannot list groups")
        if len({g.group for g in self.groups}) != len(self.groups):
            raise ValueError("a trigger group is listed twice")
        return self


class Consent(_Model):
    # Strict: a consent is true or false, never 1, "yes" or "true" read as one.
    to_referral: StrictBool
    to_data_sharing: StrictBool = False
    to_contact: StrictBool = True
    attested_by_referrer: StrictBool = Field(
        default=False, description="consent to referral is the referrer's attestation (an NHS message that carries no Consent)")


class Referrer(_Model):
    source_category: str = Field(default="unknown")
    source_subcategory: str | None = None
    organisation: str | None = Field(default=None, max_length=200)
    organisation_code: str | None = Field(default=None, max_length=20, description="e.g. an ODS code")
    person_name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)

    @model_validator(mode="after")
    def _source(self) -> Referrer:
        check_source(self.source_category, self.source_subcategory)
        return self

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return normalise.phone(value) if value else None


class ReferralSubmission(_Model):
    """The canonical referral (the partner API body; what every other channel is mapped to)."""

    partner_referral_id: str | None = Field(default=None, min_length=1, max_length=128)
    programme_id: str = Field(min_length=1, max_length=64)
    person: Person
    contact_preferences: ContactPreferences = ContactPreferences()
    living_situation: LivingSituation | None = None
    carer_status: CarerStatus | None = None
    mobility: Mobility | None = None
    trigger_groups: TriggerGroupAssessment = TriggerGroupAssessment()
    needs: list[str] = Field(default_factory=list, max_length=30)
    concerns: str | None = Field(default=None, max_length=4000, description="in the referrer's words")
    reason: str | None = Field(default=None, max_length=4000)
    risk_flags: list[RiskFlag] = Field(default_factory=list)
    consent: Consent
    referrer: Referrer = Referrer()

    @field_validator("needs")
    @classmethod
    def _needs(cls, value: list[str]) -> list[str]:
        cleaned = [" ".join(n.split()).lower() for n in value]
        if any(not n or len(n) > 100 for n in cleaned):
            raise ValueError("each need is a short, non-empty phrase")
        return list(dict.fromkeys(cleaned))

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
