"""What triage knows of a referral: no names, contact details or free text."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from shared.schemas.events.referral import AnyReferralReceived, ReferralReceived


@dataclass(frozen=True)
class ReferralFacts:
    programme_id: str
    received_at: datetime
    age_years: int | None = None
    consent_to_referral: bool = True
    risk_flags: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    postcode_district: str | None = None
    postcode_sector: str | None = None
    ward: str | None = None
    local_authority: str | None = None
    living_situation: str | None = None
    carer_status: str | None = None
    mobility: str | None = None
    trigger_groups_status: str = "not_assessed"
    trigger_groups: tuple[str, ...] = ()
    bereavement_date: date | None = None
    interpreter_needed: bool = False
    language: str | None = None
    worker_gender_preference: str | None = None
    person_match_uncertain: bool = False
    referring_organisation: str | None = None
    # Consent and contact wishes: not used by the rules, carried to the case (triage.decided).
    to_contact: bool | None = None
    to_data_sharing: bool | None = None
    do_not_contact_by: tuple[str, ...] = ()
    preferred_contact: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["received_at"] = self.received_at.isoformat()
        data["bereavement_date"] = self.bereavement_date.isoformat() if self.bereavement_date else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReferralFacts:
        values = dict(data)
        values["received_at"] = datetime.fromisoformat(values["received_at"])
        if values.get("bereavement_date"):
            values["bereavement_date"] = date.fromisoformat(values["bereavement_date"])
        for name in ("risk_flags", "needs", "trigger_groups", "do_not_contact_by"):
            values[name] = tuple(values.get(name) or ())
        return cls(**values)


def facts_of(referral: AnyReferralReceived) -> ReferralFacts:
    """The facts of either version of referral.received: version 2 carries them without the person's
    details; version 1 (records still on the topic) had them inside `person`, read here for age and
    postcode district and sector only."""
    profile = referral.profile
    if isinstance(referral, ReferralReceived):
        person = referral.person
        age_years = person.age_years
        district = (profile.postcode_district if profile else None) or (
            person.postcode.split(" ")[0] if person.postcode else None)
        sector = (profile.postcode_sector if profile else None) or (person.postcode[:-2] if person.postcode else None)
    else:
        age_years, district, sector = referral.age_years, profile.postcode_district, profile.postcode_sector
    groups = tuple(g.group for g in profile.trigger_groups) if profile else ()
    bereaved = next((g.qualifying_date for g in (profile.trigger_groups if profile else [])
                     if g.group == "recently_bereaved"), None)
    referrer = referral.referrer
    return ReferralFacts(
        programme_id=referral.programme_id,
        received_at=referral.received_at,
        age_years=age_years,
        consent_to_referral=referral.consent.to_referral,
        risk_flags=tuple(sorted(referral.risk_flags)),
        needs=tuple(referral.needs),
        postcode_district=district,
        postcode_sector=sector,
        ward=profile.ward if profile else None,
        local_authority=profile.local_authority if profile else None,
        living_situation=profile.living_situation if profile else None,
        carer_status=profile.carer_status if profile else None,
        mobility=profile.mobility if profile else None,
        trigger_groups_status=profile.trigger_groups_status if profile else "not_assessed",
        trigger_groups=groups,
        bereavement_date=bereaved,
        interpreter_needed=profile.interpreter_needed if profile else False,
        language=profile.language if profile else None,
        worker_gender_preference=profile.worker_gender_preference if profile else None,
        person_match_uncertain=bool(referral.person_match and referral.person_match.needs_review),
        referring_organisation=(referrer.organisation if referrer and referrer.organisation else referral.partner_id),
        to_contact=referral.consent.to_contact,
        to_data_sharing=referral.consent.to_data_sharing,
        do_not_contact_by=tuple(profile.do_not_contact_by) if profile else (),
        preferred_contact=profile.preferred_contact if profile else None,
    )
