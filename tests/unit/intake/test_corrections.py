"""Correcting how to reach the person of a case: only whoever may read the details changes them; the
correction is checked as a referral is, kept sealed, read back by the next reader, audited by field name
(never the values) and found by search; an erased person cannot be changed."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from services.intake.domain.correction import ContactCorrection
from services.intake.domain.search import ReferralSearch
from services.intake.service_layer import commands as c
from services.intake.service_layer import handlers, registry
from services.intake.service_layer.corrections import correct_contact_details
from services.intake.service_layer.errors import Forbidden, NotFound
from services.intake.service_layer.search import search_referrals
from shared.platform.sealing import is_sealed
from shared.schemas import topics
from tests.unit.intake.fakes import person_kept
from tests.unit.intake.test_handlers import uow  # noqa: F401 (uow is a fixture)
from tests.unit.intake.test_registry import ASHA, BEN, held_case, worker

NEW_PHONE = "07700 900 982"  # Ofcom's drama range: never anyone's


def patch(**fields) -> ContactCorrection:
    return ContactCorrection.model_validate(fields)


async def test_the_worker_holding_the_case_changes_the_phone_and_the_next_read_shows_it(uow):
    case_id, person_id = await held_case(uow)
    changed = await correct_contact_details(uow, case_id, patch(phone=NEW_PHONE, best_times="after 6pm"), worker(ASHA))
    assert changed["changed"] == ["phone", "best_times"]
    assert (changed["phone"], changed["best_times"]) == ("+447700900982", "after 6pm")
    seen = await registry.person_for_case(uow, case_id, worker(ASHA))
    assert (seen["phone"], seen["best_times"]) == ("+447700900982", "after 6pm")
    # What was not in the patch stays as the referral gave it.
    assert (seen["safe_contact_instructions"], seen["language"], seen["given_name"]) == (
        "Ask for Maggie; her son may answer", "gu", "Margaret")
    holder = await uow.case_holders.get(case_id)
    stored = uow.referrals.persons[holder.referral_id]
    assert is_sealed(stored) and "7700900982" not in stored
    assert is_sealed(uow.referrals.contacts[holder.referral_id])


async def test_the_change_is_audited_by_field_name_without_values(uow):
    case_id, person_id = await held_case(uow)
    await correct_contact_details(uow, case_id, patch(phone=NEW_PHONE, safe_contact_instructions="Text first"),
                                  worker(ASHA))
    [entry] = await uow.audit.entries(person_id=person_id)
    assert (entry.actor, entry.action, entry.case_id, entry.purpose) == ("asha", "change", case_id, f"case {case_id}")
    assert entry.fields == ("phone", "safe_contact_instructions")
    assert "7700900982" not in repr(entry) and "Text first" not in repr(entry)
    assert (await registry.audit_chain_check(uow)).intact


async def test_nobody_else_changes_the_person(uow):
    case_id, person_id = await held_case(uow)
    for reader in (worker(BEN, "ben"),
                   registry.Reader("vol", frozenset({"volunteer"}), own_work_only=True, worker_id=uuid.uuid4()),
                   registry.Reader("a partner's token naming no worker", frozenset(), own_work_only=True),
                   registry.Reader("coord-elsewhere", frozenset({"coordinator"}), programmes=frozenset({"elsewhere"}))):
        with pytest.raises(Forbidden):
            await correct_contact_details(uow, case_id, patch(phone=NEW_PHONE), reader)
    assert (await registry.person_for_case(uow, case_id, worker(ASHA)))["phone"] == "+441164960123"
    assert [e.action for e in await uow.audit.entries(person_id=person_id)] == ["read"]
    coordinator = registry.Reader("coord", frozenset({"coordinator"}), programmes=frozenset({"demo"}))
    assert (await correct_contact_details(uow, case_id, patch(phone=NEW_PHONE), coordinator))["changed"] == ["phone"]


async def test_a_new_postcode_is_found_by_search_and_the_old_one_is_not(uow):
    case_id, person_id = await held_case(uow)
    coordinator = registry.Reader("coord", frozenset({"coordinator"}), programmes=frozenset({"demo"}))
    changed = await correct_contact_details(uow, case_id, patch(address={"line1": "2 New Road", "postcode": "n11aa"}),
                                            worker(ASHA))
    assert changed["changed"] == ["address", "postcode"] and changed["postcode"] == "N1 1AA"
    holder = await uow.case_holders.get(case_id)
    kept = await person_kept(uow, holder.referral_id)
    assert (kept["postcode"], kept["address"]) == ("N1 1AA", {"line1": "2 New Road", "postcode": "N1 1AA"})

    async def found(postcode: str) -> list[str]:
        page = await search_referrals(uow, ReferralSearch.parse(postcode=postcode, name="Okafor"), coordinator)
        return [r["referral_id"] for r in page["results"]]
    assert await found("N1 1AA") == [str(holder.referral_id)]
    assert await found("E8 1AA") == []
    # Matching knows the new address too: a later referral from there is compared with it.
    assert uow.persons.by_id[person_id].postcode == "N1 1AA"


async def test_null_removes_a_field_and_an_unchanged_form_records_nothing(uow):
    case_id, person_id = await held_case(uow)
    changed = await correct_contact_details(uow, case_id, patch(best_times=None, access_needs={"mobility": None}),
                                            worker(ASHA))
    assert changed["changed"] == ["best_times", "access_needs"]
    seen = await registry.person_for_case(uow, case_id, worker(ASHA))
    assert (seen["best_times"], seen["access_needs"]) == (None, {})
    again = await correct_contact_details(uow, case_id, patch(phone="0116 496 0123", language="gu"), worker(ASHA))
    assert again["changed"] == []
    assert [e.action for e in await uow.audit.entries(person_id=person_id)] == ["change", "read"]


@pytest.mark.parametrize(("fields", "named"), [
    ({"phone": "12345"}, "phone"),
    ({"email": "not an address"}, "email"),
    ({"postcode": "NOT A POSTCODE"}, "postcode"),
    ({"address": {"postcode": "E8"}}, "address.postcode"),
    ({"best_times": "x" * 201}, "best_times"),
    ({"safe_contact_instructions": "x" * 1001}, "safe_contact_instructions"),
    ({"access_needs": {"mobility": "flying"}}, "access_needs.mobility"),
    ({"interpreter_needed": "yes"}, "interpreter_needed"),
    ({"preferred_contact": "phone"}, "preferred_contact"),  # consent: recorded on the case, not here
    ({"given_name": "Someone"}, "given_name"),  # who they are is not a contact correction
])
def test_bad_corrections_are_refused_naming_the_field_never_the_value(fields, named):
    with pytest.raises(ValidationError) as refused:
        patch(**fields)
    [error] = refused.value.errors()
    assert ".".join(str(p) for p in error["loc"]) == named
    assert all(str(v) not in error["msg"] for v in fields.values())


async def test_an_erased_person_cannot_be_changed(uow):
    case_id, _ = await held_case(uow)
    holder = await uow.case_holders.get(case_id)
    await handlers.handle(c.ErasePerson("admin-1", reason="SAR-20", referral_id=holder.referral_id,
                                        roles=("admin",)), uow)
    with pytest.raises(NotFound, match="erased"):
        await correct_contact_details(uow, case_id, patch(phone=NEW_PHONE), worker(ASHA))
    assert uow.referrals.persons[holder.referral_id] == {}


def _told_caseload(uow) -> list:
    return [p for topic, _, p in uow.published if topic == topics.REFERRALS and p.event_type == "referral.details_corrected"]


async def test_caseload_is_told_the_new_district_and_language_coded_and_nothing_else(uow):
    case_id, person_id = await held_case(uow)
    holder = await uow.case_holders.get(case_id)
    await correct_contact_details(uow, case_id, patch(postcode="n11aa", language="so", phone=NEW_PHONE), worker(ASHA))
    [told] = _told_caseload(uow)
    assert (told.referral_id, told.person_id, told.case_id) == (holder.referral_id, person_id, case_id)
    # The referral said Gujarati, with an interpreter, at E8 1AA: the interpreter need did not change.
    assert (told.language, told.interpreter_needed, told.postcode_district) == ("so", True, "N1")
    assert told.changed == ["language", "postcode_district"]
    assert "N1 1AA" not in told.model_dump_json() and "7700900982" not in told.model_dump_json()


async def test_a_correction_that_changes_nothing_matched_on_tells_caseload_nothing(uow):
    case_id, _ = await held_case(uow)
    # A new phone, new times, and a postcode in the same district: whom to call changed, not whom to offer to.
    await correct_contact_details(uow, case_id, patch(phone=NEW_PHONE, best_times="evenings", postcode="E8 3PL"),
                                  worker(ASHA))
    assert _told_caseload(uow) == []
    await correct_contact_details(uow, case_id, patch(interpreter_needed=False), worker(ASHA))
    [told] = _told_caseload(uow)
    assert (told.changed, told.interpreter_needed, told.language, told.postcode_district) == (
        ["interpreter_needed"], False, "gu", "E8")
