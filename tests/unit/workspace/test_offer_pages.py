"""The offers pages against fake services: what an offer shows before accepting (and what it must not), and
declining with a coded reason, confirmed, saying what became of the case."""

from __future__ import annotations

import httpx

from services.workspace.domain.offers import DECLINE_REASONS
from shared.schemas.events.case import DeclineReason
from tests.unit.workspace.support import FakeServices, csrf_of, signed_in

CASE = "0b0f0000-0000-4000-8000-0000000000c1"
OFFER = "0b0f0000-0000-4000-8000-0000000000f1"
OFFERED = {"programme_id": "demo", "pathway": "connector_with_volunteer", "priority": 2, "lead_role": "connector",
           "expected_weekly_hours": "1.50", "waiting_since": "2026-02-20T09:00:00+00:00", "waited_days": 9,
           "language": "tr", "interpreter_needed": True, "gender_preference": None, "home_visit_needed": True,
           "postcode_district": "E8", "needs": ["isolation", "bereavement"], "capacity_hours": "5.00",
           "free_hours_if_accepted": "3.50", "complexity": "medium",
           "trigger_groups": ["bereavement", "living_alone"]}


def _fake(case_status_after_decline: str = "offered") -> FakeServices:
    fake = FakeServices()
    fake.on("GET", "caseload", rf"/v1/workers/{fake.worker_id}/offers",
            [{"id": OFFER, "case_id": CASE, "hours": "1.50", "reasons": ["speaks Turkish"],
              "expires_at": "2026-03-02T12:00:00+00:00", "offered": OFFERED}])
    fake.on("POST", "caseload", rf"/v1/offers/{OFFER}/decline",
            {"offer_id": OFFER, "status": "declined", "case_status": case_status_after_decline})
    return fake


def test_an_offer_shows_what_is_offered_without_asking_who_the_person_is():
    fake = _fake()
    client = signed_in(fake)
    for path in ("/offers", f"/offers/{OFFER}"):
        page = client.get(path)
        assert page.status_code == 200
        for words in ("Connector with a volunteer", "High", "Medium", "bereavement, living alone", "isolation, bereavement", "E8",
                      "Turkish (interpreter needed)", "Needed", "9 days", "About 1.5 hours a week",
                      "3.5 of your 5 hours a week left", "speaks Turkish"):
            assert words in page.text, (path, words)
    # Nothing is asked of intake's person registry before the case is the worker's.
    assert not [c for c in fake.calls if c.url.host == "intake"]


def test_an_offer_no_longer_open_is_not_found():
    fake = _fake()
    fake.on("GET", "caseload", rf"/v1/workers/{fake.worker_id}/offers", [])
    client = signed_in(fake)
    assert client.get(f"/offers/{OFFER}").status_code == 404
    assert client.get(f"/offers/{OFFER}/decline").status_code == 404


def test_declining_needs_a_reason_and_a_confirmation_and_sends_nothing_until_then():
    fake = _fake()
    client = signed_in(fake)
    form = client.get(f"/offers/{OFFER}/decline")
    assert form.status_code == 200 and "cannot be taken back" in form.text and "E8" in form.text
    refused = client.post(f"/offers/{OFFER}/decline", data={"csrf_token": csrf_of(form.text), "reason_code": "other"})
    assert refused.status_code == 422
    for field in ("note", "confirm"):
        assert f'href="#{field}"' in refused.text and f'id="{field}"' in refused.text
    unknown = client.post(f"/offers/{OFFER}/decline", data={"csrf_token": csrf_of(form.text),
                                                             "reason_code": "bored", "confirm": "yes"})
    assert unknown.status_code == 422 and 'href="#reason_code"' in unknown.text
    assert not fake.bodies("POST", f"/v1/offers/{OFFER}/decline")


def test_a_confirmed_decline_sends_the_code_and_note_and_says_the_case_went_to_another_worker():
    fake = _fake("offered")
    client = signed_in(fake)
    form = client.get(f"/offers/{OFFER}/decline")
    response = client.post(f"/offers/{OFFER}/decline", data={
        "csrf_token": csrf_of(form.text), "reason_code": "away", "note": "  On leave until the 14th ", "confirm": "yes"})
    assert response.status_code == 303
    # The code caseload counts, and the note apart (caseload seals it).
    assert fake.bodies("POST", f"/v1/offers/{OFFER}/decline") == [{"reason_code": "away",
                                                                   "reason": "On leave until the 14th"}]
    assert "gone to another worker" in client.get(response.headers["location"]).text


def test_a_decline_with_no_one_else_free_says_the_case_waits():
    fake = _fake("waiting")
    client = signed_in(fake)
    form = client.get(f"/offers/{OFFER}/decline")
    response = client.post(f"/offers/{OFFER}/decline", data={
        "csrf_token": csrf_of(form.text), "reason_code": "no_capacity", "confirm": "yes"})
    assert fake.bodies("POST", f"/v1/offers/{OFFER}/decline") == [{"reason_code": "no_capacity"}]
    assert "waits for the next worker with room" in client.get(response.headers["location"]).text


def test_an_offer_answered_meanwhile_is_the_conflict_page():
    fake = _fake()
    fake.on("POST", "caseload", rf"/v1/offers/{OFFER}/decline",
            lambda request, match: httpx.Response(409, json={"detail": "this offer is expired"}))
    client = signed_in(fake)
    form = client.get(f"/offers/{OFFER}/decline")
    response = client.post(f"/offers/{OFFER}/decline", data={
        "csrf_token": csrf_of(form.text), "reason_code": "no_capacity", "confirm": "yes"})
    assert response.status_code == 409 and "This offer is expired" in response.text


def test_accepting_an_offer_gone_meanwhile_says_so_in_the_workers_words_and_leads_back_to_the_offers():
    fake = _fake()
    fake.on("POST", "caseload", rf"/v1/offers/{OFFER}/accept",
            lambda request, match: httpx.Response(409, json={"detail": "this offer is declined"}))
    client = signed_in(fake)
    offers = client.get("/offers")
    response = client.post(f"/offers/{OFFER}/accept", data={"csrf_token": csrf_of(offers.text)})
    assert response.status_code == 409
    assert "This offer is no longer open" in response.text and "this offer is declined" not in response.text
    assert '<a href="/offers">Go to your offers</a>' in response.text


def test_the_form_offers_exactly_the_reason_codes_caseload_counts():
    assert set(DECLINE_REASONS) == {reason.value for reason in DeclineReason}


def test_a_note_up_to_caseloads_limit_is_sent_and_a_longer_one_is_refused_on_the_field():
    fake = _fake()
    client = signed_in(fake)
    form = client.get(f"/offers/{OFFER}/decline")
    too_long = client.post(f"/offers/{OFFER}/decline", data={
        "csrf_token": csrf_of(form.text), "reason_code": "other", "note": "x" * 501, "confirm": "yes"})
    assert too_long.status_code == 422 and 'href="#note"' in too_long.text and "500 characters" in too_long.text
    client.post(f"/offers/{OFFER}/decline", data={
        "csrf_token": csrf_of(form.text), "reason_code": "other", "note": "y" * 500, "confirm": "yes"})
    assert fake.bodies("POST", f"/v1/offers/{OFFER}/decline") == [{"reason_code": "other", "reason": "y" * 500}]
