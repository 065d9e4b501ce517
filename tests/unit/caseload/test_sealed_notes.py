"""What staff write about a person is sealed under caseload's data key for them: in the case's history, its row,
its offers and every event published; the case's readers see it opened, and after the person is erased, as
erased. Against the in-memory unit of work (its sealer is the real one over an in-memory key store)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from services.caseload.domain.model import NotAllowed
from services.caseload.service_layer import handlers, notes, queries
from services.caseload.service_layer import commands as c
from shared.platform.sealing import is_sealed
from shared.schemas import topics
from shared.schemas.envelope import new_envelope
from shared.schemas.events import case as ev
from shared.schemas.events.case import ClosureReason
from shared.schemas.events.common import MeasureResponse
from shared.schemas.events.erasure import PersonErased
from tests.unit.caseload.fakes import FakeCaseloadUnitOfWork
from tests.unit.caseload.test_handlers import STAFF, add_worker, contacted_case, decided, open_case

# Distinctive words, found nowhere else, so a search for them finds only what was written.
WORDS = {
    "decline": "Declined: Zanzibar-Quokka lives next door to me",
    "goal": "Goal: Quokka-Marmalade choir on Tuesdays",
    "signpost": "Note: Quokka-Tangerine is afraid of buses",
    "need": "Detail: Quokka-Pistachio cannot afford the fare",
    "extend": "Extended: Quokka-Velvet is in hospital again",
    "hold": "Hold: Quokka-Saffron is caring for her sister",
    "transfer": "Transfer: Quokka-Juniper asked for a woman worker",
    "contact": "Contact: Quokka-Biscuit was tearful about her garden",
    "concern_1": "Quokka-Lantern: I never see anyone",
    "concern_2": "Quokka-Harbour: my knees",
}


@pytest.fixture
def uow() -> FakeCaseloadUnitOfWork:
    return FakeCaseloadUnitOfWork()


def mycaw(timepoint: str, concerns: list[str]) -> MeasureResponse:
    return MeasureResponse(instrument="mycaw", timepoint=timepoint, items=[4, 3, 2], concerns=concerns)


async def write_everything(uow) -> tuple[object, uuid.UUID]:
    """A case with distinctive free text in every field that takes some."""
    case, _ = await contacted_case(uow)
    # Another case, too long for that worker's room left, offered to one of two others, who declines.
    await add_worker(uow, name="Ben")
    await add_worker(uow, name="Dan")
    offered = await open_case(uow, decided(hours=2.5))
    (offer,) = await uow.offers.for_worker(offered.worker_id)
    await handlers.handle(c.DeclineOffer(STAFF, offer["id"], WORDS["decline"]), uow)

    await handlers.handle(c.RecordContact(STAFF, case.id, kind="phone", minutes=10, occurred_at=datetime.now(UTC),
                                          note=WORDS["contact"]), uow)
    await handlers.handle(c.SetGoal(STAFF, case.id, WORDS["goal"]), uow)
    await handlers.handle(c.Signpost(STAFF, case.id, "Walking group", "activity", note=WORDS["signpost"]), uow)
    await handlers.handle(c.RecordUnmetNeed(STAFF, case.id, "befriending", detail=WORDS["need"]), uow)
    await handlers.handle(c.ExtendCase(STAFF, case.id, extra_weeks=2, reason=WORDS["extend"]), uow)
    await handlers.handle(c.RecordMeasure(STAFF, case.id, mycaw("baseline", [WORDS["concern_1"], WORDS["concern_2"]])),
                          uow)
    await handlers.handle(c.PutOnHold(STAFF, case.id, WORDS["hold"]), uow)
    other = await add_worker(uow, name="Cleo")
    await handlers.handle(c.TransferCase(STAFF, case.id, other, WORDS["transfer"]), uow)
    return case, offered.id


def everything_stored(uow) -> str:
    return repr([uow.cases.history, [c.snapshot() for c in uow.cases.by_id.values()], uow.offers.by_id,
                 [p.model_dump(mode="json") for p in uow.events()]])


async def test_every_free_text_field_is_stored_and_published_only_sealed(uow):
    await write_everything(uow)
    stored = everything_stored(uow)
    assert [word for word in WORDS.values() if word in stored] == []
    assert "Quokka" not in stored
    # Each event with text is its sealed version, and the text in it is sealed for the person.
    published = {type(p) for p in uow.events(topics.CASES)}
    assert {ev.CaseOfferDeclinedV3, ev.CaseContactRecordedV2, ev.CaseGoalSetV2, ev.CaseSignpostedV2, ev.CaseUnmetNeedRecordedV2,
            ev.CaseExtendedV2, ev.CaseMeasureRecordedV2, ev.CasePutOnHoldV2, ev.CaseTransferredV2} <= published
    goal = next(p for p in uow.events(topics.CASES) if isinstance(p, ev.CaseGoalSetV2))
    assert is_sealed(goal.description)
    # Coded values stay clear: what reports count.
    signpost = next(p for p in uow.events(topics.CASES) if isinstance(p, ev.CaseSignpostedV2))
    assert (signpost.destination, signpost.category) == ("Walking group", "activity")


async def test_the_cases_readers_see_the_text_opened(uow):
    case, declined_case = await write_everything(uow)
    history = await queries.case_events(uow, case.id)
    data = {e["event_type"]: e["data"] for e in history}
    assert data["case.goal_set"]["description"] == WORDS["goal"]
    assert data["case.contact_recorded"]["note"] == WORDS["contact"]  # the last contact: the one with a note
    assert data["case.signposted"]["note"] == WORDS["signpost"]
    assert data["case.unmet_need_recorded"]["detail"] == WORDS["need"]
    assert data["case.extended"]["reason"] == WORDS["extend"]
    assert data["case.put_on_hold"]["reason"] == WORDS["hold"]
    assert data["case.transferred"]["reason"] == WORDS["transfer"]
    assert data["case.measure_recorded"]["measure"]["concerns"] == [WORDS["concern_1"], WORDS["concern_2"]]
    declined = {e["event_type"]: e["data"] for e in await queries.case_events(uow, declined_case)}
    assert declined["case.offer_declined"]["reason"] == WORDS["decline"]
    [offer] = [o for o in uow.offers.by_id.values() if o["status"] == "declined"]
    assert (await notes.opened(uow, offer))["response_reason"] == WORDS["decline"]
    summary = await queries.case_summary(uow, case.id)
    assert summary["measures"][0]["concerns"] == [WORDS["concern_1"], WORDS["concern_2"]]


async def test_an_erased_persons_text_reads_as_erased_and_nothing_more_is_recorded(uow):
    case, _ = await write_everything(uow)
    erased = PersonErased(person_id=case.person_id, referral_ids=[case.referral_id], basis="request",
                          erased_at=datetime.now(UTC))
    delivery = new_envelope(erased, source="/services/intake", subject=str(case.person_id),
                            correlation_id=uuid.uuid4())
    commits = uow.commits
    await notes.forget_person(uow, delivery, erased)
    await notes.forget_person(uow, delivery, erased)  # delivered again: handled once
    assert uow.commits == commits + 1 and await uow.data_keys.destroyed(str(case.person_id))

    data = {e["event_type"]: e["data"] for e in await queries.case_events(uow, case.id)}
    assert (data["case.goal_set"]["description"], data["case.goal_set"]["erased_fields"]) == (None, ["description"])
    assert (data["case.put_on_hold"]["reason"], data["case.put_on_hold"]["erased_fields"]) == (None, ["reason"])
    assert (data["case.contact_recorded"]["note"], data["case.contact_recorded"]["erased_fields"]) == (None, ["note"])
    measure = data["case.measure_recorded"]["measure"]
    assert (measure["concerns"], measure["erased_fields"]) == ([None, None], ["concerns"])
    assert data["case.signposted"]["destination"] == "Walking group"  # coded values stay
    with pytest.raises(NotAllowed, match="erased"):
        await handlers.handle(c.SetGoal(STAFF, case.id, "a new goal for someone erased"), uow)


async def test_later_mycaw_scores_must_name_the_baseline_concerns(uow):
    # Outcomes gets the concerns sealed and cannot compare them; caseload, which opens both, does.
    case, _ = await contacted_case(uow)
    await handlers.handle(c.RecordMeasure(STAFF, case.id, mycaw("baseline", ["Going out", "Sleep"])), uow)
    with pytest.raises(NotAllowed, match="fixed at baseline"):
        await handlers.handle(c.RecordMeasure(STAFF, case.id, mycaw("end", ["Money", "Sleep"])), uow)
    closed = await handlers.handle(c.CloseCase(STAFF, case.id, ClosureReason.PLANNED_END,
                                               [mycaw("end", [" going out", "SLEEP "])]), uow)
    assert closed["measures"][0]["concerns"] == [" going out", "SLEEP "]
    assert all(is_sealed(x) for x in uow.cases.by_id[case.id].measures[0]["concerns"])
