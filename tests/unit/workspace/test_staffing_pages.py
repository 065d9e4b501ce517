"""A coordinator's workers and programme settings against fake services: what is listed, what each form sends to
caseload, and how refusals (the form's and caseload's) come back on the form."""

from __future__ import annotations

import json

import httpx

from services.workspace.domain.staffing import read_settings, read_worker
from tests.unit.workspace.support import FakeServices, csrf_of, signed_in

ASHA, BEN = "0c0f0000-0000-4000-8000-000000000001", "0c0f0000-0000-4000-8000-000000000002"
SETTINGS = {"programme_id": "hackney-connect", "first_contact_working_days": 5, "offer_timeout_minutes": 2880.0,
            "review_weeks": 6, "budget_weeks": 12, "budget_sessions": 12, "follow_up_months": 3, "ageing_days": 14.0}
SETTINGS_FORM = {"first_contact_working_days": "5", "offer_timeout_minutes": "2880", "review_weeks": "6",
                 "budget_weeks": "12", "budget_sessions": "12", "follow_up_months": "3", "ageing_days": "14"}


def _fake(roles=("coordinator",)) -> FakeServices:
    fake = FakeServices()
    fake.roles, fake.worker_id = list(roles), None
    fake.on("GET", "caseload", r"/v1/workers", [
        {"id": ASHA, "name": "Asha Connector", "role": "connector", "programme_id": "hackney-connect",
         "site": "North", "active": True, "capacity_hours": "21.00", "load_hours": "7.50", "open_cases": 5,
         "max_open_cases": 25, "availability": "Mon to Wed", "languages": ["en", "tr"], "travel_districts": ["E8"],
         "home_visits": True, "auto_accept_offers": False},
        {"id": BEN, "name": "Ben Volunteer", "role": "volunteer", "programme_id": "hackney-connect", "site": None,
         "active": False, "capacity_hours": "4.00", "load_hours": "0.00", "open_cases": 0, "max_open_cases": 3,
         "availability": None, "languages": [], "travel_districts": [], "home_visits": False,
         "auto_accept_offers": True}])
    fake.on("POST", "caseload", r"/v1/workers", lambda r, m: httpx.Response(201, json={"id": BEN, **json.loads(r.content)}))
    fake.on("PATCH", "caseload", r"/v1/workers/[^/]+", lambda r, m: httpx.Response(200, json=json.loads(r.content)))
    fake.on("GET", "caseload", r"/v1/programmes/hackney-connect/settings", SETTINGS)
    fake.on("PUT", "caseload", r"/v1/programmes/hackney-connect/settings",
            lambda r, m: httpx.Response(200, json=json.loads(r.content)))
    return fake


def _rows(html: str) -> list[str]:
    return [row.split("</tr>")[0] for row in html.split('<tr class="nhsuk-table__row">')[2:]]


def test_the_workers_page_names_each_worker_with_their_hours_cases_and_availability():
    fake = _fake()
    page = signed_in(fake).get("/workers?programme_id=hackney-connect")
    assert page.status_code == 200
    asha, ben = _rows(page.text)
    assert "Asha Connector" in asha and "North" in asha and ">21.00<" in asha and ">7.50<" in asha
    assert "5 of 25" in asha and "Mon to Wed" in asha and f"/workers/{ASHA}/edit" in asha
    assert "Ben Volunteer" in ben and "Inactive" in ben and "No site" in ben and ASHA not in ben
    [asked] = [c for c in fake.calls if c.url.path == "/v1/workers"]
    assert asked.url.params["programme_id"] == "hackney-connect"
    assert 'href="/programmes/hackney-connect/settings"' in page.text


def test_the_navigation_offers_workers_to_coordinators_only():
    assert 'href="/workers"' in signed_in(_fake()).get("/").text
    assert 'href="/workers"' not in signed_in(_fake(["manager"])).get("/").text


def test_adding_a_worker_sends_what_caseload_takes():
    fake = _fake()
    client = signed_in(fake)
    form = client.get("/workers/new?programme_id=hackney-connect")
    assert form.status_code == 200 and 'value="hackney-connect"' in form.text
    response = client.post("/workers/new", data={
        "csrf_token": csrf_of(form.text), "name": "Chidi Okoro", "role": "connector", "programme_id": "hackney-connect",
        "capacity_hours": "22.5", "max_open_cases": "20", "site": "South", "availability": "Thu and Fri",
        "languages": "en, yo", "travel_districts": "e8 n16", "home_visits": "yes", "auto_accept_offers": "no"})
    assert response.status_code == 303
    assert response.headers["location"] == "/workers?programme_id=hackney-connect&saved=Worker+added"
    assert fake.bodies("POST", "/v1/workers") == [{
        "name": "Chidi Okoro", "role": "connector", "programme_id": "hackney-connect", "capacity_hours": "22.5",
        "max_open_cases": 20, "site": "South", "availability": "Thu and Fri", "languages": ["en", "yo"],
        "travel_districts": ["E8", "N16"], "home_visits": True, "auto_accept_offers": False}]


def test_a_worker_form_with_problems_says_each_on_its_field_and_sends_nothing():
    fake = _fake()
    client = signed_in(fake)
    form = client.get("/workers/new")
    response = client.post("/workers/new", data={"csrf_token": csrf_of(form.text), "name": "", "role": "manager",
                                                 "programme_id": "demo", "capacity_hours": "61",
                                                 "max_open_cases": "0", "travel_districts": "Hackney"})
    assert response.status_code == 422 and "<title>Error:" in response.text
    for field in ("name", "role", "capacity_hours", "max_open_cases", "travel_districts"):
        assert f'href="#{field}"' in response.text, field
    assert 'aria-invalid="true"' in response.text
    assert not fake.bodies("POST", "/v1/workers")


def test_caseloads_refusal_of_a_field_comes_back_on_that_field():
    fake = _fake()
    fake.on("POST", "caseload", r"/v1/workers", lambda r, m: httpx.Response(422, json={
        "detail": "invalid", "errors": [{"field": "body.site", "problem": "site is not one of the programme's"}]}))
    client = signed_in(fake)
    form = client.get("/workers/new")
    response = client.post("/workers/new", data={"csrf_token": csrf_of(form.text), "name": "Dee", "role": "volunteer",
                                                 "programme_id": "demo", "capacity_hours": "3", "site": "Moon"})
    assert response.status_code == 422
    assert 'href="#site"' in response.text and "site is not one of the programme" in response.text
    assert 'value="Moon"' in response.text  # what they typed is kept


def test_changing_a_workers_hours_and_availability_sends_only_those_and_what_the_form_holds():
    fake = _fake()
    client = signed_in(fake)
    form = client.get(f"/workers/{ASHA}/edit")
    assert form.status_code == 200 and "Change Asha Connector" in form.text and 'value="21.00"' in form.text
    assert 'value="English, Turkish"' in form.text  # caseload keeps codes; the form shows names
    response = client.post(f"/workers/{ASHA}/edit", data={
        "csrf_token": csrf_of(form.text), "name": "Asha Connector", "capacity_hours": "30", "max_open_cases": "25",
        "site": "North", "availability": "On leave 1 to 14 August", "languages": "en, tr", "travel_districts": "E8",
        "home_visits": "yes", "auto_accept_offers": "no", "active": "yes"})
    assert response.status_code == 303
    assert fake.bodies("PATCH", f"/v1/workers/{ASHA}") == [{
        "name": "Asha Connector", "capacity_hours": "30", "max_open_cases": 25, "site": "North",
        "availability": "On leave 1 to 14 August", "languages": ["en", "tr"], "travel_districts": ["E8"],
        "home_visits": True, "auto_accept_offers": False, "active": True}]


def test_emptying_a_workers_site_availability_and_codes_on_the_form_clears_them():
    fake = _fake()
    client = signed_in(fake)
    form = client.get(f"/workers/{ASHA}/edit")
    response = client.post(f"/workers/{ASHA}/edit", data={
        "csrf_token": csrf_of(form.text), "name": "Asha Connector", "capacity_hours": "21", "max_open_cases": "",
        "site": " ", "availability": "", "languages": "", "travel_districts": "", "active": "yes"})
    assert response.status_code == 303
    assert fake.bodies("PATCH", f"/v1/workers/{ASHA}") == [{
        "name": "Asha Connector", "capacity_hours": "21", "site": None, "availability": None,
        "languages": [], "travel_districts": [], "active": True}]


def test_languages_are_typed_by_name_or_code_and_sent_as_codes():
    fake = _fake()
    client = signed_in(fake)
    form = client.get(f"/workers/{ASHA}/edit")
    fields = {"csrf_token": csrf_of(form.text), "name": "Asha Connector", "capacity_hours": "21", "active": "yes"}
    response = client.post(f"/workers/{ASHA}/edit", data={**fields, "languages": "Turkish, so, Bengali, pt-BR tr"})
    assert response.status_code == 303
    assert fake.bodies("PATCH", f"/v1/workers/{ASHA}")[0]["languages"] == ["tr", "so", "bn", "pt-BR"]
    unknown = client.post(f"/workers/{ASHA}/edit", data={**fields, "languages": "English, Elvish"})
    assert unknown.status_code == 422 and 'href="#languages"' in unknown.text and "Elvish" in unknown.text
    assert len(fake.bodies("PATCH", f"/v1/workers/{ASHA}")) == 1


def test_hours_below_what_a_workers_cases_take_are_refused_on_the_form():
    fake = _fake()
    client = signed_in(fake)
    form = client.get(f"/workers/{ASHA}/edit")
    response = client.post(f"/workers/{ASHA}/edit", data={"csrf_token": csrf_of(form.text), "name": "Asha Connector",
                                                          "capacity_hours": "5", "active": "yes"})
    assert response.status_code == 422 and 'href="#capacity_hours"' in response.text and "7.50 hours" in response.text
    assert not fake.bodies("PATCH", f"/v1/workers/{ASHA}")


def test_caseloads_conflict_is_said_on_the_form():
    fake = _fake()
    fake.on("PATCH", "caseload", r"/v1/workers/[^/]+", lambda r, m: httpx.Response(409, json={
        "detail": "capacity below the hours already assigned: transfer cases first"}))
    client = signed_in(fake)
    form = client.get(f"/workers/{ASHA}/edit")
    response = client.post(f"/workers/{ASHA}/edit", data={"csrf_token": csrf_of(form.text), "name": "Asha Connector",
                                                          "capacity_hours": "8", "active": "yes"})
    assert response.status_code == 422 and 'href="#form"' in response.text and "transfer cases first" in response.text


def test_stopping_new_cases_for_a_worker_needs_confirming():
    fake = _fake()
    client = signed_in(fake)
    form = client.get(f"/workers/{ASHA}/edit")
    fields = {"csrf_token": csrf_of(form.text), "name": "Asha Connector", "capacity_hours": "21", "active": "no"}
    unconfirmed = client.post(f"/workers/{ASHA}/edit", data=fields)
    assert unconfirmed.status_code == 422 and 'href="#confirm"' in unconfirmed.text
    assert not fake.bodies("PATCH", f"/v1/workers/{ASHA}")
    confirmed = client.post(f"/workers/{ASHA}/edit", data={**fields, "confirm": "yes"})
    assert confirmed.status_code == 303
    assert fake.bodies("PATCH", f"/v1/workers/{ASHA}")[0]["active"] is False


def test_a_worker_not_in_the_coordinators_list_is_not_found():
    client = signed_in(_fake())
    assert client.get("/workers/0c0f0000-0000-4000-8000-0000000000ff/edit").status_code == 404
    assert client.get("/workers/not-a-uuid/edit").status_code == 404


def test_programme_settings_start_from_caseloads_and_are_sent_whole():
    fake = _fake()
    client = signed_in(fake)
    form = client.get("/programmes/hackney-connect/settings")
    assert form.status_code == 200 and 'id="review_weeks" name="review_weeks" type="text" value="6"' in form.text
    assert 'value="2880"' in form.text and 'value="14"' in form.text
    response = client.post("/programmes/hackney-connect/settings",
                           data={"csrf_token": csrf_of(form.text), **SETTINGS_FORM, "review_weeks": "4",
                                 "ageing_days": "7.5"})
    assert response.status_code == 303 and response.headers["location"].endswith("saved=Settings+saved")
    assert fake.bodies("PUT", "/v1/programmes/hackney-connect/settings") == [{
        "first_contact_working_days": 5, "offer_timeout_minutes": 2880.0, "review_weeks": 4, "budget_weeks": 12,
        "budget_sessions": 12, "follow_up_months": 3, "ageing_days": 7.5}]


def test_settings_out_of_bounds_are_field_errors_and_nothing_is_sent():
    fake = _fake()
    client = signed_in(fake)
    form = client.get("/programmes/hackney-connect/settings")
    response = client.post("/programmes/hackney-connect/settings",
                           data={"csrf_token": csrf_of(form.text), **SETTINGS_FORM, "review_weeks": "53",
                                 "budget_sessions": "2.5", "ageing_days": ""})
    assert response.status_code == 422
    for field in ("review_weeks", "budget_sessions", "ageing_days"):
        assert f'href="#{field}"' in response.text, field
    assert 'value="53"' in response.text
    assert not fake.bodies("PUT", "/v1/programmes/hackney-connect/settings")


def test_forms_without_the_sessions_csrf_token_are_refused():
    fake = _fake()
    client = signed_in(fake)
    assert client.post("/programmes/hackney-connect/settings", data=SETTINGS_FORM).status_code == 403
    assert client.post("/workers/new", data={"name": "X", "role": "connector", "programme_id": "demo",
                                             "capacity_hours": "3"}).status_code == 403
    assert not fake.bodies("PUT", "/v1/programmes/hackney-connect/settings") and not fake.bodies("POST", "/v1/workers")


def test_those_who_do_not_coordinate_get_the_403_page():
    for roles in (["manager"], ["connector"], ["operator"]):
        fake = _fake(roles)
        client = signed_in(fake)
        for path in ("/workers", "/workers/new", f"/workers/{ASHA}/edit", "/programmes/hackney-connect/settings"):
            page = client.get(path)
            assert page.status_code == 403 and "You cannot open this page" in page.text, (roles, path)
        assert not [c for c in fake.calls if c.url.host == "caseload"]


def test_an_admin_coordinates_too():
    assert signed_in(_fake(["admin"])).get("/workers").status_code == 200


def test_reading_a_worker_form_leaves_out_blank_optional_fields():
    body, errors = read_worker({"name": " Eve ", "role": "volunteer", "programme_id": "demo", "capacity_hours": ".5"},
                               new=True)
    assert errors == {} and body == {"name": "Eve", "role": "volunteer", "programme_id": "demo",
                                     "capacity_hours": "0.5"}


def test_reading_settings_keeps_each_within_caseloads_bounds():
    body, errors = read_settings({**SETTINGS_FORM, "first_contact_working_days": "30", "offer_timeout_minutes": "0"})
    assert set(errors) == {"offer_timeout_minutes"} and body["first_contact_working_days"] == 30
