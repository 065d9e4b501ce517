"""A referrer's pages against fake services: their partner's referrals in plain words, and the referral form."""

from __future__ import annotations

import re
from datetime import date

import httpx

from services.workspace.domain.referring import read_referral
from tests.unit.workspace.support import FakeServices, csrf_of, signed_in

REFERRAL = "0c0f0000-0000-4000-8000-000000000001"
GOOD = {"given_name": "Olive", "family_name": "Example", "dob[day]": "2", "dob[month]": "3", "dob[year]": "1941",
        "postcode": "e8 1aa", "phone": "0116 496 0123", "reason": "Lonely since her husband died",
        "partner_referral_id": "GP-77", "consent": "yes"}


def _fake(roles=("referrer",)) -> FakeServices:
    fake = FakeServices()
    fake.roles, fake.worker_id = list(roles), None
    fake.on("GET", "intake", r"/v1/partner-referrals", [{
        "referral_id": REFERRAL, "partner_referral_id": "GP-76", "programme_id": "demo", "channel": "partner_api",
        "status": "assigned", "received_at": "2026-12-01T09:30:00+00:00",
        "status_in_words": "Someone has been chosen to support this person and will contact them soon."}])
    fake.on("POST", "intake", r"/v1/referrals",
            lambda request, match: httpx.Response(201, json={"referral_id": REFERRAL, "status": "received"}))
    return fake


def test_the_list_shows_each_referral_with_its_status_in_plain_words_and_the_form_is_offered():
    page = signed_in(_fake()).get("/referrals")
    assert page.status_code == 200
    assert "GP-76" in page.text and "Someone has been chosen to support this person" in page.text
    assert 'href="/referrals/new"' in page.text and "Assigned" in page.text


def test_the_form_sends_the_canonical_referral_as_the_referrer_and_goes_back_to_the_list():
    fake = _fake()
    client = signed_in(fake)
    form = client.get("/referrals/new")
    response = client.post("/referrals/new", data={**GOOD, "csrf_token": csrf_of(form.text)})
    assert response.status_code == 303 and response.headers["location"] == "/referrals?saved=Referral+sent"
    assert fake.bodies("POST", "/v1/referrals") == [{
        "programme_id": "demo", "reason": "Lonely since her husband died", "partner_referral_id": "GP-77",
        "consent": {"to_referral": True},
        "person": {"given_name": "Olive", "family_name": "Example", "date_of_birth": "1941-03-02",
                   "postcode": "e8 1aa", "phone": "0116 496 0123"}}]


def test_problems_are_listed_in_an_error_summary_linked_to_each_field_and_nothing_is_sent():
    fake = _fake()
    client = signed_in(fake)
    form = client.get("/referrals/new")
    response = client.post("/referrals/new", data={"csrf_token": csrf_of(form.text), "given_name": "Olive",
                                                   "dob[day]": "31", "dob[month]": "2", "dob[year]": "1941"})
    assert response.status_code == 422 and "<title>Error: Make a referral" in response.text
    for field in ("family_name", "dob-day", "reason", "consent"):
        assert f'href="#{field}"' in response.text, field
    assert "Date of birth must be a real date" in response.text
    assert fake.bodies("POST", "/v1/referrals") == []


def test_intakes_refusal_is_shown_on_the_form_by_its_field():
    fake = _fake()
    fake.on("POST", "intake", r"/v1/referrals", lambda request, match: httpx.Response(422, json={
        "title": "Invalid referral", "errors": [{"field": "person.postcode", "problem": "not a UK postcode"}]}))
    client = signed_in(fake)
    form = client.get("/referrals/new")
    response = client.post("/referrals/new", data={**GOOD, "csrf_token": csrf_of(form.text)})
    assert response.status_code == 422 and 'href="#postcode"' in response.text and "not a UK postcode" in response.text


def test_scheme_staff_are_not_offered_the_referrer_pages_and_are_refused_them():
    client = signed_in(_fake(roles=("coordinator",)))
    assert 'href="/referrals"' not in client.get("/").text
    assert client.get("/referrals").status_code == 403
    assert client.get("/referrals/new").status_code == 403


def test_a_date_of_birth_in_the_future_is_refused():
    _, errors = read_referral({**GOOD, "dob[year]": "2999"}, ("demo",), date(2026, 12, 5))
    assert errors == {"dob-day": "Date of birth must be in the past, and within the last 120 years"}


def test_what_was_entered_is_kept_when_the_form_is_shown_again():
    fake = _fake()
    client = signed_in(fake)
    form = client.get("/referrals/new")
    response = client.post("/referrals/new", data={**GOOD, "consent": "", "csrf_token": csrf_of(form.text)})
    assert response.status_code == 422
    for kept in ('id="dob-day" name="dob[day]" type="text" value="2"', 'id="dob-year" name="dob[year]"',
                 'value="1941"', 'value="Olive"', "Lonely since her husband died"):
        assert kept in response.text, kept


def test_a_referrer_who_may_refer_to_several_programmes_chooses_one_and_must_choose():
    fake = _fake()
    fake.programmes = ["hackney-connect", "city-befriending"]
    client = signed_in(fake)
    form = client.get("/referrals/new")
    radios = re.findall(r'<input[^>]*name="programme_id"[^>]*>', form.text)
    assert [re.search(r'value="([^"]+)"', r).group(1) for r in radios] == ["hackney-connect", "city-befriending"]
    assert all('type="radio"' in r for r in radios)
    unchosen = client.post("/referrals/new", data={**GOOD, "csrf_token": csrf_of(form.text)})
    assert unchosen.status_code == 422 and 'href="#programme_id"' in unchosen.text
    assert "Choose the programme to refer them to" in unchosen.text
    stranger = client.post("/referrals/new", data={**GOOD, "programme_id": "elsewhere", "csrf_token": csrf_of(form.text)})
    assert stranger.status_code == 422 and fake.bodies("POST", "/v1/referrals") == []
    chosen = client.post("/referrals/new", data={**GOOD, "programme_id": "city-befriending",
                                                 "csrf_token": csrf_of(form.text)})
    assert chosen.status_code == 303
    assert [b["programme_id"] for b in fake.bodies("POST", "/v1/referrals")] == ["city-befriending"]


def test_a_referrer_of_one_programme_is_not_asked_which():
    fake = _fake()
    fake.programmes = ["hackney-connect"]
    client = signed_in(fake)
    form = client.get("/referrals/new")
    assert 'name="programme_id"' not in form.text
    client.post("/referrals/new", data={**GOOD, "csrf_token": csrf_of(form.text)})
    assert [b["programme_id"] for b in fake.bodies("POST", "/v1/referrals")] == ["hackney-connect"]
