"""Caseload's use cases against the in-memory unit of work: no broker, no database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.caseload.domain.model import NotAllowed
from services.caseload.service_layer import assignment, handlers, queries
from services.caseload.service_layer import commands as c
from services.caseload.service_layer.errors import CaseNotFound, Forbidden, OfferNotFound, WorkerNotFound
from services.caseload.service_layer.ownership import Viewer
from services.caseload.service_layer.timers import run_timers
from shared.schemas import topics
from shared.schemas.envelope import new_envelope
from shared.schemas.events.case import ClosureReason
from shared.schemas.events.common import MeasureResponse
from shared.schemas.events.triage import Decision, Pathway, TriageDecided
from tests.unit.caseload.fakes import FakeCaseloadUnitOfWork

PROGRAMME = "demo"
STAFF = "coordinator-1"
UCLA_BASELINE = MeasureResponse(instrument="ucla3", timepoint="baseline", items=[2, 2, 3])
UCLA_END = MeasureResponse(instrument="ucla3", timepoint="end", items=[1, 1, 2])


@pytest.fixture
def uow() -> FakeCaseloadUnitOfWork:
    return FakeCaseloadUnitOfWork()


def decided(*, hours: float = 1.5, priority: int = 3, pathway: Pathway = Pathway.CONNECTOR,
            decision: Decision = Decision.ACCEPTED, **extra) -> TriageDecided:
    return TriageDecided(referral_id=uuid.uuid4(), person_id=uuid.uuid4(), programme_id=PROGRAMME, decision=decision,
                         rules=[], ruleset_version="1", pathway=pathway, priority=priority,
                         expected_weekly_hours=hours, decided_at=datetime.now(UTC), **extra)


def envelope_of(decision: TriageDecided):
    return new_envelope(decision, source="/tests", subject=str(decision.referral_id), correlation_id=uuid.uuid4())


async def add_worker(uow, *, hours: str = "3", role: str = "connector", name: str = "Asha", **profile) -> uuid.UUID:
    worker_id = uuid.uuid4()
    await handlers.handle(c.AddWorker(STAFF, worker_id, PROGRAMME, {"name": name, "role": role,
                                                                   "capacity_hours": Decimal(hours), **profile}), uow)
    return worker_id


async def open_case(uow, decision: TriageDecided | None = None):
    decision = decision or decided()
    await assignment.open_case(uow, envelope_of(decision), decision)
    return await uow.cases.for_referral(decision.referral_id)


def case_events(uow) -> list[str]:
    return [e.event_type for e in uow.events(topics.CASES)]


async def assigned_case(uow, worker_id=None):
    worker_id = worker_id or await add_worker(uow, auto_accept_offers=True)
    case = await open_case(uow)
    assert case.status == "assigned" and case.worker_id == worker_id
    return case, worker_id


async def contacted_case(uow):
    case, worker_id = await assigned_case(uow)
    await handlers.handle(c.RecordContact(STAFF, case.id, kind="phone", minutes=20,
                                          occurred_at=datetime.now(UTC)), uow)
    return case, worker_id


# --- opening, offering, the waiting list ------------------------------------------------------------


async def test_an_accepted_referral_with_nobody_free_waits(uow):
    case = await open_case(uow)
    assert case.status == "waiting"
    assert case_events(uow) == ["case.opened", "case.waitlisted"]
    waitlisted = uow.events(topics.CASES)[-1]
    assert waitlisted.estimated_wait_days >= 1 and waitlisted.priority == 3


async def test_declined_and_signpost_only_decisions_open_no_case(uow):
    for decision in (decided(decision=Decision.DECLINED), decided(pathway=Pathway.SIGNPOST_ONLY)):
        assert await open_case(uow, decision) is None
    assert uow.published == []


async def test_a_redelivered_decision_opens_one_case(uow):
    await add_worker(uow)
    decision = decided()
    envelope = envelope_of(decision)
    await assignment.open_case(uow, envelope, decision)
    await assignment.open_case(uow, envelope, decision)
    assert len(uow.cases.by_id) == 1
    assert case_events(uow) == ["case.opened", "case.offered"]


async def test_a_later_decision_for_the_same_referral_opens_no_second_case(uow):
    decision = decided()
    await open_case(uow, decision)
    override = decision.model_copy(update={"priority": 1})
    await assignment.open_case(uow, envelope_of(override), override)
    assert len(uow.cases.by_id) == 1


async def test_the_case_is_offered_to_a_worker_with_room_who_is_told_on_their_own_key(uow):
    worker_id = await add_worker(uow, hours="2")
    case = await open_case(uow, decided(hours=1.5))
    assert case.status == "offered" and case.worker_id == worker_id
    (offer,) = await uow.offers.for_worker(worker_id)
    assert offer["hours"] == Decimal("1.5") and offer["rank"] == 1
    offers_topic = [(t, subject) for t, subject, _ in uow.published if t == topics.OFFERS]
    assert offers_topic == [(topics.OFFERS, str(worker_id))]
    assert uow.workers.by_id[worker_id]["load_hours"] == Decimal("1.5")  # held while the offer is open


async def test_a_worker_without_the_hours_is_passed_over(uow):
    await add_worker(uow, hours="1")
    case = await open_case(uow, decided(hours=1.5))
    assert case.status == "waiting"


async def test_a_volunteer_pathway_goes_to_a_volunteer(uow):
    await add_worker(uow, role="connector", name="Connie")
    volunteer = await add_worker(uow, role="volunteer", name="Vic")
    case = await open_case(uow, decided(pathway=Pathway.VOLUNTEER))
    assert case.worker_id == volunteer and case.lead_role == "volunteer"


async def test_accepting_an_offer_assigns_the_case_and_starts_its_clocks(uow):
    worker_id = await add_worker(uow)
    case = await open_case(uow)
    (offer,) = await uow.offers.for_worker(worker_id)
    result = await handlers.handle(c.AcceptOffer("worker-1", offer["id"]), uow)
    assert result == {"offer_id": str(offer["id"]), "status": "accepted", "case_status": "assigned"}
    assert case.assigned_at is not None and case.waiting_since is None
    assert case.first_contact_due_at - case.assigned_at >= timedelta(days=5)  # five working days
    assert case.review_due_at - case.assigned_at == timedelta(weeks=6)
    assert uow.cases.history[case.id][-1][2] == "worker-1"  # who accepted is in the history


async def test_an_offer_is_answered_once(uow):
    worker_id = await add_worker(uow)
    await open_case(uow)
    (offer,) = await uow.offers.for_worker(worker_id)
    await handlers.handle(c.AcceptOffer(STAFF, offer["id"]), uow)
    with pytest.raises(NotAllowed, match="this offer is accepted"):
        await handlers.handle(c.DeclineOffer(STAFF, offer["id"], "too busy"), uow)
    with pytest.raises(OfferNotFound):
        await handlers.handle(c.AcceptOffer(STAFF, uuid.uuid4()), uow)


async def test_a_declined_offer_frees_the_room_and_goes_to_the_next_worker(uow):
    first = await add_worker(uow, name="Asha")
    second = await add_worker(uow, name="Ben")
    case = await open_case(uow)
    offered_to = case.worker_id
    (offer,) = await uow.offers.for_worker(offered_to)
    with pytest.raises(NotAllowed, match="say why"):
        await handlers.handle(c.DeclineOffer(STAFF, offer["id"], ""), uow)
    await handlers.handle(c.DeclineOffer(STAFF, offer["id"], "on leave"), uow)
    assert case.worker_id == ({first, second} - {offered_to}).pop() and case.status == "offered"
    assert uow.workers.by_id[offered_to]["load_hours"] == 0
    assert case_events(uow)[-2:] == ["case.offer_declined", "case.offered"]


async def test_a_new_worker_takes_the_most_urgent_waiting_case_first(uow):
    routine = await open_case(uow, decided(priority=4))
    urgent = await open_case(uow, decided(priority=1))
    await add_worker(uow, hours="1.5")  # room for one of them
    assert urgent.status == "offered" and routine.status == "waiting"


async def test_the_waiting_list_is_in_offer_order(uow):
    routine = await open_case(uow, decided(priority=4))
    urgent = await open_case(uow, decided(priority=1))
    listed = await queries.waiting_list(uow, PROGRAMME)
    assert [(e["position"], e["case_id"]) for e in listed] == [(1, urgent.id), (2, routine.id)]


async def test_a_worker_cannot_be_cut_below_the_hours_they_carry(uow):
    case, worker_id = await assigned_case(uow)
    with pytest.raises(NotAllowed, match="capacity below"):
        await handlers.handle(c.UpdateWorker(STAFF, worker_id, {"capacity_hours": Decimal("1")}), uow)
    with pytest.raises(WorkerNotFound):
        await handlers.handle(c.UpdateWorker(STAFF, uuid.uuid4(), {"site": "north"}), uow)
    updated = await handlers.handle(c.UpdateWorker(STAFF, worker_id, {"site": "north"}), uow)
    assert updated["site"] == "north"


async def test_programme_settings_change_the_review_clock(uow):
    await handlers.handle(c.SetProgrammeSettings(STAFF, PROGRAMME, {"review_weeks": 2}), uow)
    case, _ = await assigned_case(uow)
    assert case.review_due_at - case.assigned_at == timedelta(weeks=2)


async def test_a_programmes_settings_read_back_as_set_and_the_defaults_for_the_rest(uow):
    before = await queries.programme_settings(uow, "elsewhere")
    assert before["review_weeks"] == 6 and before["ageing_days"] == 14  # nothing set: caseload's defaults
    await handlers.handle(c.SetProgrammeSettings(STAFF, "elsewhere", {**before, "review_weeks": 2}), uow)
    after = await queries.programme_settings(uow, "elsewhere")
    assert after == {**before, "review_weeks": 2, "programme_id": "elsewhere"}


async def test_a_programmes_settings_are_read_only_by_those_in_it(uow):
    with pytest.raises(Forbidden):
        await queries.programme_settings(uow, PROGRAMME, Viewer(programmes=("elsewhere",)))


# --- the lifecycle -------------------------------------------------------------------------------------


async def test_contacts_count_and_the_first_one_is_announced_once(uow):
    case, _ = await assigned_case(uow)
    now = datetime.now(UTC)
    missed = await handlers.handle(c.RecordContact(STAFF, case.id, kind="phone", minutes=5, occurred_at=now,
                                                   successful=False), uow)
    first = await handlers.handle(c.RecordContact(STAFF, case.id, kind="phone", minutes=20, occurred_at=now), uow)
    second = await handlers.handle(c.RecordContact(STAFF, case.id, kind="home_visit", minutes=60,
                                                   occurred_at=now), uow)
    assert (missed, first, second) == (0, 1, 2)
    assert case_events(uow).count("case.first_contact_made") == 1
    assert case.first_contact_at == now and case.state.attempts == 1
    assert len(uow.cases.contacts) == 2  # attempts are in the history only
    assert "case.first_contact_made" not in [e[0] for e in uow.cases.history[case.id]]


async def test_a_waiting_case_has_no_worker_to_record_contact_for(uow):
    case = await open_case(uow)
    with pytest.raises(NotAllowed, match="no worker"):
        await handlers.handle(c.RecordContact(STAFF, case.id, kind="phone", minutes=5,
                                              occurred_at=datetime.now(UTC)), uow)
    with pytest.raises(CaseNotFound):
        await handlers.handle(c.RecordContact(STAFF, uuid.uuid4(), kind="phone", minutes=5,
                                              occurred_at=datetime.now(UTC)), uow)


async def test_up_to_three_goals_at_a_time_and_progress_on_them(uow):
    case, _ = await assigned_case(uow)
    goals = [await handlers.handle(c.SetGoal(STAFF, case.id, f"goal {n}"), uow) for n in range(3)]
    with pytest.raises(NotAllowed, match="up to 3 goals"):
        await handlers.handle(c.SetGoal(STAFF, case.id, "a fourth"), uow)
    await handlers.handle(c.ProgressGoal(STAFF, case.id, uuid.UUID(goals[0]["goal_id"]), "achieved"), uow)
    await handlers.handle(c.SetGoal(STAFF, case.id, "a fourth, now there is room"), uow)
    with pytest.raises(NotAllowed, match="no such goal"):
        await handlers.handle(c.ProgressGoal(STAFF, case.id, uuid.uuid4(), "achieved"), uow)
    assert case.state.active_goals == 3


async def test_signposts_and_whether_they_were_taken_up(uow):
    case, _ = await assigned_case(uow)
    result = await handlers.handle(c.Signpost(STAFF, case.id, "Tuesday lunch club", "social"), uow)
    signpost_id = uuid.UUID(result["signpost_id"])
    await handlers.handle(c.RecordTakeUp(STAFF, case.id, signpost_id, True), uow)
    assert case.state.signposts == {str(signpost_id): True}
    with pytest.raises(NotAllowed, match="no such signpost"):
        await handlers.handle(c.RecordTakeUp(STAFF, case.id, uuid.uuid4(), True), uow)


async def test_an_unmet_need_carries_the_area_not_the_person(uow):
    worker = await add_worker(uow, auto_accept_offers=True)
    case = await open_case(uow, decided(postcode_district="E8"))
    assert case.worker_id == worker
    await handlers.handle(c.RecordUnmetNeed(STAFF, case.id, "a men's shed"), uow)
    need = uow.events(topics.CASES)[-1]
    assert (need.event_type, need.need, need.postcode_district) == ("case.unmet_need_recorded", "a men's shed", "E8")


async def test_review_and_extension_move_the_budget(uow):
    case, _ = await assigned_case(uow)
    ends = case.budget_ends_at
    await handlers.handle(c.ReviewCase(STAFF, case.id, "extend"), uow)
    await handlers.handle(c.ExtendCase(STAFF, case.id, extra_weeks=4, extra_sessions=2, reason="needs longer"), uow)
    assert case.state.reviewed and case.budget_ends_at == ends + timedelta(weeks=4)
    assert (case.state.budget_weeks, case.state.budget_sessions) == (16, 14)
    waiting = await open_case(uow, decided(hours=10))  # more than anyone has
    with pytest.raises(NotAllowed, match="cannot review a waiting case"):
        await handlers.handle(c.ReviewCase(STAFF, waiting.id, "continue"), uow)


async def test_a_hold_gives_the_hours_to_someone_waiting_and_resuming_needs_room_again(uow):
    case, worker_id = await assigned_case(uow, await add_worker(uow, hours="1.5", auto_accept_offers=True))
    waiting = await open_case(uow)
    assert waiting.status == "waiting"
    await handlers.handle(c.PutOnHold(STAFF, case.id, "in hospital"), uow)
    assert case.status == "on_hold" and case.worker_id == worker_id
    assert waiting.status == "assigned" and waiting.worker_id == worker_id
    with pytest.raises(NotAllowed, match="no room now"):
        await handlers.handle(c.ResumeCase(STAFF, case.id), uow)
    with pytest.raises(NotAllowed, match="cannot put a on_hold case on hold"):
        await handlers.handle(c.PutOnHold(STAFF, case.id, "again"), uow)
    await handlers.handle(c.CloseCase(STAFF, waiting.id, ClosureReason.CONTACT_FAILED), uow)
    await handlers.handle(c.ResumeCase(STAFF, case.id), uow)
    assert case.status == "assigned"
    with pytest.raises(NotAllowed, match="cannot resume a assigned case"):
        await handlers.handle(c.ResumeCase(STAFF, case.id), uow)


async def test_a_transfer_moves_the_hours_to_a_worker_with_room(uow):
    case, first = await assigned_case(uow)
    full = await add_worker(uow, hours="1", name="Full")
    second = await add_worker(uow, name="Ben")
    with pytest.raises(NotAllowed, match="already with that worker"):
        await handlers.handle(c.TransferCase(STAFF, case.id, first, "no change"), uow)
    with pytest.raises(NotAllowed, match="no room"):
        await handlers.handle(c.TransferCase(STAFF, case.id, full, "moving"), uow)
    with pytest.raises(NotAllowed, match="no such worker"):
        await handlers.handle(c.TransferCase(STAFF, case.id, uuid.uuid4(), "moving"), uow)
    await handlers.handle(c.TransferCase(STAFF, case.id, second, "moving area"), uow)
    assert case.worker_id == second
    assert (uow.workers.by_id[first]["load_hours"], uow.workers.by_id[second]["load_hours"]) == (0, Decimal("1.5"))


async def test_measures_baseline_while_open_follow_up_only_after_closing(uow):
    case, worker_id = await contacted_case(uow)
    result = await handlers.handle(c.RecordMeasure(STAFF, case.id, UCLA_BASELINE), uow)
    assert result == {"case_id": str(case.id), "instrument": "ucla3", "timepoint": "baseline"}
    recorded = uow.events(topics.CASES)[-1]
    assert recorded.worker_role == "connector" and recorded.worker_id == worker_id
    follow_up = MeasureResponse(instrument="ucla3", timepoint="follow_up", items=[1, 1, 1])
    with pytest.raises(NotAllowed, match="after the case has closed"):
        await handlers.handle(c.RecordMeasure(STAFF, case.id, follow_up), uow)


async def test_closing_records_the_end_measures_frees_the_worker_and_sets_the_follow_up(uow):
    case, worker_id = await contacted_case(uow)
    waiting = await open_case(uow, decided(hours=3))
    closed = await handlers.handle(c.CloseCase(STAFF, case.id, ClosureReason.PLANNED_END, [UCLA_END]), uow)
    assert closed["status"] == "closed" and closed["contact_count"] == 1
    assert closed["closure_reason"] == "planned_end" and closed["measures"][0]["timepoint"] == "end"
    assert case_events(uow)[-4:-1] == ["case.measure_recorded", "case.closed", "case.offered"]
    assert waiting.status == "assigned"  # the freed hours went to the next person
    assert 89 <= (case.follow_up_due_at - case.closed_at).days <= 92  # three months on
    with pytest.raises(NotAllowed, match="already closed"):
        await handlers.handle(c.CloseCase(STAFF, case.id, ClosureReason.OTHER), uow)


async def test_a_case_with_no_contact_closes_only_as_contact_failed(uow):
    case, _ = await assigned_case(uow)
    with pytest.raises(NotAllowed, match="contact_failed"):
        await handlers.handle(c.CloseCase(STAFF, case.id, ClosureReason.PLANNED_END), uow)
    await handlers.handle(c.CloseCase(STAFF, case.id, ClosureReason.CONTACT_FAILED), uow)
    assert case.status == "closed"


async def test_a_refused_command_publishes_nothing(uow):
    case = await open_case(uow)
    before = len(uow.published)
    with pytest.raises(NotAllowed):
        await handlers.handle(c.SetGoal(STAFF, case.id, "see friends"), uow)
    assert len(uow.published) == before


# --- timers and what staff read --------------------------------------------------------------------------


async def test_timers_expire_offers_alert_missed_first_contacts_and_ask_for_follow_ups(uow):
    first = await add_worker(uow, name="Asha")
    lapsing = await open_case(uow)
    assigned, _ = await assigned_case(uow, await add_worker(uow, name="Ben", auto_accept_offers=True))
    closed, _ = await assigned_case(uow, await add_worker(uow, name="Cy", auto_accept_offers=True))
    await handlers.handle(c.CloseCase(STAFF, closed.id, ClosureReason.CONTACT_FAILED), uow)
    later = datetime.now(UTC) + timedelta(days=120)
    counts = await run_timers(uow, later)
    assert counts == {"offers_expired": 1, "first_contact_deadlines_missed": 1, "follow_ups_requested": 1}
    assert lapsing.worker_id != first  # offered on to the next worker
    assert assigned.state.first_contact_deadline_missed and closed.follow_up_requested_at == later
    again = await run_timers(uow, later)
    assert again["first_contact_deadlines_missed"] == 0 and again["follow_ups_requested"] == 0


async def test_the_case_summary_says_which_measures_are_due(uow):
    case, _ = await contacted_case(uow)
    summary = await queries.case_summary(uow, case.id)
    assert summary["measures_due"] == ["baseline"] and summary["contact_count"] == 1
    await handlers.handle(c.RecordMeasure(STAFF, case.id, UCLA_BASELINE), uow)
    await handlers.handle(c.CloseCase(STAFF, case.id, ClosureReason.PLANNED_END), uow)
    summary = await queries.case_summary(uow, case.id)
    assert summary["status"] == "closed" and summary["measures_due"] == ["end"]
    with pytest.raises(CaseNotFound):
        await queries.case_summary(uow, uuid.uuid4())


async def test_every_command_has_a_handler():
    commands = {cls for cls in vars(c).values() if isinstance(cls, type) and issubclass(cls, c.Command)}
    assert commands - {c.Command, c.CaseCommand} == set(handlers.HANDLERS)
