"""Every opening and writing of the notes caseload seals is in its audit trail (issue 14): who, which fields,
for which case; ids and field names only. An erased person's fields open to nothing: no entry. Against the
in-memory unit of work (the real sealer over an in-memory key store, the shared in-memory trail)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.caseload.service_layer import handlers, notes, queries
from services.caseload.service_layer import commands as c
from services.caseload.service_layer.ownership import Viewer
from shared.platform.audit import verify
from shared.schemas.envelope import new_envelope
from shared.schemas.events.erasure import PersonErased
from tests.unit.caseload.fakes import FakeCaseloadUnitOfWork
from tests.unit.caseload.test_handlers import STAFF, contacted_case

GOAL, HOLD = "Goal: Quokka-Marmalade choir on Tuesdays", "Hold: Quokka-Saffron is caring for her sister"
AUDITED_READER = Viewer(actor="auditor-of-reads", roles=("coordinator",))


async def case_with_goal_and_hold(uow):
    case, _ = await contacted_case(uow)
    await handlers.handle(c.SetGoal(STAFF, case.id, GOAL), uow)
    await handlers.handle(c.PutOnHold(STAFF, case.id, HOLD), uow)
    return case


async def test_each_write_of_a_note_is_one_change_entry_naming_the_field():
    uow = FakeCaseloadUnitOfWork()
    case = await case_with_goal_and_hold(uow)
    changes = [e for e in await uow.audit.entries() if e.action == "change"]
    assert [(e.actor, e.fields, e.person_id, e.case_id, e.purpose) for e in changes] == [
        (STAFF, ("description",), case.person_id, case.id, f"case {case.id}"),
        (STAFF, ("reason",), case.person_id, case.id, f"case {case.id}")]


async def test_a_read_of_a_case_with_notes_is_one_entry_naming_the_fields_and_never_the_text():
    uow = FakeCaseloadUnitOfWork()
    case = await case_with_goal_and_hold(uow)
    before = len(uow.audit.rows)

    summary = await queries.case_summary(uow, case.id, AUDITED_READER)

    assert summary["status"] == "on_hold"
    (entry,) = [e for e, _, _ in uow.audit.rows[before:]]
    assert (entry.action, entry.actor, entry.roles, entry.person_id, entry.case_id, entry.purpose) == (
        "read", "auditor-of-reads", ("coordinator",), case.person_id, case.id, f"case {case.id}")
    assert set(entry.fields) >= {"description", "reason"}
    assert "Quokka" not in repr(uow.audit.rows)
    assert verify(uow.audit.rows).intact


async def test_a_history_read_is_an_entry_and_a_listing_that_opens_no_note_is_none():
    uow = FakeCaseloadUnitOfWork()
    case = await case_with_goal_and_hold(uow)
    before = len(uow.audit.rows)
    await queries.case_events(uow, case.id, AUDITED_READER)
    listed = await queries.find_cases(uow, AUDITED_READER, referral_id=case.referral_id)  # rows hold no notes
    assert [c["id"] for c in listed] == [case.id]
    entries = [e for e, _, _ in uow.audit.rows[before:]]
    assert [(e.action, e.actor, e.case_id, e.fields) for e in entries] == [
        ("read", "auditor-of-reads", case.id, ("description", "reason"))]


async def test_an_erased_persons_read_writes_no_entry():
    uow = FakeCaseloadUnitOfWork()
    case = await case_with_goal_and_hold(uow)
    erased = PersonErased(person_id=case.person_id, referral_ids=[case.referral_id], basis="request",
                          erased_at=datetime.now(UTC))
    await notes.forget_person(uow, new_envelope(erased, source="/services/intake", subject=str(case.person_id),
                                                correlation_id=uuid.uuid4()), erased)
    before = len(uow.audit.rows)

    history = await queries.case_events(uow, case.id, AUDITED_READER)
    summary = await queries.case_summary(uow, case.id, AUDITED_READER)

    assert [e["data"]["erased_fields"] for e in history if e["event_type"] == "case.goal_set"] == [["description"]]
    assert summary["status"] == "on_hold"
    assert len(uow.audit.rows) == before
