"""What the other services are told of an accepted referral: the submission as a pseudonymous
`referral.received` (version 2), and the person's details that stay in intake's registry. No I/O."""

from __future__ import annotations

from datetime import datetime

from services.intake.domain import normalise
from services.intake.domain.person import PersonFiling
from services.intake.domain.referral import Referral
from services.intake.domain.submission import ReferralSubmission, age_on
from shared.schemas.events.common import ReferralSource
from shared.schemas.events.referral import (
    Address,
    Consent,
    PersonDetails,
    PersonMatch,
    ReferralProfileV2,
    ReferralReceivedV2,
    ReferringOrganisation,
    TriggerGroupEntry,
    age_band,
)


def person_details(submission: ReferralSubmission, now: datetime) -> PersonDetails:
    """Who the person is and how to reach them safely: kept in intake's registry, never published."""
    p = submission.person
    return PersonDetails(
        given_name=p.given_name,
        family_name=p.family_name,
        preferred_name=p.preferred_name,
        date_of_birth=p.date_of_birth,
        age_years=age_on(now.date(), p.date_of_birth, p.age_years),
        nhs_number=p.nhs_number,
        postcode=p.postcode,
        phone=p.phone,
        email=p.email,
        address=Address(**p.address.model_dump()) if p.address else None,
        safe_contact_instructions=submission.contact_preferences.safe_contact_instructions,
        concerns=submission.concerns,
    )


def profile(submission: ReferralSubmission) -> ReferralProfileV2:
    """What triage, matching and reports need to know, without who the person is: coded values only
    (postcode district and sector, never the full postcode; no free text)."""
    p = submission.person
    prefs = submission.contact_preferences
    return ReferralProfileV2(
        gender=p.gender.value if p.gender else None,
        language=p.language,
        interpreter_needed=p.interpreter_needed,
        postcode_district=normalise.postcode_district(p.postcode) if p.postcode else None,
        postcode_sector=normalise.postcode_sector(p.postcode) if p.postcode else None,
        living_situation=submission.living_situation.value if submission.living_situation else None,
        carer_status=submission.carer_status.value if submission.carer_status else None,
        mobility=submission.mobility.value if submission.mobility else None,
        trigger_groups_status=submission.trigger_groups.status,
        trigger_groups=[TriggerGroupEntry(group=g.group.value, qualifying_date=g.qualifying_date)
                        for g in submission.trigger_groups.groups],
        preferred_contact=prefs.preferred.value if prefs.preferred else None,
        do_not_contact_by=[m.value for m in prefs.do_not_contact_by],
        worker_gender_preference=prefs.worker_gender,
        ward=p.address.ward if p.address else None,
        local_authority=p.address.local_authority if p.address else None,
    )


def referral_received(referral: Referral, submission: ReferralSubmission, details: PersonDetails,
                      filing: PersonFiling) -> ReferralReceivedV2:
    """The event other services get: the pseudonymous person id and the facts they use. The details, the
    referrer's own name and contacts, the reason and concerns stay in intake (read through its API)."""
    return ReferralReceivedV2(
        referral_id=referral.id,
        person_id=referral.person_id,
        programme_id=referral.programme_id,
        partner_id=referral.partner_id,
        source=ReferralSource(category=submission.referrer.source_category,
                              subcategory=submission.referrer.source_subcategory),
        consent=Consent(**submission.consent.model_dump(exclude={"attested_by_referrer"})),
        needs=submission.needs,
        risk_flags=[f.value for f in submission.risk_flags],
        received_at=referral.received_at,
        channel=referral.channel,
        age_years=details.age_years,
        age_band=age_band(details.age_years),
        profile=profile(submission),
        referrer=ReferringOrganisation(organisation=submission.referrer.organisation,
                                       organisation_code=submission.referrer.organisation_code),
        previous_referral_id=referral.previous_referral_id,
        person_match=PersonMatch(method=filing.match.method, confidence=filing.match.confidence,
                                 needs_review=filing.needs_review),
    )
