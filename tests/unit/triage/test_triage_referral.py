"""A referral received is decided by the programme's rule set in effect when it was received."""

from __future__ import annotations

from datetime import timedelta

from services.triage.service_layer import handlers
from shared.schemas import topics
from shared.schemas.events.triage import Complexity, Decision, Pathway
from tests.unit.triage.examples import FEBRUARY, MID_JANUARY, dependencies, received, referral, ruleset
from tests.unit.triage.fakes import FakeClock, FakeTriageUnitOfWork


async def _with_rules(*rulesets) -> FakeTriageUnitOfWork:
    uow = FakeTriageUnitOfWork()
    await handlers.load_shipped(list(rulesets), uow_factory=uow)
    return uow


async def test_an_eligible_referral_is_accepted_and_the_decision_published():
    uow = await _with_rules(ruleset())
    event = referral(age=70, district="E8")
    envelope = await received(dependencies(uow), event)

    [decided] = uow.events(topics.TRIAGE_DECISIONS)
    # 70 is over 60 and E8 is in the area; no marker holds, so the score 0 is the low band.
    assert (decided.referral_id, decided.decision, decided.reason_code) == (event.referral_id, Decision.ACCEPTED, None)
    assert (decided.complexity, decided.pathway, decided.expected_weekly_hours) == (
        Complexity.LOW, Pathway.VOLUNTEER, 1.0)
    assert decided.ruleset_version == "1" and decided.decided_by is None
    assert uow.published[0][1] == str(event.referral_id)  # keyed by the referral
    row = uow.decisions.rows[event.referral_id]
    assert (row["decision"], row["correlation_id"], row["referring_partner_id"]) == (
        "accepted", envelope.correlationid, "gp-north")
    assert uow.reviews.of(event.referral_id) is None


async def test_the_rule_set_in_effect_at_receipt_decides_not_the_newest():
    uow = await _with_rules(ruleset("1"), ruleset("2", effective_from=FEBRUARY, min_age=75))
    deps = dependencies(uow)
    before = referral(age=70, received_at=MID_JANUARY)
    after = referral(age=70, received_at=FEBRUARY + timedelta(days=3))
    await received(deps, before)
    await received(deps, after)

    decided = {e.referral_id: e for e in uow.events(topics.TRIAGE_DECISIONS)}
    assert (decided[before.referral_id].decision, decided[before.referral_id].ruleset_version) == (
        Decision.ACCEPTED, "1")
    # Version 2 asks for 75 and over: 70 is too young under it.
    assert (decided[after.referral_id].decision, decided[after.referral_id].reason_code,
            decided[after.referral_id].ruleset_version) == (Decision.DECLINED, "age_out_of_range", "2")


async def test_a_redelivered_referral_has_no_second_effect():
    uow = await _with_rules(ruleset())
    deps = dependencies(uow)
    event = referral()
    envelope = await received(deps, event)
    await received(deps, event, envelope)

    assert len(uow.events(topics.TRIAGE_DECISIONS)) == 1
    assert len(uow.decisions.history) == 1
    assert uow.commits == 2  # the rule sets, then the one decision; the redelivery committed nothing


async def test_needs_review_opens_a_review_due_after_the_rule_sets_hours():
    uow = await _with_rules(ruleset())
    clock = FakeClock()
    event = referral(district="N16")  # N16 straddles the boundary
    await received(dependencies(uow, clock), event)

    [decided] = uow.events(topics.TRIAGE_DECISIONS)
    assert (decided.decision, decided.reason_code) == (Decision.NEEDS_REVIEW, "borderline_geography")
    review = uow.reviews.of(event.referral_id)
    assert (review.status, review.programme_id, review.created_at, review.due_at) == (
        "open", "riverside", clock.now, clock.now + timedelta(hours=48))
    assert [r["rule_id"] for r in review.reasons] == ["review.borderline_geography"]


async def test_a_referral_to_a_programme_without_rules_goes_to_a_person_within_a_day():
    uow = await _with_rules(ruleset())
    clock = FakeClock()
    event = referral(programme_id="nowhere")
    await received(dependencies(uow, clock), event)

    [decided] = uow.events(topics.TRIAGE_DECISIONS)
    assert (decided.decision, decided.reason_code, decided.ruleset_version) == (
        Decision.NEEDS_REVIEW, "unknown_programme", "none")
    review = uow.reviews.of(event.referral_id)
    assert review.due_at == clock.now + timedelta(hours=24)
    assert [r["rule_id"] for r in review.reasons] == ["programme.known"]


async def test_a_crisis_is_redirected_with_signposting():
    uow = await _with_rules(ruleset())
    await received(dependencies(uow), referral(risk_flags=["crisis"]))

    [decided] = uow.events(topics.TRIAGE_DECISIONS)
    assert (decided.decision, decided.reason_code, decided.signposting) == (
        Decision.REDIRECTED, "redirect_crisis", "NHS 111.")


async def test_the_persons_consent_and_contact_wishes_travel_with_the_decision_and_its_overrides():
    from services.triage.service_layer.commands import OverrideDecision
    from shared.schemas.events.referral import Consent, ReferralProfile

    uow = await _with_rules(ruleset())
    deps = dependencies(uow)
    event = referral(age=55).model_copy(update={
        "consent": Consent(to_referral=True, to_data_sharing=False, to_contact=False),
        "profile": ReferralProfile(postcode_district="E8", do_not_contact_by=["phone", "home_visit"],
                                   preferred_contact="post")})
    await received(deps, event)
    await handlers.override_decision(OverrideDecision(event.referral_id, "alice", Decision.ACCEPTED, "an exception"),
                                     uow_factory=deps.uow_factory, rulebook=deps.rulebook, clock=deps.clock)
    # Both the rules' decline and the person's acceptance (from the stored facts) carry the wishes.
    for decided in uow.events(topics.TRIAGE_DECISIONS):
        assert (decided.to_contact, decided.to_data_sharing) == (False, False)
        assert (decided.do_not_contact_by, decided.preferred_contact) == (["phone", "home_visit"], "post")


def test_stored_facts_keep_the_contact_wishes():
    # The SQL repository stores facts as JSON; an override reads them back to publish the wishes again.
    from services.triage.domain.facts import ReferralFacts
    facts = ReferralFacts(programme_id="p", received_at=MID_JANUARY, to_contact=False, to_data_sharing=True,
                          do_not_contact_by=("phone",), preferred_contact="email")
    assert ReferralFacts.from_json(facts.to_json()) == facts
    old = {k: v for k, v in facts.to_json().items() if k not in ("to_contact", "to_data_sharing",
                                                                "do_not_contact_by", "preferred_contact")}
    assert ReferralFacts.from_json(old).to_contact is None  # facts stored before consent travelled
