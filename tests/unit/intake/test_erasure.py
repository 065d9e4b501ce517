"""Erasure: on request, or when the programme's retention period has passed since the last case closed,
a person's identifying and contact data leaves the registry, and the audit trail records it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.intake.service_layer import case_holders, erasure, handlers, queries, registry
from services.intake.service_layer import commands as c
from services.intake.service_layer import sealed
from services.intake.service_layer.errors import NotFound
from shared.platform.sealing import KeyDestroyed, sealed_subject
from shared.schemas import topics
from shared.schemas.events.case import CaseClosed
from tests.unit.intake.fakes import body_kept, person_kept
from tests.unit.intake.test_handlers import (  # noqa: F401 (uow is a fixture)
    CORRELATION, GP, MAPPING, envelope_of, from_gp, referral, uow)
from tests.unit.intake.test_registry import ASHA, held_case, worker

SOMEONE_ELSE = referral(person={"given_name": "Winston", "family_name": "Adeyemi", "date_of_birth": "1938-11-20",
                                "postcode": "N16 7AB"})


async def close(uow, case_id) -> None:
    holder = await uow.case_holders.get(case_id)
    now = datetime.now(UTC)
    closed = CaseClosed(case_id=case_id, referral_id=holder.referral_id, person_id=uuid.uuid4(), programme_id="demo",
                        worker_id=ASHA, worker_role="connector", reason="planned_end", contact_count=2,
                        opened_at=now, closed_at=now)
    await case_holders.on_case_event(uow, envelope_of(closed), closed)


async def test_an_erased_person_is_gone_from_the_registry_and_the_erasure_is_audited(uow):
    case_id, person_id = await held_case(uow)
    kept_case, kept_person = await held_case(uow, body=SOMEONE_ELSE)
    holder = await uow.case_holders.get(case_id)
    result = await handlers.handle(c.ErasePerson("admin-1", reason="subject access request SAR-19",
                                                 referral_id=holder.referral_id, roles=("admin",)), uow)
    assert result == {"person_id": str(person_id), "referrals_erased": [str(holder.referral_id)]}
    assert uow.referrals.persons[holder.referral_id] == {} and uow.referrals.contacts[holder.referral_id] is None
    assert person_id not in uow.persons.by_id and kept_person in uow.persons.by_id
    # The raw submission stays as it was stored, sealed, and can never be opened again: its key is gone.
    [theirs] = [s for s in uow.referrals.submissions if s["referral_id"] == holder.referral_id]
    with pytest.raises(KeyDestroyed):
        await uow.sealer.open_bytes(theirs["body"].decode(), context=sealed.SUBMISSION)
    assert await body_kept(uow, theirs) is None
    assert {str(person_id), str(theirs["submission_id"])} <= uow.data_keys.shredded
    [kept_referral] = [r for r in uow.referrals.by_id.values() if r.person_id == kept_person]
    assert (await person_kept(uow, kept_referral.id))["given_name"] == "Winston"
    with pytest.raises(NotFound, match="erased"):
        await registry.person_for_case(uow, case_id, worker(ASHA))
    assert (await registry.person_for_case(uow, kept_case, worker(ASHA)))["given_name"] == "Winston"
    [erased] = [e for e in await uow.audit.entries(person_id=person_id) if e.action == "erase"]
    assert (erased.actor, erased.purpose, erased.roles) == ("admin-1", "subject access request SAR-19", ("admin",))
    assert (await registry.audit_chain_check(uow)).intact
    # Every other service is told, by pseudonymous ids alone, to destroy its own key for the person.
    [told] = uow.events(topics.ERASURES)
    assert (told.person_id, told.referral_ids, told.basis) == (person_id, [holder.referral_id], "request")


async def test_erasing_nobody_is_refused(uow):
    with pytest.raises(NotFound):
        await handlers.handle(c.ErasePerson("admin-1", reason="r", person_id=uuid.uuid4()), uow)
    with pytest.raises(NotFound):
        await handlers.handle(c.ErasePerson("admin-1", reason="r", referral_id=uuid.uuid4()), uow)


async def test_retention_erases_people_whose_last_case_closed_longer_ago_than_the_programmes_period(uow):
    await handlers.handle(c.PutProgramme("admin", "demo", "Demo", True, retention_days=365), uow)
    long_closed, long_closed_person = await held_case(uow)
    await close(uow, long_closed)
    recently_closed, recent_person = await held_case(uow, body=SOMEONE_ELSE)
    await close(uow, recently_closed)
    still_open, open_person = await held_case(uow, body=referral(person={
        "given_name": "Ivy", "family_name": "Marsh", "date_of_birth": "1944-02-02", "postcode": "E5 0AA"}))
    now = datetime.now(UTC)
    uow.case_holders.closed_at[long_closed] = now - timedelta(days=366)
    uow.case_holders.closed_at[recently_closed] = now - timedelta(days=364)

    assert await erasure.apply_retention(lambda: uow, now) == 1
    assert long_closed_person not in uow.persons.by_id
    assert recent_person in uow.persons.by_id and open_person in uow.persons.by_id
    [entry] = [e for e in await uow.audit.entries(person_id=long_closed_person) if e.action == "erase"]
    assert entry.actor == "retention"
    assert await erasure.apply_retention(lambda: uow, now) == 0  # the erased are not erased again
    # A year on, the recently closed case is past its period too; the open one never is.
    assert await erasure.apply_retention(lambda: uow, now + timedelta(days=2)) == 1
    assert recent_person not in uow.persons.by_id and open_person in uow.persons.by_id
    assert [e.basis for e in uow.events(topics.ERASURES)] == ["retention", "retention"]
    assert {long_closed_person, recent_person} == {e.person_id for e in uow.events(topics.ERASURES)}


async def test_erasing_a_person_destroys_the_keys_of_the_batch_file_and_outreach_contact_that_were_theirs(uow):
    await handlers.handle(c.SetCsvMapping("admin", GP.id, MAPPING), uow)
    content = ("Ref,Forename,Surname,DOB,Postcode,Consented\r\n"
               "R1,Edna,Batchley,02/03/1941,LE4 6AB,Yes\r\n"
               "R2,Albert,Quennell,09/09/1937,LE2 0AA,Yes\r\n").encode()
    report = await handlers.handle(c.ProcessBatch(GP.id, GP, "asc.csv", content, CORRELATION), uow)
    edna, albert = (uuid.UUID(r["referral_id"]) for r in report["rows"])
    contact_id = await handlers.handle(c.LogOutreachContact("connector-1", "demo", "listening bench",
                                                            datetime.now(UTC), {"first_name": "Edna"}), uow)
    await handlers.handle(c.CompleteOutreachReferral("connector-1", contact_id, {
        k: v for k, v in referral(person={"given_name": "Edna", "family_name": "Batchley",
                                          "date_of_birth": "1941-03-02", "postcode": "LE4 6AB"}).items()
        if k not in ("programme_id", "referrer")}, CORRELATION), uow)
    [batch] = uow.batches.by_id.values()
    shared_at_outreach = uow.outreach.by_id[contact_id]["details"]
    assert await sealed.open_json(uow.sealer, shared_at_outreach, context=sealed.OUTREACH) == {"first_name": "Edna"}

    await handlers.handle(c.ErasePerson("admin-1", reason="SAR-20", referral_id=edna), uow)
    # The file held Edna too, so its key is gone; Albert's row is still kept, as a submission of its own.
    assert await sealed.open_bytes(uow.sealer, batch["content"], context=sealed.BATCH) is None
    assert await sealed.open_json(uow.sealer, shared_at_outreach, context=sealed.OUTREACH) is None
    [albert_row] = [s for s in uow.referrals.submissions if s["referral_id"] == albert]
    assert b"Quennell" in await body_kept(uow, albert_row)
    assert (await person_kept(uow, albert))["family_name"] == "Quennell"


async def test_retention_destroys_the_keys_of_rejected_submissions_once_kept_long_enough(uow):
    await handlers.handle(c.RecordRejectedSubmission("fhir", GP.id, "fhir", b"{not json: Ottoline",
                                                     [{"field": "Bundle", "problem": "not JSON"}], CORRELATION), uow)
    await handlers.handle(from_gp(referral()), uow)
    await handlers.handle(c.RecordRejectedSubmission("fhir", GP.id, "fhir", b"{recent: Ottoline",
                                                     [{"field": "Bundle", "problem": "not JSON"}], CORRELATION), uow)
    rejected, accepted, recent = uow.referrals.submissions
    now = datetime.now(UTC)
    rejected["received_at"] = now - timedelta(days=31)
    recent["received_at"] = now - timedelta(days=29)
    accepted["received_at"] = now - timedelta(days=31)
    assert await erasure.apply_retention(lambda: uow, now, rejected_days=30) == 0  # no person was erased
    assert await body_kept(uow, rejected) is None
    assert await body_kept(uow, recent) == b"{recent: Ottoline"
    assert b"Okafor" in await body_kept(uow, accepted)  # the person's own stays theirs until they are erased


async def test_erasing_a_person_destroys_the_key_of_a_record_merged_into_them_after_a_review(uow):
    first = await handlers.handle(from_gp(referral()), uow)
    second = await handlers.handle(from_gp(referral(person={**referral()["person"], "given_name": "Margret",
                                                            "postcode": "E9 2BB"})), uow)
    (review,) = await queries.match_reviews(uow)
    await handlers.handle(c.DecideMatchReview("coordinator-1", review["id"], True), uow)
    # The second referral's details were sealed under the person it was first filed as.
    filed_as = second.referral.person_id
    assert sealed_subject(uow.referrals.persons[second.referral.id]) == str(filed_as) != str(first.referral.person_id)

    await handlers.handle(c.ErasePerson("admin-1", reason="SAR-21", person_id=first.referral.person_id), uow)
    assert {str(first.referral.person_id), str(filed_as)} <= uow.data_keys.shredded
    [told] = uow.events(topics.ERASURES)
    assert set(told.referral_ids) == {first.referral.id, second.referral.id}
