"""The person's consent and contact wishes on their case: carried from triage, enforced on contacts,
changed or withdrawn with a history, and told to the registry on the cases topic."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.caseload.domain.model import NotAllowed
from services.caseload.service_layer import handlers, queries
from services.caseload.service_layer import commands as c
from services.caseload.service_layer.errors import CaseNotFound, Forbidden
from services.caseload.service_layer.timers import run_timers
from shared.schemas import topics
from shared.schemas.events.case import ClosureReason
from tests.unit.caseload.fakes import FakeCaseloadUnitOfWork
from tests.unit.caseload.test_handlers import STAFF, add_worker, decided, open_case

NOW = datetime(2026, 3, 2, 10, tzinfo=UTC)


@pytest.fixture
def uow() -> FakeCaseloadUnitOfWork:
    return FakeCaseloadUnitOfWork()


async def case_with(uow, **consent):
    worker_id = await add_worker(uow, auto_accept_offers=True)
    case = await open_case(uow, decided(**consent))
    assert case.status == "assigned"
    return case, worker_id


def contact(case, kind: str, **extra) -> c.RecordContact:
    return c.RecordContact(STAFF, case.id, kind=kind, minutes=20, occurred_at=datetime.now(UTC), **extra)


def withdraw(case, **changes) -> c.ChangeConsent:
    return c.ChangeConsent(STAFF, case.id, reported_by="person", reported_at=NOW, **changes)


async def test_the_wishes_the_referral_gave_are_on_the_case_and_its_summary(uow):
    case, _ = await case_with(uow, to_contact=True, to_data_sharing=False, do_not_contact_by=["phone", "text"],
                              preferred_contact="post")
    summary = await queries.case_summary(uow, case.id)
    consent = summary["consent"]
    assert (consent["to_contact"], consent["to_data_sharing"]) == (True, False)
    assert consent["do_not_contact_by"] == ["phone", "text"] and consent["preferred_contact"] == "post"
    assert [h["reported_by"] for h in consent["history"]] == ["referral"]
    assert summary["can_record_contact"] is True
    assert set(summary["contact_kinds_declined"]) == {"phone", "text"}


async def test_a_contact_by_a_declined_method_is_refused_with_the_instruction(uow):
    case, _ = await case_with(uow, to_contact=True, do_not_contact_by=["phone"], preferred_contact="post")
    before = len(uow.published)
    with pytest.raises(NotAllowed, match="asked not to be contacted by phone; they prefer letter"):
        await handlers.handle(contact(case, "phone"), uow)
    # An attempt that did not reach them is still a call they did not want.
    with pytest.raises(NotAllowed, match="by phone"):
        await handlers.handle(contact(case, "phone", successful=False), uow)
    assert len(uow.published) == before and case.state.contacts == 0
    assert await handlers.handle(contact(case, "letter"), uow) == 1
    assert await handlers.handle(contact(case, "home_visit"), uow) == 2


async def test_with_no_preferred_method_the_refusal_names_the_ways_left(uow):
    case, _ = await case_with(uow, do_not_contact_by=["home_visit", "phone"])
    with pytest.raises(NotAllowed, match=r"by home visit; use a way they have not declined \(text message, email, "
                                         r"letter\)"):
        await handlers.handle(contact(case, "home_visit"), uow)


async def test_a_person_who_said_no_contact_is_not_contacted_but_may_contact_us(uow):
    case, _ = await case_with(uow, to_contact=False)
    for kind in ("phone", "letter", "face_to_face", "video", "group"):
        with pytest.raises(NotAllowed, match="asked not to be contacted by the service"):
            await handlers.handle(contact(case, kind), uow)
    # They rang the worker themselves: recorded, and the record says who started it.
    assert await handlers.handle(contact(case, "phone", initiated_by="person"), uow) == 1
    recorded = [e for e in uow.events(topics.CASES) if e.event_type == "case.contact_recorded"]
    assert [e.initiated_by for e in recorded] == ["person"]


async def test_a_case_from_a_decision_without_consent_fields_is_not_restricted(uow):
    # Decisions published before consent travelled with them carry none: nothing is known, nothing refused.
    case, _ = await case_with(uow)
    assert await handlers.handle(contact(case, "phone"), uow) == 1
    summary = await queries.case_summary(uow, case.id)
    assert summary["consent"]["to_contact"] is None and summary["can_record_contact"] is True


async def test_withdrawing_consent_to_contact_stops_contacts_and_shows_on_the_case(uow):
    case, _ = await case_with(uow, to_contact=True, do_not_contact_by=["phone"], preferred_contact="post")
    await handlers.handle(contact(case, "letter"), uow)
    result = await handlers.handle(withdraw(case, to_contact=False), uow)
    assert result["consent"]["to_contact"] is False
    assert result["consent"]["do_not_contact_by"] == ["phone"]  # what was not said stays as it was
    with pytest.raises(NotAllowed, match="asked not to be contacted by the service"):
        await handlers.handle(contact(case, "letter"), uow)
    summary = await queries.case_summary(uow, case.id)
    assert summary["can_record_contact"] is False
    assert "asked not to be contacted" in summary["contact_refused_reason"]
    history = summary["consent"]["history"]
    assert [(h["reported_by"], h["to_contact"]) for h in history] == [("referral", True), ("person", False)]
    assert history[1]["recorded_by"] == STAFF and history[1]["reported_at"] == NOW.isoformat().replace("+00:00", "Z")


async def test_a_consent_change_goes_out_on_the_cases_topic_keyed_by_case(uow):
    case, _ = await case_with(uow, to_contact=True, to_data_sharing=True)
    await handlers.handle(withdraw(case, to_data_sharing=False, do_not_contact_by=["email"]), uow)
    (changed,) = [e for e in uow.events(topics.CASES) if e.event_type == "case.consent_changed"]
    assert (changed.to_contact, changed.to_data_sharing, changed.do_not_contact_by) == (True, False, ["email"])
    assert changed.person_id == case.person_id and changed.reported_by == "person"
    assert [s for t, s, _ in uow.published if t == topics.CASES][-1] == str(case.id)


async def test_consent_given_again_allows_contacts_again(uow):
    case, _ = await case_with(uow, to_contact=False)
    await handlers.handle(withdraw(case, to_contact=True), uow)
    assert await handlers.handle(contact(case, "phone"), uow) == 1


async def test_wishes_that_contradict_themselves_are_refused(uow):
    case, _ = await case_with(uow, to_contact=True)
    with pytest.raises(NotAllowed, match="preferred contact method is also one the person declined"):
        await handlers.handle(withdraw(case, do_not_contact_by=["post"], preferred_contact="post"), uow)
    with pytest.raises(NotAllowed, match="unknown contact method"):
        await handlers.handle(withdraw(case, do_not_contact_by=["pigeon"]), uow)


async def test_only_the_worker_holding_the_case_changes_its_consent(uow):
    case, asha = await case_with(uow, to_contact=True)
    ben = await add_worker(uow, name="Ben")
    with pytest.raises(Forbidden):
        await handlers.handle(c.ChangeConsent("ben", case.id, reported_by="person", reported_at=NOW,
                                              to_contact=False, own_work_only=True, actor_worker_id=ben), uow)
    await handlers.handle(c.ChangeConsent("asha", case.id, reported_by="person", reported_at=NOW,
                                          to_contact=False, own_work_only=True, actor_worker_id=asha), uow)
    assert case.wishes.to_contact is False


async def test_no_first_contact_falls_due_and_no_follow_up_is_asked_of_someone_who_said_no_contact(uow):
    quiet, _ = await case_with(uow, to_contact=False)
    closed, _ = await case_with(uow, to_contact=True)
    await handlers.handle(withdraw(closed, to_contact=False), uow)
    await handlers.handle(c.CloseCase(STAFF, closed.id, ClosureReason.CONTACT_FAILED), uow)
    counts = await run_timers(uow, datetime.now(UTC) + timedelta(days=120))
    assert counts["first_contact_deadlines_missed"] == 0 and counts["follow_ups_requested"] == 0
    assert not quiet.state.first_contact_deadline_missed and closed.follow_up_requested_at is None


async def test_an_unknown_case_is_not_found(uow):
    with pytest.raises(CaseNotFound):
        await handlers.handle(c.ChangeConsent(STAFF, uuid.uuid4(), reported_by="person", reported_at=NOW,
                                              to_contact=False), uow)
