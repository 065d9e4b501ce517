"""Changing a person's contact details from their case, against fake services: the form starts from what
intake holds, sends intake its merge patch as the signed-in person, keeps what was typed when the form or
intake refuses it (naming the fields), and intake's refusal to show the person is the 403 page."""

from __future__ import annotations

import json

import httpx

from services.workspace.domain.contact_details import problems_on_form, read_contact_details
from tests.unit.workspace.support import FakeServices, csrf_of, signed_in

CASE = "0b0f0000-0000-4000-8000-0000000000c1"
PERSON = {"given_name": "Ada", "family_name": "Example", "phone": "+441632960001", "email": None,
          "address": {"line1": "1 Old Street", "line2": None, "town": "Hackney", "postcode": "E8 1AA"},
          "postcode": "E8 1AA", "best_times": "mornings", "safe_contact_instructions": "Her son answers",
          "access_needs": {"mobility": "housebound"}, "language": "so", "interpreter_needed": True}


def _fake(person: dict | None = None) -> FakeServices:
    fake = FakeServices()
    held = dict(person or PERSON)

    def patched(request: httpx.Request, match) -> httpx.Response:
        body = json.loads(request.content)
        held.update({k: v for k, v in body.items() if k not in ("address", "access_needs")})
        return httpx.Response(200, json={"case_id": CASE, "changed": ["phone"], "phone": body["phone"]})

    fake.on("GET", "intake", rf"/v1/cases/{CASE}/person", lambda request, match: httpx.Response(200, json=held))
    fake.on("PATCH", "intake", rf"/v1/cases/{CASE}/person", patched)
    fake.on("GET", "caseload", rf"/v1/cases/{CASE}",
            {"id": CASE, "status": "assigned", "goals": {}, "signposts": {}, "measures": [], "measures_due": []})
    fake.on("GET", "caseload", rf"/v1/cases/{CASE}/events", [])
    return fake


def test_the_case_page_links_to_the_form_which_starts_from_what_intake_holds():
    client = signed_in(_fake())
    case = client.get(f"/cases/{CASE}")
    assert f'href="/cases/{CASE}/person/edit"' in case.text and "Change contact details" in case.text
    assert "1 Old Street, Hackney" in case.text and "Housebound" in case.text
    form = client.get(f"/cases/{CASE}/person/edit")
    assert form.status_code == 200
    for shown in ('value="+441632960001"', 'value="1 Old Street"', 'value="E8 1AA"', 'value="Somali"',
                  "Her son answers", 'value="housebound" checked'):
        assert shown in form.text, shown


def test_saving_sends_intake_the_patch_and_the_case_shows_the_new_phone_with_a_notice():
    fake = _fake()
    client = signed_in(fake)
    form = client.get(f"/cases/{CASE}/person/edit")
    response = client.post(f"/cases/{CASE}/person/edit", data={
        "csrf_token": csrf_of(form.text), "phone": "07700 900 982", "email": "", "address_line1": "1 Old Street",
        "town": "Hackney", "postcode": "E8 1AA", "best_times": " after   6pm ", "safe_contact_instructions": "",
        "mobility": "limited", "language": "Gujarati", "interpreter_needed": "no"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/cases/{CASE}?saved=Contact%20details%20updated"
    [sent] = fake.bodies("PATCH", f"/v1/cases/{CASE}/person")
    assert sent == {"phone": "07700 900 982", "email": None,
                    "address": {"line1": "1 Old Street", "line2": None, "town": "Hackney"}, "postcode": "E8 1AA",
                    "best_times": "after 6pm", "safe_contact_instructions": None,
                    "access_needs": {"mobility": "limited"}, "language": "gu", "interpreter_needed": False}
    [patch] = [c for c in fake.calls if c.method == "PATCH"]
    assert patch.headers["authorization"].startswith("Bearer ")  # as the signed-in person, not as the workspace
    case = client.get(response.headers["location"])
    assert "Contact details updated" in case.text and "07700 900 982" in case.text


def test_the_forms_own_problems_are_named_the_values_kept_and_nothing_sent():
    fake = _fake()
    client = signed_in(fake)
    form = client.get(f"/cases/{CASE}/person/edit")
    response = client.post(f"/cases/{CASE}/person/edit", data={
        "csrf_token": csrf_of(form.text), "phone": "07700 900 982", "best_times": "x" * 201,
        "language": "Not a language at all", "mobility": "flying"})
    assert response.status_code == 422
    for field in ("best_times", "language", "mobility"):
        assert f'href="#{field}"' in response.text, field
    assert 'value="07700 900 982"' in response.text and "Not a language at all" in response.text
    assert not fake.bodies("PATCH", f"/v1/cases/{CASE}/person")


def test_intakes_refusal_is_shown_against_the_forms_fields_with_what_was_typed():
    fake = _fake()
    fake.on("PATCH", "intake", rf"/v1/cases/{CASE}/person", lambda request, match: httpx.Response(422, json={
        "errors": [{"field": "phone", "problem": "Value error, not a valid phone number: expected a UK phone number"},
                   {"field": "address.postcode", "problem": "Value error, not a UK postcode (expected e.g. 'E8 1DY')"}]}))
    client = signed_in(fake)
    form = client.get(f"/cases/{CASE}/person/edit")
    response = client.post(f"/cases/{CASE}/person/edit", data={
        "csrf_token": csrf_of(form.text), "phone": "12345", "postcode": "E8"})
    assert response.status_code == 422
    assert 'href="#phone"' in response.text and 'href="#postcode"' in response.text
    assert "Not a valid phone number" in response.text and 'value="12345"' in response.text


def test_someone_intake_does_not_let_read_the_person_gets_the_403_page_and_cannot_post():
    fake = _fake()
    fake.on("GET", "intake", rf"/v1/cases/{CASE}/person",
            lambda request, match: httpx.Response(403, json={"detail": "only the worker holding this case reads"}))
    fake.on("PATCH", "intake", rf"/v1/cases/{CASE}/person",
            lambda request, match: httpx.Response(403, json={"detail": "only the worker holding this case changes"}))
    client = signed_in(fake)
    page = client.get(f"/cases/{CASE}/person/edit")
    assert page.status_code == 403 and "You cannot open this page" in page.text
    case = client.get(f"/cases/{CASE}")
    assert "Change contact details" not in case.text
    refused = client.post(f"/cases/{CASE}/person/edit", data={"csrf_token": csrf_of(case.text), "phone": "07700 900 982"})
    assert refused.status_code == 403


def test_a_post_without_the_sessions_csrf_token_is_refused_and_nothing_sent():
    fake = _fake()
    client = signed_in(fake)
    assert client.post(f"/cases/{CASE}/person/edit", data={"phone": "07700 900 982"}).status_code == 403
    assert not fake.bodies("PATCH", f"/v1/cases/{CASE}/person")


def test_reading_the_form_and_intakes_problems():
    patch, errors = read_contact_details({"phone": "", "language": "", "mobility": "", "interpreter_needed": ""})
    assert errors == {}
    assert (patch["phone"], patch["language"], patch["access_needs"], patch["interpreter_needed"]) == (
        None, None, {"mobility": None}, None)
    assert problems_on_form([{"field": "access_needs.mobility", "message": "Input should be 'limited'"},
                             {"field": "", "message": "nothing to change"}]) == {
        "mobility": "Input should be 'limited'", "form": "Nothing to change"}
