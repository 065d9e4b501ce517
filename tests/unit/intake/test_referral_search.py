"""Referral search: a coordinator finds a referral by its reference, the person's name, NHS number or
postcode, its partner or status, only in their own programmes; every referral shown is audited without the
terms searched for; an erased person is not found; bad searches are refused naming the field."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from services.intake.domain.search import InvalidSearch, ReferralSearch, keys_of, name_forms
from services.intake.domain.partner import Partner
from services.intake.service_layer import commands as c
from services.intake.service_layer import handlers
from services.intake.service_layer.errors import Forbidden
from services.intake.service_layer.registry import Reader
from services.intake.service_layer.search import index_earlier_referrals, search_referrals
from tests.unit.intake.test_handlers import from_gp, referral, uow  # noqa: F401 (uow is a fixture)

COUNCIL = Partner("council", "Council", ("demo", "north"))
NHS_NUMBER = "9434765919"  # a valid check digit
DEMO_COORDINATOR = Reader("coord-demo", frozenset({"coordinator"}), programmes=frozenset({"demo"}))
NORTH_COORDINATOR = Reader("coord-north", frozenset({"coordinator"}), programmes=frozenset({"north"}))
ADMIN = Reader("admin", frozenset({"admin"}))


def margaret(**person) -> dict:
    return referral(person={"given_name": "Margaret", "family_name": "O'Néill", "preferred_name": "Maggie",
                            "date_of_birth": "1941-03-02", "postcode": "E8 1AA", "nhs_number": NHS_NUMBER,
                            "phone": "0116 496 0123", **person})


async def search(uow, reader: Reader = DEMO_COORDINATOR, **terms) -> list[dict]:
    return (await search_referrals(uow, ReferralSearch.parse(**terms), reader))["results"]


async def test_a_referral_is_found_by_each_thing_a_coordinator_knows_of_it(uow):
    made = (await handlers.handle(from_gp(margaret(), reference="GP-123"), uow)).referral
    await handlers.handle(from_gp(referral(), reference="GP-999"), uow)  # someone else: Margaret Okafor, E8 1AA
    for terms in ({"reference": "GP-123"}, {"reference": str(made.id)}, {"name": "margaret o'neill"},
                  {"name": "O'NEILL"}, {"name": "Maggie"}, {"name": "  Maggie   O'Neill "},
                  {"nhs_number": "943 476 5919"}, {"postcode": "e81aa", "name": "oneill"},
                  {"partner_id": "gp-surgery", "nhs_number": NHS_NUMBER}, {"status": "received", "name": "Maggie"}):
        [found] = await search(uow, **terms)
        assert found["referral_id"] == str(made.id), terms
    assert found["reference"] == "GP-123" and found["partner_id"] == "gp-surgery" and found["programme_id"] == "demo"
    assert (found["given_name"], found["family_name"], found["preferred_name"]) == ("Margaret", "O'Néill", "Maggie")
    assert found["status"] == "received"
    assert found["status_in_words"] == "Received: the scheme has the referral and will look at it soon."
    assert found["received_at"] == made.received_at


async def test_only_an_exact_name_finds_and_every_term_must_match(uow):
    await handlers.handle(from_gp(margaret(), reference="GP-123"), uow)
    assert await search(uow, name="Marg") == []  # no part of a name: only whole normalised values are indexed
    assert await search(uow, name="Margaret", postcode="N1 1AA") == []
    assert await search(uow, name="Margaret", status="closed") == []
    assert await search(uow, reference="GP-124") == []


async def test_a_coordinator_finds_only_referrals_in_their_own_programmes(uow):
    await handlers.handle(c.RegisterPartner("admin", COUNCIL), uow)
    await handlers.handle(from_gp({**margaret(), "programme_id": "north"}, partner=COUNCIL, reference="C-1"), uow)
    assert await search(uow, DEMO_COORDINATOR, name="Margaret") == []
    assert [r["programme_id"] for r in await search(uow, NORTH_COORDINATOR, name="Margaret")] == ["north"]
    assert [r["programme_id"] for r in await search(uow, ADMIN, name="Margaret")] == ["north"]


async def test_each_referral_shown_is_audited_without_the_terms_searched_for(uow):
    made = (await handlers.handle(from_gp(margaret(), reference="GP-123"), uow)).referral
    await search(uow, name="Maggie", postcode="E8 1AA")
    [entry] = await uow.audit.entries(person_id=made.person_id)
    assert (entry.actor, entry.action, entry.purpose, entry.referral_id) == ("coord-demo", "read", "referral search",
                                                                              made.id)
    assert entry.fields == ("given_name", "family_name", "preferred_name")
    written = entry.canonical().decode()
    assert "Maggie" not in written and "E8 1AA" not in written


async def test_a_search_that_shows_nobody_writes_nothing_to_the_audit_trail(uow):
    await handlers.handle(from_gp(margaret(), reference="GP-123"), uow)
    assert await search(uow, name="Nobody") == []
    assert await uow.audit.entries() == []


async def test_an_erased_person_is_not_found(uow):
    made = (await handlers.handle(from_gp(margaret(), reference="GP-123"), uow)).referral
    await handlers.handle(c.ErasePerson("admin", reason="request 7", referral_id=made.id, roles=("admin",)), uow)
    for terms in ({"name": "Margaret"}, {"nhs_number": NHS_NUMBER}, {"reference": "GP-123"},
                  {"partner_id": "gp-surgery"}):
        assert await search(uow, **terms) == [], terms


async def test_results_come_a_page_at_a_time_newest_first(uow):
    made = [(await handlers.handle(from_gp(margaret(), reference=f"GP-{i}"), uow)).referral for i in range(3)]
    first = await search_referrals(uow, ReferralSearch.parse(name="Margaret", limit=2), DEMO_COORDINATOR)
    second = await search_referrals(uow, ReferralSearch.parse(name="Margaret", limit=2, offset=2), DEMO_COORDINATOR)
    newest_first = sorted(made, key=lambda r: (r.received_at, str(r.id)), reverse=True)
    assert [r["referral_id"] for r in first["results"] + second["results"]] == [str(r.id) for r in newest_first]
    assert (first["more"], second["more"]) == (True, False)


async def test_a_worker_acting_as_itself_does_not_search(uow):
    worker = Reader("asha", frozenset({"connector"}), own_work_only=True, worker_id=uuid.uuid4())
    with pytest.raises(Forbidden):
        await search(uow, worker, name="Margaret")


@pytest.mark.parametrize(("terms", "field"), [
    ({}, ""), ({"name": "   "}, ""), ({"name": "!!!"}, "name"), ({"nhs_number": "1234567890"}, "nhs_number"),
    ({"postcode": "not a postcode"}, "postcode"), ({"status": "lost"}, "status"), ({"reference": "x" * 101}, "reference"),
    ({"partner_id": "gp\x00"}, "partner_id"), ({"name": "Ann", "limit": 51}, "limit"), ({"name": "Ann", "offset": -1}, "offset"),
])
def test_a_search_that_cannot_run_names_the_field_never_the_value(terms, field):
    with pytest.raises(InvalidSearch) as refused:
        ReferralSearch.parse(**terms)
    assert [p["field"] for p in refused.value.problems] == [field]
    assert all(str(v) not in p["problem"] for p in refused.value.problems for v in terms.values() if str(v).strip())


def test_a_name_is_found_by_each_form_a_coordinator_might_type():
    assert name_forms("Mary-Jane", "O'Néill", "MJ") == ("maryjane", "oneill", "mj", "maryjane oneill", "mj oneill")
    keys = keys_of({"given_name": "Ann", "family_name": "Lee", "nhs_number": "943 476 5919", "postcode": "e81aa"})
    assert (keys.names, keys.nhs_number, keys.postcode) == (("ann", "lee", "ann lee"), NHS_NUMBER, "E8 1AA")
    assert keys.sounds == ("AN", "L")


def john_smith(**person) -> dict:
    return referral(person={"given_name": "John", "family_name": "Smith", "date_of_birth": "1950-06-01",
                            "postcode": "N1 1AA", **person})


async def test_a_name_that_sounds_alike_finds_the_referral_after_the_exact_matches_and_says_so(uow):
    smith = (await handlers.handle(from_gp(john_smith(), reference="GP-1"), uow)).referral
    smyth = (await handlers.handle(from_gp(john_smith(given_name="Jon", family_name="Smyth"),
                                           reference="GP-2"), uow)).referral  # the newer of the two
    for typed in ("Jon Smyth", "jon smyth"):
        assert [(r["referral_id"], r["matched_by"]) for r in await search(uow, name=typed)] == [
            (str(smyth.id), "name"), (str(smith.id), "sounds_like")]
    assert [(r["referral_id"], r["matched_by"]) for r in await search(uow, name="Smith")] == [
        (str(smith.id), "name"), (str(smyth.id), "sounds_like")]
    assert [(r["given_name"], r["family_name"]) for r in await search(uow, name="Jon Smyth")] == [
        ("Jon", "Smyth"), ("John", "Smith")]


async def test_every_word_typed_must_sound_like_one_of_the_persons_name_words(uow):
    made = (await handlers.handle(from_gp(john_smith(preferred_name="Mohammed"), reference="GP-1"), uow)).referral
    for typed in ("Muhammad", "Smyth Muhammad", "Jon", "smyth jon"):  # any order, any of given/family/preferred
        [found] = await search(uow, name=typed)
        assert (found["referral_id"], found["matched_by"]) == (str(made.id), "sounds_like"), typed
    for typed in ("Jones", "Jon Jones", "Michael Smith", "Smithson"):
        assert await search(uow, name=typed) == [], typed


async def test_a_sound_alike_match_keeps_to_every_other_term_and_the_coordinators_programmes(uow):
    await handlers.handle(c.RegisterPartner("admin", COUNCIL), uow)
    await handlers.handle(from_gp({**john_smith(), "programme_id": "north"}, partner=COUNCIL, reference="C-1"), uow)
    assert await search(uow, DEMO_COORDINATOR, name="Jon Smyth") == []
    assert [r["matched_by"] for r in await search(uow, NORTH_COORDINATOR, name="Jon Smyth")] == ["sounds_like"]
    assert await search(uow, NORTH_COORDINATOR, name="Jon Smyth", postcode="E8 1AA") == []
    assert await search(uow, NORTH_COORDINATOR, name="Jon Smyth", status="closed") == []
    assert await search(uow, NORTH_COORDINATOR, name="Jon Smyth", partner_id="gp-surgery") == []
    [found] = await search(uow, NORTH_COORDINATOR, name="Jon Smyth", postcode="n11aa", partner_id="council")
    assert found["matched_by"] == "sounds_like"


async def test_a_referral_found_by_anything_but_a_name_says_nothing_of_how_a_name_matched(uow):
    await handlers.handle(from_gp(john_smith(), reference="GP-1"), uow)
    [found] = await search(uow, reference="GP-1")
    assert found["matched_by"] is None


async def test_sound_alike_matches_are_shown_and_audited_a_page_at_a_time_after_the_exact_ones(uow):
    exact = [(await handlers.handle(from_gp(john_smith(), reference=f"GP-{i}"), uow)).referral for i in range(2)]
    alike = [(await handlers.handle(from_gp(john_smith(family_name="Smyth"), reference=f"GP-S{i}"), uow)).referral
             for i in range(2)]
    first = await search_referrals(uow, ReferralSearch.parse(name="John Smith", limit=3), DEMO_COORDINATOR)
    second = await search_referrals(uow, ReferralSearch.parse(name="John Smith", limit=3, offset=3), DEMO_COORDINATOR)
    newest_first = lambda made: sorted(made, key=lambda r: (r.received_at, str(r.id)), reverse=True)  # noqa: E731
    assert [(r["referral_id"], r["matched_by"]) for r in first["results"] + second["results"]] == (
        [(str(r.id), "name") for r in newest_first(exact)] + [(str(r.id), "sounds_like") for r in newest_first(alike)])
    assert (first["more"], second["more"]) == (True, False)
    assert {e.referral_id for e in await uow.audit.entries()} == {r.id for r in exact + alike}


async def test_referrals_received_before_search_keys_were_kept_are_given_them(uow):
    made = (await handlers.handle(from_gp(margaret(), reference="GP-123"), uow)).referral
    gone = (await handlers.handle(from_gp(referral(), reference="GP-999"), uow)).referral
    uow.search.keys.clear()  # as the referrals received before intake_0011 are
    await handlers.handle(c.ErasePerson("admin", reason="request 8", referral_id=gone.id, roles=("admin",)), uow)
    assert await search(uow, name="Maggie") == []

    assert await index_earlier_referrals(lambda: uow, batch=1) == 1  # the erased person is not indexed again
    [found] = await search(uow, name="Maggie")
    assert found["referral_id"] == str(made.id)
    assert set(uow.search.keys) == {made.id}
    assert await index_earlier_referrals(lambda: uow) == 0


async def test_referrals_indexed_before_name_sounds_were_kept_are_given_them(uow):
    made = (await handlers.handle(from_gp(john_smith(), reference="GP-1"), uow)).referral
    uow.search.keys[made.id] = replace(uow.search.keys[made.id], sounds=None)  # as rows from before intake_0013
    assert await search(uow, name="Jon Smyth") == []
    assert [r["matched_by"] for r in await search(uow, name="John Smith")] == ["name"]

    assert await index_earlier_referrals(lambda: uow) == 1
    assert uow.search.keys[made.id].sounds == ("JN", "SM0")
    [found] = await search(uow, name="Jon Smyth")
    assert (found["referral_id"], found["matched_by"]) == (str(made.id), "sounds_like")
    assert await index_earlier_referrals(lambda: uow) == 0
