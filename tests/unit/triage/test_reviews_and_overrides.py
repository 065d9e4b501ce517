"""People decide what the rules could not (the review queue) and may change what the rules decided (overrides)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from services.triage.service_layer import handlers, queries
from services.triage.service_layer.commands import ClaimReview, DecideReview, OverrideDecision, Sizing
from services.triage.service_layer.errors import Conflict, IncompleteDecision, NotFound, OutOfScope
from shared.platform.sealing import is_sealed
from shared.schemas import topics
from shared.schemas.envelope import new_envelope
from shared.schemas.events.erasure import PersonErased
from shared.schemas.events.triage import Complexity, Decision, Pathway
from tests.unit.triage.examples import dependencies, received, referral, ruleset
from tests.unit.triage.fakes import FakeClock, FakeTriageUnitOfWork


@pytest.fixture
async def queued():
    """A borderline referral waiting for a person: (uow, deps, clock, the referral, its review)."""
    uow, clock = FakeTriageUnitOfWork(), FakeClock()
    deps = dependencies(uow, clock)
    await handlers.load_shipped([ruleset()], uow_factory=uow)
    event = referral(age=70, district="N16")
    await received(deps, event)
    return uow, deps, clock, event, uow.reviews.of(event.referral_id)


def _claim(deps, review_id, reviewer):
    return handlers.claim_review(ClaimReview(review_id, reviewer), uow_factory=deps.uow_factory, clock=deps.clock)


def _decide(deps, review_id, reviewer, decision=Decision.ACCEPTED, **fields):
    command = DecideReview(review_id, reviewer, decision, fields.pop("note", "checked the address"), **fields)
    return handlers.decide_review(command, uow_factory=deps.uow_factory, rulebook=deps.rulebook, clock=deps.clock)


def _override(deps, referral_id, reviewer, decision=Decision.ACCEPTED, note="knows the area", **fields):
    return handlers.override_decision(OverrideDecision(referral_id, reviewer, decision, note, **fields),
                                      uow_factory=deps.uow_factory, rulebook=deps.rulebook, clock=deps.clock)


async def test_one_reviewer_claims_a_review_and_only_they_decide_it(queued):
    uow, deps, clock, event, review = queued
    clock.now += timedelta(hours=1)
    claimed = await _claim(deps, review.id, "alice")
    assert (claimed["id"], claimed["status"], claimed["claimed_by"]) == (review.id, "claimed", "alice")
    assert uow.reviews.by_id[review.id].claimed_at == clock.now
    assert (await _claim(deps, review.id, "alice"))["claimed_by"] == "alice"  # claiming again is harmless

    with pytest.raises(Conflict, match="already claimed by alice"):
        await _claim(deps, review.id, "bob")
    with pytest.raises(Conflict, match="claimed by alice: only they can decide it"):
        await _decide(deps, review.id, "bob")
    assert len(uow.events(topics.TRIAGE_DECISIONS)) == 1  # only the rules' decision so far

    result = await _decide(deps, review.id, "alice", note="Lives on the E8 side")
    assert result == {"review_id": str(review.id), "decision": "accepted", "decided_by": "alice"}
    first, second = uow.events(topics.TRIAGE_DECISIONS)
    # Accepted by a person, sized by the same rules: no marker holds, so low, volunteer, an hour a week.
    assert (second.decision, second.decided_by, second.complexity, second.pathway, second.expected_weekly_hours) == (
        Decision.ACCEPTED, "alice", Complexity.LOW, Pathway.VOLUNTEER, 1.0)
    assert second.ruleset_version == "1" and second.referral_id == first.referral_id == event.referral_id
    assert [(h["decision"], h["decided_by"]) for h in uow.decisions.history] == [
        ("needs_review", None), ("accepted", "alice")]
    # The note is about the person: stored and kept with the review only sealed, read opened.
    assert is_sealed(uow.decisions.history[-1]["note"]) and is_sealed(uow.reviews.by_id[review.id].note)
    assert (await queries.decision(event.referral_id, uow_factory=uow))["note"] == "Lives on the E8 side"
    assert "E8 side" not in repr([e.model_dump() for e in uow.events()])
    closed = uow.reviews.by_id[review.id]
    assert (closed.status, closed.decided_by, closed.outcome, closed.decided_at) == (
        "decided", "alice", "accepted", clock.now)


async def test_a_decided_review_cannot_be_claimed_or_decided_again(queued):
    _, deps, _, _, review = queued
    await _decide(deps, review.id, "alice")  # an unclaimed review may be decided straight away
    with pytest.raises(Conflict, match="already decided"):
        await _claim(deps, review.id, "bob")
    with pytest.raises(Conflict, match="already decided"):
        await _decide(deps, review.id, "alice")


async def test_a_review_that_does_not_exist_is_not_found(queued):
    _, deps, *_ = queued
    with pytest.raises(NotFound, match="no such review"):
        await _claim(deps, uuid.uuid4(), "alice")
    with pytest.raises(NotFound, match="no such review"):
        await _decide(deps, uuid.uuid4(), "alice")


async def test_declining_needs_a_reason_code_and_nothing_changes_without_one(queued):
    uow, deps, _, event, review = queued
    with pytest.raises(IncompleteDecision, match="needs a reason_code"):
        await _decide(deps, review.id, "alice", Decision.DECLINED)
    assert len(uow.events()) == 1 and uow.reviews.by_id[review.id].status == "open"

    await _decide(deps, review.id, "alice", Decision.DECLINED, reason_code="out_of_area",
                  sizing=Sizing(signposting="Try the next borough."))
    last = uow.events(topics.TRIAGE_DECISIONS)[-1]
    assert (last.decision, last.reason_code, last.signposting) == (Decision.DECLINED, "out_of_area",
                                                                   "Try the next borough.")


async def test_an_override_records_its_reason_publishes_and_closes_any_open_review(queued):
    uow, deps, clock, event, review = queued
    original = uow.decisions.rows[event.referral_id]["correlation_id"]
    result = await _override(deps, event.referral_id, "carol", Decision.ACCEPTED, note="Resident by her account",
                             sizing=Sizing(priority=1, pathway=Pathway.CONNECTOR))
    assert result == {"referral_id": str(event.referral_id), "decision": "accepted", "decided_by": "carol"}

    last = uow.events(topics.TRIAGE_DECISIONS)[-1]
    # The person's sizing wins where given (priority 1, connector); the rules size the rest (low, 1 hour).
    assert (last.decision, last.priority, last.pathway, last.complexity, last.expected_weekly_hours) == (
        Decision.ACCEPTED, 1, Pathway.CONNECTOR, Complexity.LOW, 1.0)
    assert {**uow.decisions.history[-1], "note": None} == {
        "referral_id": event.referral_id, "decision": "accepted", "reason_code": None, "ruleset_version": "1",
        "decided_by": "carol", "note": None}
    assert (await queries.decision(event.referral_id, uow_factory=uow))["note"] == "Resident by her account"

    assert uow.decisions.rows[event.referral_id]["correlation_id"] == original
    assert (uow.reviews.by_id[review.id].status, uow.reviews.by_id[review.id].decided_by) == ("decided", "carol")


async def test_an_automated_decline_can_be_overridden():
    uow = FakeTriageUnitOfWork()
    deps = dependencies(uow)
    await handlers.load_shipped([ruleset()], uow_factory=uow)
    young = referral(age=55)
    await received(deps, young)
    assert uow.events()[0].decision == Decision.DECLINED

    await _override(deps, young.referral_id, "alice", note="Programme lead agreed an exception")
    last = uow.events(topics.TRIAGE_DECISIONS)[-1]
    assert (last.decision, last.decided_by, last.reason_code) == (Decision.ACCEPTED, "alice", None)
    assert [h["decision"] for h in uow.decisions.history] == ["declined", "accepted"]


async def test_overriding_a_referral_never_decided_is_not_found(queued):
    _, deps, *_ = queued
    with pytest.raises(NotFound, match="no decision for that referral"):
        await _override(deps, uuid.uuid4(), "alice")


async def test_without_a_rule_set_a_person_must_size_an_acceptance():
    uow = FakeTriageUnitOfWork()
    deps = dependencies(uow)
    stray = referral(programme_id="nowhere")
    await received(deps, stray)
    with pytest.raises(IncompleteDecision, match="give complexity, pathway and expected_weekly_hours"):
        await _override(deps, stray.referral_id, "alice", sizing=Sizing(complexity=Complexity.HIGH))

    await _override(deps, stray.referral_id, "alice", sizing=Sizing(
        complexity=Complexity.HIGH, pathway=Pathway.CONNECTOR, expected_weekly_hours=2.5))
    last = uow.events(topics.TRIAGE_DECISIONS)[-1]
    assert (last.complexity, last.pathway, last.expected_weekly_hours, last.priority, last.ruleset_version) == (
        Complexity.HIGH, Pathway.CONNECTOR, 2.5, 3, "none")


async def test_a_coordinator_of_another_programme_cannot_claim_decide_override_or_see_the_review(queued):
    uow, deps, clock, event, review = queued
    elsewhere = frozenset({"leicester-ageing-together"})
    with pytest.raises(OutOfScope, match="programme you do not work in"):
        await handlers.claim_review(ClaimReview(review.id, "carol", programmes=elsewhere),
                                    uow_factory=deps.uow_factory, clock=deps.clock)
    with pytest.raises(OutOfScope):
        await _decide(deps, review.id, "carol", programmes=elsewhere)
    with pytest.raises(OutOfScope):
        await _override(deps, event.referral_id, "carol", programmes=elsewhere)
    assert len(uow.events(topics.TRIAGE_DECISIONS)) == 1  # only the rules' decision
    assert await queries.list_reviews(uow_factory=deps.uow_factory, clock=deps.clock, programmes=elsewhere) == []
    mine = await queries.list_reviews(uow_factory=deps.uow_factory, clock=deps.clock,
                                      programmes=frozenset({review.programme_id}))
    assert [row["id"] for row in mine] == [review.id]
    decided = await _decide(deps, review.id, "dina", programmes=frozenset({review.programme_id}))
    assert decided["decided_by"] == "dina"


async def test_an_erased_persons_notes_read_as_erased_and_no_more_are_written(queued):
    uow, deps, clock, event, review = queued
    await _decide(deps, review.id, "alice", note="Lives on the E8 side")
    erased = PersonErased(person_id=event.person_id, referral_ids=[event.referral_id], basis="request",
                          erased_at=clock.now)
    delivery = new_envelope(erased, source="/services/intake", subject=str(event.person_id),
                            correlation_id=uuid.uuid4())
    commits = uow.commits
    await handlers.forget_person(delivery, erased, uow_factory=uow)
    await handlers.forget_person(delivery, erased, uow_factory=uow)  # delivered again: handled once
    assert uow.commits == commits + 1 and await uow.data_keys.destroyed(str(event.person_id))

    shown = await queries.decision(event.referral_id, uow_factory=uow)
    assert (shown["note"], shown["erased_fields"], shown["decision"]) == (None, ["note"], "accepted")
    with pytest.raises(Conflict, match="erased"):
        await _override(deps, event.referral_id, "carol", note="another note about them")
