"""The outcomes projections, each event they consume against in-memory fakes: what fact it leaves,
and that a redelivered event leaves nothing more."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.outcomes.service_layer import handlers
from shared.schemas.envelope import new_envelope
from shared.schemas.events import case as ev
from shared.schemas.events.common import MeasureResponse, ReferralSource
from shared.schemas.events.erasure import PersonErased
from shared.schemas.events.referral import (
    Consent,
    PersonDetails,
    ReferralProfile,
    ReferralProfileV2,
    ReferralReceived,
    ReferralReceivedV2,
    TriggerGroupEntry,
)
from shared.schemas.events.triage import Decision, TriageDecided
from tests.unit.outcomes.fakes import FakeOutcomesUnitOfWork

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
PROGRAMME = "demo"
REFERRAL, PERSON, CASE = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
WORKER, OTHER_WORKER = uuid.uuid4(), uuid.uuid4()


@pytest.fixture
def uow() -> FakeOutcomesUnitOfWork:
    return FakeOutcomesUnitOfWork()


def envelope(payload):
    return new_envelope(payload, source="/tests", subject=str(uuid.uuid4()), correlation_id=uuid.uuid4())


def referral(*, age: int | None = 70, profile: bool = True) -> ReferralReceived:
    return ReferralReceived(
        referral_id=REFERRAL, person_id=PERSON, programme_id=PROGRAMME, partner_id="gp-surgery",
        source=ReferralSource(category="statutory", subcategory="nhs_gp"),
        person=PersonDetails(given_name="Ada", family_name="Lovelace", age_years=age),
        consent=Consent(to_referral=True, to_data_sharing=True, to_contact=True), received_at=T0,
        profile=ReferralProfile(gender="female", postcode_district="E8", trigger_groups=[
            TriggerGroupEntry(group="recently_bereaved", qualifying_date=date(2025, 1, 1)),
            TriggerGroupEntry(group="health_issues")]) if profile else None)


def decided(decision: Decision = Decision.ACCEPTED, reason: str | None = None) -> TriageDecided:
    return TriageDecided(referral_id=REFERRAL, person_id=PERSON, programme_id=PROGRAMME, decision=decision,
                         reason_code=reason, rules=[], ruleset_version="test-1", decided_at=T0 + timedelta(hours=1))


def case_fields(hours: float = 0) -> dict:
    return dict(case_id=CASE, referral_id=REFERRAL, programme_id=PROGRAMME, at=T0 + timedelta(hours=hours))


def contact(minutes: int, hours: float, successful: bool = True) -> ev.CaseContactRecorded:
    return ev.CaseContactRecorded(**case_fields(hours), contact_id=uuid.uuid4(), kind="phone", successful=successful,
                                  minutes=minutes, worker_id=WORKER)


def measure(instrument: str, timepoint: str, items=None, *, concerns=None, not_collected=None, hours: float = 0):
    return ev.CaseMeasureRecorded(**case_fields(hours), person_id=PERSON, worker_id=WORKER, measure=MeasureResponse(
        instrument=instrument, timepoint=timepoint, items=items, concerns=concerns,
        not_collected_reason=not_collected))


async def on_case(uow, *events) -> None:
    for event in events:
        await handlers.on_case_event(uow, envelope(event), event)


# --- referrals and decisions ------------------------------------------------------------------


async def test_a_referral_keeps_who_it_is_for_and_where_it_came_from_without_names(uow):
    await handlers.on_referral(uow, envelope(referral(age=70)), referral(age=70))

    row = uow.referrals.rows[REFERRAL]
    assert row == {"referral_id": REFERRAL, "person_id": PERSON, "programme_id": PROGRAMME, "partner_id": "gp-surgery",
                   "source_category": "statutory", "source_subcategory": "nhs_gp", "age_band": "65-74",
                   "gender": "female", "trigger_groups": ["recently_bereaved", "health_issues"],
                   "postcode_district": "E8", "received_at": T0, "decision": None, "decision_reason": None,
                   "decided_at": None, "to_data_sharing": True}
    assert uow.commits == 1


async def test_a_referral_without_a_profile_or_age_has_no_band_gender_or_groups(uow):
    await handlers.on_referral(uow, envelope(referral(age=None, profile=False)), referral(age=None, profile=False))

    row = uow.referrals.rows[REFERRAL]
    assert (row["age_band"], row["gender"], row["trigger_groups"], row["postcode_district"]) == (None, None, [], None)


@pytest.mark.parametrize(("age", "band"), [(17, "under 18"), (18, "18-24"), (34, "25-34"), (64, "50-64"),
                                           (84, "75-84"), (85, "85+")])
async def test_ages_are_kept_only_as_bands(uow, age, band):
    await handlers.on_referral(uow, envelope(referral(age=age)), referral(age=age))
    assert uow.referrals.rows[REFERRAL]["age_band"] == band


def referral_v2(*, age: int | None = 70, band: str | None = "65-74") -> ReferralReceivedV2:
    """What intake publishes: the person by id, their age and band, no details."""
    return ReferralReceivedV2(
        referral_id=REFERRAL, person_id=PERSON, programme_id=PROGRAMME, partner_id="gp-surgery",
        source=ReferralSource(category="statutory", subcategory="nhs_gp"), age_years=age, age_band=band,
        consent=Consent(to_referral=True, to_data_sharing=False, to_contact=True), received_at=T0,
        profile=ReferralProfileV2(gender="female", postcode_district="E8", postcode_sector="E8 2",
                                  trigger_groups=[TriggerGroupEntry(group="health_issues")]))


async def test_a_version_2_referral_is_kept_with_the_band_it_carries(uow):
    await handlers.on_referral(uow, envelope(referral_v2()), referral_v2())

    row = uow.referrals.rows[REFERRAL]
    assert row == {"referral_id": REFERRAL, "person_id": PERSON, "programme_id": PROGRAMME, "partner_id": "gp-surgery",
                   "source_category": "statutory", "source_subcategory": "nhs_gp", "age_band": "65-74",
                   "gender": "female", "trigger_groups": ["health_issues"], "postcode_district": "E8",
                   "received_at": T0, "decision": None, "decision_reason": None, "decided_at": None,
                   "to_data_sharing": False}


@pytest.mark.parametrize(("age", "band"), [(17, "under 18"), (49, "35-49"), (85, "85+"), (None, None)])
async def test_a_version_2_referral_without_a_band_is_banded_from_its_age(uow, age, band):
    await handlers.on_referral(uow, envelope(referral_v2(age=age, band=None)), referral_v2(age=age, band=None))
    assert uow.referrals.rows[REFERRAL]["age_band"] == band


async def test_a_decision_after_its_referral_adds_the_decision_and_keeps_the_facts(uow):
    await handlers.on_referral(uow, envelope(referral()), referral())
    await handlers.on_decision(uow, envelope(decided(Decision.DECLINED, "out_of_area")),
                               decided(Decision.DECLINED, "out_of_area"))

    row = uow.referrals.rows[REFERRAL]
    assert (row["decision"], row["decision_reason"], row["decided_at"]) == ("declined", "out_of_area",
                                                                            T0 + timedelta(hours=1))
    assert (row["partner_id"], row["received_at"], row["age_band"]) == ("gp-surgery", T0, "65-74")


async def test_a_decision_before_its_referral_waits_in_a_placeholder_the_referral_fills_in(uow):
    await handlers.on_decision(uow, envelope(decided()), decided())

    placeholder = uow.referrals.rows[REFERRAL]
    assert (placeholder["partner_id"], placeholder["received_at"], placeholder["decision"]) == (
        "", T0 + timedelta(hours=1), "accepted")
    assert (placeholder["person_id"], placeholder["programme_id"]) == (PERSON, PROGRAMME)

    await handlers.on_referral(uow, envelope(referral()), referral())

    row = uow.referrals.rows[REFERRAL]
    assert (row["partner_id"], row["received_at"], row["source_category"]) == ("gp-surgery", T0, "statutory")
    assert (row["decision"], row["decided_at"]) == ("accepted", T0 + timedelta(hours=1))


async def test_a_redelivered_referral_or_decision_is_handled_once(uow):
    first, decision = envelope(referral()), envelope(decided())
    for _ in range(2):
        await handlers.on_referral(uow, first, referral())
        await handlers.on_decision(uow, decision, decided())

    assert len(uow.referrals.rows) == 1
    assert uow.commits == 2  # the redeliveries commit nothing
    assert uow.handled == {(handlers.CONSUMER_REFERRALS, first.id), (handlers.CONSUMER_DECISIONS, decision.id)}


# --- the case's life --------------------------------------------------------------------------


async def test_a_case_opened_has_no_worker_contact_or_closure_yet(uow):
    await on_case(uow, ev.CaseOpened(**case_fields(), person_id=PERSON, priority=3, expected_weekly_hours=1,
                                     pathway="standard"))

    assert uow.cases.rows[CASE] == {
        "case_id": CASE, "referral_id": REFERRAL, "programme_id": PROGRAMME, "worker_id": None, "worker_role": None,
        "opened_at": T0, "assigned_at": None, "first_contact_at": None, "closed_at": None, "closure_reason": None,
        "contacts": 0, "contact_minutes": 0}


async def test_assignment_transfer_contacts_and_closure_each_change_the_case(uow):
    opened = ev.CaseOpened(**case_fields(), person_id=PERSON, priority=3, expected_weekly_hours=1, pathway="standard")
    assigned = ev.CaseAssigned(case_id=CASE, referral_id=REFERRAL, person_id=PERSON, programme_id=PROGRAMME,
                               worker_id=WORKER, worker_role=ev.WorkerRole.VOLUNTEER, expected_weekly_hours=1,
                               assigned_at=T0 + timedelta(days=1))
    await on_case(uow, opened, assigned)
    case = uow.cases.rows[CASE]
    assert (case["worker_id"], case["worker_role"], case["assigned_at"]) == (WORKER, "volunteer",
                                                                             T0 + timedelta(days=1))

    await on_case(uow, ev.CaseTransferred(**case_fields(30), from_worker_id=WORKER, to_worker_id=OTHER_WORKER,
                                          reason="leave"))
    assert uow.cases.rows[CASE]["worker_id"] == OTHER_WORKER

    # Two calls reach the person (20 and 45 minutes); one attempt between them does not.
    await on_case(uow, contact(20, hours=48), contact(5, hours=50, successful=False), contact(45, hours=72))
    case = uow.cases.rows[CASE]
    assert (case["contacts"], case["contact_minutes"], case["first_contact_at"]) == (2, 65, T0 + timedelta(hours=48))

    closed_at = T0 + timedelta(days=60)
    await on_case(uow, ev.CaseClosed(case_id=CASE, referral_id=REFERRAL, person_id=PERSON, programme_id=PROGRAMME,
                                     worker_id=WORKER, worker_role=ev.WorkerRole.CONNECTOR,
                                     reason=ev.ClosureReason.PLANNED_END, contact_count=2, opened_at=T0,
                                     closed_at=closed_at))
    case = uow.cases.rows[CASE]
    assert (case["closed_at"], case["closure_reason"], case["worker_id"], case["worker_role"]) == (
        closed_at, "planned_end", WORKER, "connector")
    assert (case["opened_at"], case["contacts"]) == (T0, 2)  # closing keeps what came before


async def test_an_unsuccessful_contact_attempt_is_not_a_contact(uow):
    await on_case(uow, ev.CaseOpened(**case_fields(), person_id=PERSON, priority=3, expected_weekly_hours=1,
                                     pathway="standard"), contact(10, hours=1, successful=False))

    case = uow.cases.rows[CASE]
    assert (case["contacts"], case["contact_minutes"], case["first_contact_at"]) == (0, 0, None)


async def test_a_redelivered_contact_is_counted_once(uow):
    await on_case(uow, ev.CaseOpened(**case_fields(), person_id=PERSON, priority=3, expected_weekly_hours=1,
                                     pathway="standard"))
    call = contact(30, hours=2)
    delivery = envelope(call)
    await handlers.on_case_event(uow, delivery, call)
    await handlers.on_case_event(uow, delivery, call)

    assert (uow.cases.rows[CASE]["contacts"], uow.cases.rows[CASE]["contact_minutes"]) == (1, 30)


async def test_a_case_event_that_changes_no_fact_is_still_marked_handled(uow):
    goal = ev.CaseGoalSet(**case_fields(), goal_id=uuid.uuid4(), description="join a walking group")
    delivery = envelope(goal)
    await handlers.on_case_event(uow, delivery, goal)

    assert uow.cases.rows == {} and (handlers.CONSUMER_CASES, delivery.id) in uow.handled


# --- measures ---------------------------------------------------------------------------------


async def test_measures_are_scored_as_they_arrive_at_each_timepoint(uow):
    # UCLA-3 sums three items of 1-3; 6-7 is lonely, 8-9 most lonely.
    await on_case(uow, measure("ucla3", "baseline", [3, 3, 2]), measure("ucla3", "end", [2, 2, 1], hours=900),
                  measure("ucla3", "follow_up", [1, 1, 1], hours=3000))

    by_time = {timepoint: m for (_, _, timepoint), m in uow.measures.rows.items()}
    assert {t: (m.score, m.category) for t, m in by_time.items()} == {
        "baseline": (8, "most_lonely"), "end": (5, "not_lonely"), "follow_up": (3, "not_lonely")}
    baseline = by_time["baseline"]
    assert (baseline.instrument_version, baseline.programme_id, baseline.worker_id, baseline.items,
            baseline.recorded_at, baseline.invalid_reason) == ("1", PROGRAMME, WORKER, [3, 3, 2], T0, None)
    assert by_time["end"].recorded_at == T0 + timedelta(hours=900)


async def test_an_invalid_response_is_kept_unscored_with_the_item_and_the_reason(uow):
    await on_case(uow, measure("ucla3", "baseline", [4, 1, 1]))

    kept = uow.measures.rows[(CASE, "ucla3", "baseline")]
    assert (kept.score, kept.category, kept.subscores, kept.items) == (None, None, None, [4, 1, 1])
    assert kept.invalid_reason.startswith("lack_companionship:")


async def test_a_measure_not_collected_is_kept_with_why_and_no_score(uow):
    await on_case(uow, measure("ucla3", "end", not_collected="declined"))

    kept = uow.measures.rows[(CASE, "ucla3", "end")]
    assert (kept.score, kept.not_collected_reason, kept.invalid_reason) == (None, "declined", None)


async def test_a_measure_recorded_again_at_the_same_timepoint_replaces_the_first(uow):
    await on_case(uow, measure("ucla3", "baseline", [1, 1, 1]), measure("ucla3", "baseline", [2, 2, 2], hours=1))

    assert len(uow.measures.rows) == 1
    assert uow.measures.rows[(CASE, "ucla3", "baseline")].score == 6


SEALED_CONCERN = "sealed:v1:" + str(PERSON) + ":c2VhbGVkLWJ5LWNhc2Vsb2Fk"


def sealed_measure(instrument: str, timepoint: str, items, *, concerns, hours: float = 0):
    return ev.CaseMeasureRecordedV2(**case_fields(hours), person_id=PERSON, worker_id=WORKER, measure={
        "instrument": instrument, "timepoint": timepoint, "items": items, "concerns": concerns})


async def test_mycaw_is_scored_from_sealed_concerns_and_keeps_none_of_the_words(uow):
    # MYCaW: two concerns and wellbeing, each 0-6; the score is their mean. The concerns arrive sealed.
    await on_case(uow, sealed_measure("mycaw", "baseline", [5, 4, 3], concerns=[SEALED_CONCERN] * 2))
    await on_case(uow, sealed_measure("mycaw", "end", [2, 1, 3], concerns=[SEALED_CONCERN] * 2, hours=900))
    end = uow.measures.rows[(CASE, "mycaw", "end")]
    assert end.score == 2.0 and "concerns" not in dataclasses.asdict(end)

    await on_case(uow, sealed_measure("mycaw", "follow_up", [1, 1, 1], concerns=[SEALED_CONCERN], hours=2000))
    follow_up = uow.measures.rows[(CASE, "mycaw", "follow_up")]
    assert follow_up.score is None and follow_up.invalid_reason.startswith("concerns:")


async def test_sealed_signpost_notes_and_need_details_are_counted_not_copied(uow):
    signpost = ev.CaseSignpostedV2(**case_fields(), signpost_id=uuid.uuid4(), destination="Walking group",
                                   category="activity", note=SEALED_CONCERN)
    need = ev.CaseUnmetNeedRecordedV2(**case_fields(), need="befriending", detail=SEALED_CONCERN)
    await on_case(uow, signpost, need)
    assert [(r["destination"], r["category"]) for r in uow.signposts.rows.values()] == [("Walking group", "activity")]
    assert [r["need"] for r in uow.unmet_needs.rows] == ["befriending"]
    assert "sealed:" not in repr(uow.signposts.rows) + repr(uow.unmet_needs.rows)


async def test_an_erased_person_leaves_a_tombstone_and_every_fact(uow):
    await on_case(uow, measure("ucla3", "baseline", [3, 3, 2]))
    before = dataclasses.asdict(uow.measures.rows[(CASE, "ucla3", "baseline")])
    erased = PersonErased(person_id=PERSON, basis="request", erased_at=T0)
    delivered = envelope(erased)
    await handlers.on_person_erased(uow, delivered, erased)
    await handlers.on_person_erased(uow, delivered, erased)  # delivered again: handled once

    assert await uow.data_keys.destroyed(str(PERSON)) and uow.commits == 2
    assert dataclasses.asdict(uow.measures.rows[(CASE, "ucla3", "baseline")]) == before


# --- signposts and unmet needs ----------------------------------------------------------------


async def test_a_signpost_and_then_whether_it_was_taken_up(uow):
    signpost = uuid.uuid4()
    await on_case(uow, ev.CaseSignposted(**case_fields(), signpost_id=signpost, destination="Lunch club",
                                         category="social"))
    assert uow.signposts.rows[signpost] == {"signpost_id": signpost, "case_id": CASE, "programme_id": PROGRAMME,
                                            "destination": "Lunch club", "category": "social", "taken_up": None}

    await on_case(uow, ev.CaseSignpostTakeUpRecorded(**case_fields(24), signpost_id=signpost, taken_up=True))
    assert uow.signposts.rows[signpost]["taken_up"] is True


async def test_a_signpost_given_again_keeps_the_first_and_take_up_of_an_unknown_one_changes_nothing(uow):
    signpost = uuid.uuid4()
    await on_case(uow, ev.CaseSignposted(**case_fields(), signpost_id=signpost, destination="Lunch club"),
                  ev.CaseSignposted(**case_fields(1), signpost_id=signpost, destination="Choir"),
                  ev.CaseSignpostTakeUpRecorded(**case_fields(2), signpost_id=uuid.uuid4(), taken_up=False))

    assert list(uow.signposts.rows) == [signpost]
    assert (uow.signposts.rows[signpost]["destination"], uow.signposts.rows[signpost]["taken_up"]) == (
        "Lunch club", None)


async def test_each_unmet_need_is_kept_and_a_redelivered_one_once(uow):
    transport = ev.CaseUnmetNeedRecorded(**case_fields(), need="transport", postcode_district="E8")
    delivery = envelope(transport)
    await handlers.on_case_event(uow, delivery, transport)
    await handlers.on_case_event(uow, delivery, transport)
    await on_case(uow, ev.CaseUnmetNeedRecorded(**case_fields(5), need="befriending"))

    assert uow.unmet_needs.rows == [
        {"case_id": CASE, "programme_id": PROGRAMME, "need": "transport", "postcode_district": "E8", "recorded_at": T0},
        {"case_id": CASE, "programme_id": PROGRAMME, "need": "befriending", "postcode_district": None,
         "recorded_at": T0 + timedelta(hours=5)}]


async def test_a_redelivered_measure_or_signpost_is_handled_once(uow):
    baseline = measure("ucla3", "baseline", [3, 3, 3])
    signpost = ev.CaseSignposted(**case_fields(), signpost_id=uuid.uuid4(), destination="Lunch club")
    deliveries = [(envelope(baseline), baseline), (envelope(signpost), signpost)]
    for delivery, event in deliveries * 2:
        await handlers.on_case_event(uow, delivery, event)

    assert (len(uow.measures.rows), len(uow.signposts.rows), uow.commits) == (1, 1, 2)


# --- consent to data sharing ------------------------------------------------------------------------


async def test_consent_to_data_sharing_changed_on_the_case_is_kept_with_the_referral(uow):
    await handlers.on_referral(uow, envelope(referral()), referral())
    withdrawn = ev.CaseConsentChanged(**case_fields(2), person_id=PERSON, to_contact=True, to_data_sharing=False,
                                      reported_by="person", reported_at=T0)
    await on_case(uow, withdrawn)
    assert uow.referrals.rows[REFERRAL]["to_data_sharing"] is False
