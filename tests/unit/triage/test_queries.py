"""What staff read: a decision, the review queue with its ages, and appropriateness by referrer."""

from __future__ import annotations

from datetime import timedelta

from services.triage.service_layer import handlers, queries
from services.triage.service_layer.commands import DecideReview
from shared.schemas.events.triage import Decision
from tests.unit.triage.examples import dependencies, received, referral, ruleset
from tests.unit.triage.fakes import FakeClock, FakeTriageUnitOfWork


async def _deps():
    uow, clock = FakeTriageUnitOfWork(), FakeClock()
    await handlers.load_shipped([ruleset()], uow_factory=uow)
    return uow, dependencies(uow, clock), clock


async def test_a_decision_is_shown_once_made():
    uow, deps, _ = await _deps()
    event = referral()
    assert await queries.decision(event.referral_id, uow_factory=uow) is None
    await received(deps, event)
    shown = await queries.decision(event.referral_id, uow_factory=uow)
    assert (shown["referral_id"], shown["decision"], shown["ruleset_version"]) == (event.referral_id, "accepted", "1")


async def test_the_queue_lists_undecided_reviews_oldest_first_with_age_and_overdue():
    uow, deps, clock = await _deps()
    start = clock.now
    first = referral(district="N16")
    await received(deps, first)
    clock.now = start + timedelta(hours=10)
    second = referral(district="N16")
    await received(deps, second)
    await received(deps, referral(district="N16", programme_id="nowhere"))
    clock.now = start + timedelta(hours=50)  # past the first's 48 hours, not the second's

    queue = await queries.list_reviews("riverside", uow_factory=uow, clock=clock)
    assert [r["referral_id"] for r in queue] == [first.referral_id, second.referral_id]
    assert [(r["age_hours"], r["overdue"]) for r in queue] == [(50.0, True), (40.0, False)]
    assert len(await queries.list_reviews(uow_factory=uow, clock=clock)) == 3

    review = uow.reviews.of(first.referral_id)
    await handlers.decide_review(DecideReview(review.id, "alice", Decision.ACCEPTED, "fine"),
                                 uow_factory=uow, rulebook=deps.rulebook, clock=clock)
    assert [r["referral_id"] for r in await queries.list_reviews("riverside", uow_factory=uow, clock=clock)] == [
        second.referral_id]


async def test_appropriateness_counts_declines_and_redirects_against_all_from_the_organisation():
    uow, deps, _ = await _deps()
    for event in (referral(age=40), referral(age=45), referral(risk_flags=["crisis"]), referral(age=70),
                  referral(age=41, partner_id="gp-south")):
        await received(deps, event)

    report = await queries.appropriateness(None, None, uow_factory=uow)
    # gp-north sent four: two too young, one in crisis, one accepted; gp-south one, too young.
    assert report == [
        {"referring_organisation": "gp-north", "decision": "declined", "reason_code": "age_out_of_range",
         "referrals": 2, "of_all_referrals_from_organisation": 4, "share": 0.5},
        {"referring_organisation": "gp-north", "decision": "redirected", "reason_code": "redirect_crisis",
         "referrals": 1, "of_all_referrals_from_organisation": 4, "share": 0.25},
        {"referring_organisation": "gp-south", "decision": "declined", "reason_code": "age_out_of_range",
         "referrals": 1, "of_all_referrals_from_organisation": 1, "share": 1.0},
    ]
    assert await queries.appropriateness("elsewhere", None, uow_factory=uow) == []
