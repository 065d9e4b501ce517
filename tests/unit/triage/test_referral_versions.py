"""Triage reads both versions of referral.received: version 2 (pseudonymous, what intake publishes) and
version 1 (with the person's details), which may still be on the topic. Either way it keeps only
non-identifying facts."""

from __future__ import annotations

import uuid

from services.triage.domain.facts import facts_of
from services.triage.service_layer import handlers
from shared.schemas import topics
from shared.schemas.events.common import ReferralSource
from shared.schemas.events.referral import (
    Address,
    Consent,
    PersonDetails,
    ReferralProfileV2,
    ReferralReceived,
    ReferralReceivedV2,
    ReferringOrganisation,
    TriggerGroupEntry,
)
from shared.schemas.events.triage import Decision
from tests.unit.triage.examples import MID_JANUARY, PROGRAMME, dependencies, received, ruleset
from tests.unit.triage.fakes import FakeTriageUnitOfWork


def v2(age: int | None = 70, district: str = "E8", **fields) -> ReferralReceivedV2:
    fields.setdefault("referrer", ReferringOrganisation(organisation="Riverside Surgery", organisation_code="F84001"))
    return ReferralReceivedV2(
        referral_id=uuid.uuid4(), person_id=uuid.uuid4(), programme_id=PROGRAMME, partner_id="gp-north",
        source=ReferralSource(category="statutory", subcategory="nhs_gp"),
        consent=Consent(to_referral=True, to_data_sharing=False, to_contact=True), received_at=MID_JANUARY,
        age_years=age, age_band="65-74",
        profile=ReferralProfileV2(postcode_district=district, postcode_sector=f"{district} 4", ward="Dalston",
                                  language="tr", interpreter_needed=True, worker_gender_preference="female",
                                  living_situation="lives_alone", do_not_contact_by=["email"],
                                  preferred_contact="phone", trigger_groups=[TriggerGroupEntry(group="health_issues")]),
        needs=["loneliness"], **fields)


def test_the_facts_of_a_version_2_referral_come_from_its_age_and_profile():
    facts = facts_of(v2(age=70, district="E8"))
    assert (facts.age_years, facts.postcode_district, facts.postcode_sector, facts.ward) == (70, "E8", "E8 4", "Dalston")
    assert (facts.language, facts.interpreter_needed, facts.worker_gender_preference) == ("tr", True, "female")
    assert (facts.trigger_groups, facts.needs, facts.living_situation) == (("health_issues",), ("loneliness",),
                                                                            "lives_alone")
    assert (facts.to_data_sharing, facts.do_not_contact_by, facts.preferred_contact) == (False, ("email",), "phone")
    assert facts.referring_organisation == "Riverside Surgery"


def test_a_version_2_referral_without_a_referrer_counts_under_its_partner():
    assert facts_of(v2(referrer=None)).referring_organisation == "gp-north"


def test_a_version_1_referral_still_on_the_topic_is_read_for_age_and_postcode_only():
    old = ReferralReceived(
        referral_id=uuid.uuid4(), person_id=uuid.uuid4(), programme_id=PROGRAMME, partner_id="gp-north",
        source=ReferralSource(category="statutory"), received_at=MID_JANUARY,
        consent=Consent(to_referral=True, to_data_sharing=True, to_contact=True),
        person=PersonDetails(given_name="Ottilie", family_name="Marchbanks", age_years=81, postcode="N16 7QT",
                             phone="+447700900123", address=Address(line1="3 Mill Row")),
        reason="Feels alone since moving")
    facts = facts_of(old)
    # No profile: the district and sector are taken from the postcode, and nothing else of the person.
    assert (facts.age_years, facts.postcode_district, facts.postcode_sector) == (81, "N16", "N16 7")
    kept = str(facts.to_json())
    assert all(value not in kept for value in ("Ottilie", "Marchbanks", "N16 7QT", "7700900123", "Mill Row", "alone since"))


async def test_a_version_2_referral_is_decided_and_stored_without_the_person():
    uow = FakeTriageUnitOfWork()
    await handlers.load_shipped([ruleset()], uow_factory=uow)
    event = v2(age=70, district="E8")
    await received(dependencies(uow), event)

    [decided] = uow.events(topics.TRIAGE_DECISIONS)
    assert (decided.referral_id, decided.person_id, decided.decision) == (event.referral_id, event.person_id,
                                                                          Decision.ACCEPTED)
    assert (decided.language, decided.worker_gender_preference, decided.to_data_sharing) == ("tr", "female", False)


async def test_a_version_2_referral_too_young_for_the_programme_is_declined_by_its_age():
    uow = FakeTriageUnitOfWork()
    await handlers.load_shipped([ruleset(min_age=60)], uow_factory=uow)
    await received(dependencies(uow), v2(age=59))
    [decided] = uow.events(topics.TRIAGE_DECISIONS)
    assert (decided.decision, decided.reason_code) == (Decision.DECLINED, "age_out_of_range")
