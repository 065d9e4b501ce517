"""Opening a reviewer's note on a decision, and writing one, are in triage's audit trail (issue 14); an erased
person's note opens to nothing and leaves no entry."""

from __future__ import annotations

import uuid

from services.triage.service_layer import handlers, queries
from shared.platform.audit import verify
from shared.schemas.envelope import new_envelope
from shared.schemas.events.erasure import PersonErased
from tests.unit.triage.test_reviews_and_overrides import _decide, queued  # noqa: F401 (the fixture)


async def test_writing_and_reading_a_note_are_entries_with_ids_only(queued):  # noqa: F811
    uow, deps, clock, event, review = queued
    await _decide(deps, review.id, "alice", note="Lives on the E8 side")

    shown = await queries.decision(event.referral_id, uow_factory=uow, actor="auditor-1", roles=("auditor",))

    assert shown["note"] == "Lives on the E8 side"
    written, read = await uow.audit.entries()
    purpose = f"decision on referral {event.referral_id}"
    assert (written.action, written.actor, written.fields, written.person_id, written.referral_id, written.purpose) == (
        "change", "alice", ("note",), event.person_id, event.referral_id, purpose)
    assert (read.action, read.actor, read.roles, read.fields, read.person_id, read.referral_id, read.purpose) == (
        "read", "auditor-1", ("auditor",), ("note",), event.person_id, event.referral_id, purpose)
    assert "E8" not in repr(uow.audit.rows)
    assert verify(uow.audit.rows).intact


async def test_an_erased_persons_note_read_writes_no_entry(queued):  # noqa: F811
    uow, deps, clock, event, review = queued
    await _decide(deps, review.id, "alice", note="Lives on the E8 side")
    erased = PersonErased(person_id=event.person_id, referral_ids=[event.referral_id], basis="request",
                          erased_at=clock.now)
    await handlers.forget_person(new_envelope(erased, source="/services/intake", subject=str(event.person_id),
                                              correlation_id=uuid.uuid4()), erased, uow_factory=uow)
    before = len(uow.audit.rows)

    shown = await queries.decision(event.referral_id, uow_factory=uow, actor="auditor-1", roles=("auditor",))

    assert shown["erased_fields"] == ["note"]
    assert len(uow.audit.rows) == before
