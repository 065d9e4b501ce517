"""The referral search page against a fake intake: the form, what is asked of intake, the results, the empty
state, problems in the error summary (the form's own and intake's), and who may open it."""

from __future__ import annotations

import httpx

from tests.unit.workspace.support import FakeServices, signed_in

REFERRAL = "0b0f0000-0000-4000-8000-000000000009"
FOUND = {"referral_id": REFERRAL, "reference": "GP-123", "partner_id": "riverside-surgery", "programme_id": "demo",
         "status": "waiting", "status_in_words": "Accepted, and on the waiting list.",
         "received_at": "2026-03-01T10:00:00+00:00", "given_name": "Margaret", "family_name": "Okafor",
         "preferred_name": "Maggie"}


def _fake(results: list[dict] | None = None, more: bool = False, roles=("coordinator",)) -> FakeServices:
    fake = FakeServices()
    fake.roles, fake.worker_id = list(roles), None
    fake.on("GET", "intake", r"/v1/referral-search",
            {"results": [FOUND] if results is None else results, "offset": 0, "limit": 20, "more": more})
    return fake


def _searches(fake: FakeServices) -> list[dict[str, str]]:
    return [dict(c.url.params) for c in fake.calls if c.url.path == "/v1/referral-search"]


def test_the_home_page_offers_search_to_coordinators_only():
    assert 'href="/search"' in signed_in(_fake()).get("/").text
    for role in ("manager", "connector"):
        client = signed_in(_fake(roles=(role,)))
        assert 'href="/search"' not in client.get("/").text
        assert client.get("/search").status_code == 403


def test_opening_the_page_shows_the_form_and_searches_nothing():
    fake = _fake()
    page = signed_in(fake).get("/search")
    assert page.status_code == 200
    for label in ("Referral reference", "Name", "NHS number", "Postcode", "Referring partner", "Status"):
        assert label in page.text
    assert "Results" not in page.text and _searches(fake) == []


def test_a_search_asks_intake_for_the_terms_given_and_shows_what_it_found():
    fake = _fake()
    page = signed_in(fake).get("/search", params={"name": "  Margaret   Okafor ", "postcode": "", "status": "waiting"})
    assert page.status_code == 200
    assert _searches(fake) == [{"name": "Margaret Okafor", "status": "waiting", "limit": "20", "offset": "0"}]
    for shown in ("Margaret Okafor", "Known as Maggie", "GP-123", "riverside-surgery", "demo", "2026-03-01 10:00",
                  "Accepted, and on the waiting list."):
        assert shown in page.text, shown
    assert "More results" not in page.text


def test_a_name_that_only_sounds_alike_is_marked_in_words_so_the_coordinator_checks_the_rest():
    sounds_alike = {**FOUND, "referral_id": "0b0f0000-0000-4000-8000-000000000010", "given_name": "Margret",
                    "family_name": "Okafour", "preferred_name": None, "matched_by": "sounds_like"}
    page = signed_in(_fake(results=[{**FOUND, "matched_by": "name"}, sounds_alike])).get(
        "/search", params={"name": "Margaret Okafor"})
    assert page.status_code == 200
    exact_row, alike_row = page.text.split('<tr class="nhsuk-table__row" data-referral-id=')[1:]
    assert "Margaret Okafor" in exact_row and "sounds like" not in exact_row
    assert "Margret Okafour" in alike_row and "Name sounds like what you searched for" in alike_row
    assert "Exact name matches first, then names that sound alike" in page.text
    assert "Check the person's other details" in page.text


def test_exact_matches_alone_say_nothing_of_sounding_alike():
    page = signed_in(_fake(results=[{**FOUND, "matched_by": "name"}])).get("/search", params={"name": "Okafor"})
    assert "Newest first" in page.text
    assert "sounds like what you searched for" not in page.text and "Check the person's other details" not in page.text


def test_more_results_are_a_link_to_the_next_page_keeping_the_terms():
    fake = _fake(more=True)
    page = signed_in(fake).get("/search", params={"partner_id": "riverside-surgery"})
    assert 'href="/search?partner_id=riverside-surgery&amp;offset=20"' in page.text
    signed_in(fake).get("/search", params={"partner_id": "riverside-surgery", "offset": "20"})
    assert _searches(fake)[-1]["offset"] == "20"


def test_nothing_found_says_what_to_do_next():
    page = signed_in(_fake(results=[])).get("/search", params={"reference": "GP-404"})
    assert page.status_code == 200
    assert "No referral in your programmes matches" in page.text and "Check the spelling" in page.text


def test_an_empty_or_too_long_search_is_refused_in_the_error_summary_without_asking_intake():
    fake = _fake()
    client = signed_in(fake)
    empty = client.get("/search", params={"name": "", "reference": ""})
    assert empty.status_code == 422 and "There is a problem" in empty.text
    assert 'href="#reference"' in empty.text and "Enter at least one thing to search by" in empty.text
    assert empty.text.count("<title>Error:") == 1
    long = client.get("/search", params={"postcode": "x" * 13})
    assert long.status_code == 422 and "Postcode must be 12 characters or fewer" in long.text
    assert _searches(fake) == []


def test_intakes_problems_land_on_the_forms_fields():
    fake = _fake()
    fake.on("GET", "intake", r"/v1/referral-search", lambda request, match: httpx.Response(422, json={
        "title": "The request is not valid", "errors": [
            {"field": "query.nhs_number", "problem": "not a valid NHS number (check digit does not match)"}]}))
    page = signed_in(fake).get("/search", params={"nhs_number": "1234567890"})
    assert page.status_code == 422
    assert 'href="#nhs_number"' in page.text and "Not a valid NHS number" in page.text


def test_other_roles_are_refused():
    page = signed_in(_fake(roles=("connector",))).get("/search", params={"name": "Margaret"})
    assert page.status_code == 403
