"""The person registry's reads: only the worker holding a case reads its person, each read is audited, and
the audit trail's hash chain shows any entry changed after the fact."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

import pytest

from services.intake.domain.audit import verify
from services.intake.service_layer import case_holders, handlers, registry
from services.intake.service_layer.errors import Forbidden, NotFound
from shared.schemas.events.case import CaseAssigned, CaseClosed, CaseOpened, CaseTransferred
from tests.unit.intake.test_handlers import envelope_of, from_gp, referral, uow  # noqa: F401 (uow is a fixture)

ASHA, BEN = uuid.uuid4(), uuid.uuid4()


def a_referral() -> dict:
    return referral(
        person={"given_name": "Margaret", "family_name": "Okafor", "date_of_birth": "1941-03-02", "postcode": "E8 1AA",
                "phone": "0116 496 0123", "language": "gu", "interpreter_needed": True},
        contact_preferences={"preferred": "phone", "best_times": "weekday mornings", "do_not_contact_by": ["email"],
                             "safe_contact_instructions": "Ask for Maggie; her son may answer"},
        mobility="housebound", reason="Lonely since her husband died in March",
        concerns="Not eating well")


async def held_case(uow, worker_id=ASHA, body: dict | None = None) -> tuple[uuid.UUID, uuid.UUID]:
    outcome = await handlers.handle(from_gp(body or a_referral()), uow)
    case_id, now = uuid.uuid4(), datetime.now(UTC)
    common = dict(case_id=case_id, referral_id=outcome.referral.id, programme_id="demo")
    opened = CaseOpened(**common, at=now, person_id=outcome.referral.person_id, priority=3, expected_weekly_hours=1,
                        pathway="connector")
    assigned = CaseAssigned(**common, person_id=outcome.referral.person_id, worker_id=worker_id,
                            worker_role="connector", expected_weekly_hours=1, assigned_at=now)
    for event in (opened, assigned):
        await case_holders.on_case_event(uow, envelope_of(event), event)
    return case_id, outcome.referral.person_id


def worker(worker_id, subject="asha") -> registry.Reader:
    return registry.Reader(subject, frozenset({"connector"}), own_work_only=True, worker_id=worker_id)


async def test_the_worker_holding_the_case_reads_whom_to_call_and_how(uow):
    case_id, person_id = await held_case(uow)
    seen = await registry.person_for_case(uow, case_id, worker(ASHA))
    assert (seen["given_name"], seen["family_name"], seen["phone"]) == ("Margaret", "Okafor", "+441164960123")
    assert seen["safe_contact_instructions"] == "Ask for Maggie; her son may answer"
    assert (seen["preferred_contact"], seen["best_times"], seen["do_not_contact_by"]) == (
        "phone", "weekday mornings", ["email"])
    assert (seen["language"], seen["interpreter_needed"], seen["access_needs"]) == ("gu", True, {"mobility": "housebound"})
    assert (seen["reason"], seen["concerns"]) == ("Lonely since her husband died in March", "Not eating well")
    assert seen["person_id"] == str(person_id)
    [entry] = await uow.audit.entries(person_id=person_id)
    assert (entry.actor, entry.action, entry.case_id, entry.purpose) == ("asha", "read", case_id, f"case {case_id}")
    assert "phone" in entry.fields and "safe_contact_instructions" in entry.fields


async def test_nobody_else_reads_the_person(uow):
    case_id, person_id = await held_case(uow)
    for reader in (worker(BEN, "ben"), worker(None, "a volunteer's token naming no worker"),
                   registry.Reader("coord-elsewhere", frozenset({"coordinator"}), programmes=frozenset({"elsewhere"}))):
        with pytest.raises(Forbidden):
            await registry.person_for_case(uow, case_id, reader)
    with pytest.raises(NotFound):
        await registry.person_for_case(uow, uuid.uuid4(), worker(ASHA))
    assert await uow.audit.entries(person_id=person_id) == []  # refusals read nothing, so record nothing
    coordinator = registry.Reader("coord", frozenset({"coordinator"}), programmes=frozenset({"demo"}))
    assert (await registry.person_for_case(uow, case_id, coordinator))["family_name"] == "Okafor"
    assert [e.actor for e in await uow.audit.entries(person_id=person_id)] == ["coord"]


async def test_a_transfer_moves_the_reading_to_the_new_worker_and_closure_ends_it(uow):
    case_id, _ = await held_case(uow)
    holder = await uow.case_holders.get(case_id)
    common = dict(case_id=case_id, referral_id=holder.referral_id, programme_id="demo", at=datetime.now(UTC))
    moved = CaseTransferred(**common, from_worker_id=ASHA, to_worker_id=BEN, reason="Asha is away")
    await case_holders.on_case_event(uow, envelope_of(moved), moved)
    with pytest.raises(Forbidden):
        await registry.person_for_case(uow, case_id, worker(ASHA))
    assert (await registry.person_for_case(uow, case_id, worker(BEN, "ben")))["given_name"] == "Margaret"
    closed = CaseClosed(case_id=case_id, referral_id=holder.referral_id, person_id=uuid.uuid4(), programme_id="demo",
                        worker_id=BEN, worker_role="connector", reason="planned_end", contact_count=3,
                        opened_at=datetime.now(UTC), closed_at=datetime.now(UTC))
    await case_holders.on_case_event(uow, envelope_of(closed), closed)
    await case_holders.on_case_event(uow, envelope_of(moved), moved)  # a redelivery changes nothing
    assert await uow.case_holders.get(case_id) == dataclasses.replace(holder, worker_id=BEN, open=False)
    with pytest.raises(Forbidden, match="closed"):
        await registry.person_for_case(uow, case_id, worker(BEN, "ben"))


async def test_the_audit_trail_is_chained_and_a_changed_entry_is_found(uow):
    case_id, person_id = await held_case(uow)
    for _ in range(3):
        await registry.person_for_case(uow, case_id, worker(ASHA))
    assert (await registry.audit_chain_check(uow)).intact
    rows = uow.audit.rows
    assert [r[1] for r in rows[1:]] == [r[2] for r in rows[:-1]]  # each entry holds the hash before it
    # Someone rewrites the second entry to hide who read the record.
    entry, previous, digest = rows[1]
    rows[1] = (dataclasses.replace(entry, actor="nobody"), previous, digest)
    check = await registry.audit_chain_check(uow)
    assert (check.intact, check.first_broken_seq, check.entries) == (False, 2, 2)
    # Or removes it, re-chaining nothing: the third no longer fits where the first ends.
    del rows[1]
    assert verify(rows).first_broken_seq == 3


async def test_auditors_find_entries_by_person_and_by_user(uow):
    case_id, person_id = await held_case(uow)
    someone_else = referral(person={"given_name": "Winston", "family_name": "Adeyemi", "date_of_birth": "1938-11-20",
                                    "postcode": "N16 7AB"})
    other_case, other_person = await held_case(uow, worker_id=BEN, body=someone_else)
    assert other_person != person_id
    await registry.person_for_case(uow, case_id, worker(ASHA))
    await registry.person_for_case(uow, other_case, worker(BEN, "ben"))
    by_person = await registry.audit_entries(uow, person_id=other_person)
    assert [(e["actor"], e["case_id"]) for e in by_person] == [("ben", str(other_case))]
    by_user = await registry.audit_entries(uow, actor="asha")
    assert [e["person_id"] for e in by_user] == [str(person_id)]


async def test_the_connector_sees_consent_as_it_stands_after_a_change_on_the_case(uow):
    from services.intake.service_layer import consent
    from tests.unit.intake.test_consent import changed

    case_id, _ = await held_case(uow)
    holder = await uow.case_holders.get(case_id)
    before = await registry.person_for_case(uow, case_id, worker(ASHA))
    assert before["consent"]["to_contact"] is True and before["do_not_contact_by"] == ["email"]
    event = changed(holder.referral_id, to_contact=False, to_data_sharing=False, do_not_contact_by=["phone", "email"],
                    preferred_contact="post")
    await consent.on_consent_changed(uow, envelope_of(event), event)
    after = await registry.person_for_case(uow, case_id, worker(ASHA))
    assert after["consent"] == {"to_contact": False, "to_data_sharing": False}
    assert (after["do_not_contact_by"], after["preferred_contact"]) == (["phone", "email"], "post")
    assert [c["source"] for c in after["consent_history"]] == ["referral", "case"]


async def test_a_match_review_shows_both_records_to_its_programmes_coordinator_and_audits_each_read(uow):
    first = await handlers.handle(from_gp(referral(partner_referral_id="GP-M1")), uow)
    maybe = referral(partner_referral_id="GP-M2",
                     person={**referral()["person"], "given_name": "Margret", "postcode": "E9 2BB"})
    second = await handlers.handle(from_gp(maybe), uow)
    [review] = await uow.persons.reviews("open")
    coordinator = registry.Reader("coord", frozenset({"coordinator"}), programmes=frozenset({"demo"}))
    seen = await registry.records_for_match_review(uow, review["id"], coordinator)
    assert (seen["new"]["given_name"], seen["new"]["postcode"]) == ("Margret", "E9 2BB")
    assert (seen["existing"]["given_name"], seen["existing"]["postcode"]) == ("Margaret", "E8 1AA")
    assert seen["new"]["referral_id"] == str(second.referral.id)
    assert seen["existing"]["referral_id"] == str(first.referral.id)
    assert "reason" not in seen["new"] and "safe_contact_instructions" not in seen["existing"]
    entries = [e for person in (first.referral.person_id, second.referral.person_id)
               for e in await uow.audit.entries(person_id=person)]
    assert sorted(e.referral_id for e in entries) == sorted([first.referral.id, second.referral.id])
    assert {(e.actor, e.action, e.purpose) for e in entries} == {("coord", "read", f"match review {review['id']}")}
    elsewhere = registry.Reader("coord-2", frozenset({"coordinator"}), programmes=frozenset({"elsewhere"}))
    with pytest.raises(Forbidden):
        await registry.records_for_match_review(uow, review["id"], elsewhere)
    with pytest.raises(NotFound):
        await registry.records_for_match_review(uow, uuid.uuid4(), coordinator)
