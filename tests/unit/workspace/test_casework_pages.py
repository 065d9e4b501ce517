"""The worker's pages against fake services: what each page asks caseload and intake, what it shows, and
that a refusal from the service is shown as the service meant it (403 page, the form's problems)."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.unit.workspace.support import FakeServices, csrf_of, signed_in

CASE = "0b0f0000-0000-4000-8000-0000000000c1"
OFFER = "0b0f0000-0000-4000-8000-0000000000f1"
GOAL = "0b0f0000-0000-4000-8000-0000000000a1"


def _fake() -> FakeServices:
    fake = FakeServices()
    fake.on("GET", "caseload", rf"/v1/workers/{fake.worker_id}/offers",
            [{"id": OFFER, "case_id": CASE, "hours": "1.5", "reasons": ["speaks Turkish"],
              "expires_at": "2026-03-02T12:00:00+00:00"}])
    fake.on("POST", "caseload", rf"/v1/offers/{OFFER}/accept", {"status": "accepted"})
    fake.on("GET", "caseload", rf"/v1/cases/{CASE}",
            {"id": CASE, "status": "assigned", "goals": {GOAL: "some_progress"}, "signposts": {}, "measures": [],
             "measures_due": [], "first_contact_due_at": "2020-01-01T00:00:00+00:00"})
    fake.on("GET", "caseload", rf"/v1/cases/{CASE}/events",
            [{"event_type": "case.goal_set", "at": "2026-01-02T00:00:00+00:00",
              "data": {"goal_id": GOAL, "description": "Join the Tuesday walk"}}])
    fake.on("GET", "intake", rf"/v1/cases/{CASE}/person",
            {"given_name": "Ada", "family_name": "Example", "phone": "+441632960001",
             "safe_contact_instructions": "Only call after 6pm; her son answers otherwise"})
    fake.on("GET", "caseload", r"/v1/cases", [
        {"id": CASE, "status": "assigned", "priority": 2, "opened_at": "2026-01-01T00:00:00+00:00",
         "first_contact_due_at": "2020-01-01T00:00:00+00:00"}])
    for path in ("contacts", "measures", "close", "goals"):
        fake.on("POST", "caseload", rf"/v1/cases/{CASE}/{path}",
                lambda request, match: httpx.Response(201, json={"ok": True}))
    return fake


def test_offers_list_and_accepting_posts_to_caseload_and_opens_the_case():
    fake = _fake()
    client = signed_in(fake)
    page = client.get("/offers")
    assert page.status_code == 200 and "speaks Turkish" in page.text and "Accept offer 1" in page.text
    response = client.post(f"/offers/{OFFER}/accept", data={"csrf_token": csrf_of(page.text), "case_id": CASE})
    assert response.status_code == 303 and response.headers["location"].startswith(f"/cases/{CASE}?saved=")
    assert [c.url.path for c in fake.calls if c.method == "POST"][-1] == f"/v1/offers/{OFFER}/accept"


def test_the_caseload_shows_what_is_overdue():
    page = signed_in(_fake()).get("/cases")
    assert page.status_code == 200 and "Overdue" in page.text and "First contact" in page.text


def test_the_case_page_shows_whom_to_call_and_the_safe_contact_instruction():
    page = signed_in(_fake()).get(f"/cases/{CASE}")
    assert page.status_code == 200
    assert "Ada Example" in page.text and "+441632960001" in page.text
    assert "Only call after 6pm" in page.text and "Join the Tuesday walk" in page.text


def test_another_workers_case_is_the_403_page():
    fake = _fake()
    fake.on("GET", "caseload", rf"/v1/cases/{CASE}",
            lambda request, match: httpx.Response(403, json={"detail": "not your case"}))
    page = signed_in(fake).get(f"/cases/{CASE}")
    assert page.status_code == 403 and "You cannot open this page" in page.text
    assert "Ada" not in page.text


def test_a_contact_form_with_problems_names_them_and_sends_nothing():
    fake = _fake()
    client = signed_in(fake)
    form = client.get(f"/cases/{CASE}/contact")
    response = client.post(f"/cases/{CASE}/contact", data={"csrf_token": csrf_of(form.text), "minutes": "ten"})
    assert response.status_code == 422
    for field in ("reached", "kind", "minutes"):
        assert f'href="#{field}"' in response.text
    assert not fake.bodies("POST", f"/v1/cases/{CASE}/contacts")


def test_an_attempt_is_recorded_as_not_successful():
    fake = _fake()
    client = signed_in(fake)
    form = client.get(f"/cases/{CASE}/contact")
    response = client.post(f"/cases/{CASE}/contact", data={
        "csrf_token": csrf_of(form.text), "reached": "no", "kind": "phone", "minutes": "3"})
    assert response.status_code == 303
    assert fake.bodies("POST", f"/v1/cases/{CASE}/contacts") == [
        {"kind": "phone", "minutes": 3, "travel_minutes": 0, "successful": False, "initiated_by": "worker"}]


def test_a_contacts_note_is_sent_with_it_and_shown_on_the_timeline():
    from services.workspace.domain.casework import timeline_entry

    fake = _fake()
    client = signed_in(fake)
    form = client.get(f"/cases/{CASE}/contact")
    assert 'name="note"' in form.text
    response = client.post(f"/cases/{CASE}/contact", data={
        "csrf_token": csrf_of(form.text), "reached": "yes", "kind": "phone", "minutes": "20",
        "note": "  Talked about the lunch club; call back Friday  "})
    assert response.status_code == 303
    assert fake.bodies("POST", f"/v1/cases/{CASE}/contacts") == [
        {"kind": "phone", "minutes": 20, "travel_minutes": 0, "successful": True, "initiated_by": "worker",
         "note": "Talked about the lunch club; call back Friday"}]
    entry = timeline_entry({"event_type": "case.contact_recorded", "at": "2026-12-05T10:00:00+00:00", "data": {
        "kind": "phone", "minutes": 20, "successful": True, "note": "Call back Friday"}})
    assert entry["detail"] == "Phone call, 20 minutes (reached). Call back Friday"
    too_long = client.post(f"/cases/{CASE}/contact", data={
        "csrf_token": csrf_of(form.text), "reached": "yes", "kind": "phone", "minutes": "20", "note": "x" * 2001})
    assert too_long.status_code == 422 and 'href="#note"' in too_long.text


def test_caseloads_own_refusal_is_shown_on_the_form():
    fake = _fake()
    fake.on("POST", "caseload", rf"/v1/cases/{CASE}/goals", lambda request, match: httpx.Response(
        422, json={"errors": [{"field": "description", "problem": "String should have at most 500 characters"}]}))
    client = signed_in(fake)
    form = client.get(f"/cases/{CASE}/goal")
    response = client.post(f"/cases/{CASE}/goal", data={"csrf_token": csrf_of(form.text), "description": "Walk"})
    assert response.status_code == 422 and "at most 500 characters" in response.text


def test_the_measure_form_sends_the_items_as_the_instrument_numbers_them():
    fake = _fake()
    client = signed_in(fake)
    form = client.get(f"/cases/{CASE}/measures/ucla3?timepoint=baseline")
    assert form.status_code == 200 and "lack companionship" in form.text
    response = client.post(f"/cases/{CASE}/measures/ucla3", data={
        "csrf_token": csrf_of(form.text), "timepoint": "baseline", "collected": "yes",
        "item_1": "3", "item_2": "3", "item_3": "2"})
    assert response.status_code == 303
    assert fake.bodies("POST", f"/v1/cases/{CASE}/measures") == [
        {"instrument": "ucla3", "timepoint": "baseline", "items": [3, 3, 2]}]


def test_the_other_instruments_have_forms_of_their_own_but_are_not_asked_at_closure():
    fake = _fake()
    client = signed_in(fake)
    form = client.get(f"/cases/{CASE}/measures/ons4?timepoint=baseline")
    assert form.status_code == 200 and "how anxious did you feel yesterday" in form.text
    response = client.post(f"/cases/{CASE}/measures/ons4", data={
        "csrf_token": csrf_of(form.text), "timepoint": "baseline", "collected": "yes",
        "item_1": "7", "item_2": "8", "item_3": "0", "item_4": "10"})
    assert response.status_code == 303
    assert fake.bodies("POST", f"/v1/cases/{CASE}/measures") == [
        {"instrument": "ons4", "timepoint": "baseline", "items": [7, 8, 0, 10]}]
    djg6 = client.get(f"/cases/{CASE}/measures/djg6?timepoint=baseline")
    refused = client.post(f"/cases/{CASE}/measures/djg6", data={
        "csrf_token": csrf_of(djg6.text), "timepoint": "baseline", "collected": "yes", "item_1": "4"})
    assert refused.status_code == 422 and 'href="#item_1"' in refused.text and 'href="#item_6"' in refused.text
    case_page = client.get(f"/cases/{CASE}").text
    assert "Record ONS direct loneliness question" in case_page
    close = client.get(f"/cases/{CASE}/close").text
    assert "End measure: UCLA 3-item loneliness scale" in close and "ONS-4" not in close and "djg6_" not in close


def test_closing_needs_a_confirmation_and_sends_the_end_measures_with_the_reason():
    fake = _fake()
    client = signed_in(fake)
    form = client.get(f"/cases/{CASE}/close")
    assert "cannot be reopened" in form.text
    answers = {"csrf_token": csrf_of(form.text), "reason": "planned_end", "ucla3_collected": "yes",
               "ucla3_item_1": "1", "ucla3_item_2": "1", "ucla3_item_3": "2", "swemwbs_collected": "no",
               "swemwbs_not_collected_reason": "Too tired today"}
    unconfirmed = client.post(f"/cases/{CASE}/close", data=answers)
    assert unconfirmed.status_code == 422 and 'href="#confirm"' in unconfirmed.text
    assert not fake.bodies("POST", f"/v1/cases/{CASE}/close")
    closed = client.post(f"/cases/{CASE}/close", data={**answers, "confirm": "yes"})
    assert closed.status_code == 303
    assert fake.bodies("POST", f"/v1/cases/{CASE}/close") == [{"reason": "planned_end", "measures": [
        {"instrument": "ucla3", "timepoint": "end", "items": [1, 1, 2]},
        {"instrument": "swemwbs", "timepoint": "end", "not_collected_reason": "Too tired today"}]}]


def test_an_address_that_is_not_a_case_id_is_not_found():
    assert signed_in(_fake()).get("/cases/not-a-uuid").status_code == 404


def test_each_error_summary_link_leads_to_its_field():
    fake = _fake()
    client = signed_in(fake)
    form = client.get(f"/cases/{CASE}/contact")
    response = client.post(f"/cases/{CASE}/contact", data={"csrf_token": csrf_of(form.text), "minutes": "ten"})
    targets = re.findall(r'<li><a href="#([^"]+)">', response.text)
    assert targets and all(f'id="{target}"' in response.text for target in targets)


def test_a_coordinator_transfers_a_case_to_a_named_worker():
    fake = _fake()
    fake.roles, fake.worker_id = ["coordinator"], None
    fake.on("GET", "caseload", rf"/v1/cases/{CASE}", {"id": CASE, "status": "assigned", "programme_id": "demo",
                                                     "worker_id": "w-holder"})
    fake.on("GET", "caseload", r"/v1/workers", [
        {"id": "w-holder", "name": "Holder", "role": "connector", "active": True},
        {"id": "0b0f0000-0000-4000-8000-0000000000b2", "name": "Bea New", "role": "volunteer", "active": True}])
    fake.on("POST", "caseload", rf"/v1/cases/{CASE}/transfer", {"status": "assigned"})
    client = signed_in(fake)
    form = client.get(f"/cases/{CASE}/transfer")
    assert "Bea New (volunteer)" in form.text and "Holder" not in form.text
    response = client.post(f"/cases/{CASE}/transfer", data={
        "csrf_token": csrf_of(form.text), "to_worker_id": "0b0f0000-0000-4000-8000-0000000000b2",
        "reason": "Closer to home"})
    assert response.status_code == 303
    assert fake.bodies("POST", f"/v1/cases/{CASE}/transfer") == [
        {"to_worker_id": "0b0f0000-0000-4000-8000-0000000000b2", "reason": "Closer to home"}]



@pytest.mark.parametrize(("slug", "posted", "path", "sent"), [
    ("signpost", {"destination": "Walking group", "category": "physical activity"}, "signposts",
     {"destination": "Walking group", "category": "physical activity"}),
    ("unmet-need", {"need": "Befriending in Somali"}, "unmet-needs", {"need": "Befriending in Somali"}),
    ("review", {"outcome": "extend"}, "review", {"outcome": "extend"}),
    ("extend", {"extra_weeks": "4", "extra_sessions": "2", "reason": "Bereavement anniversary"}, "extend",
     {"extra_weeks": 4, "extra_sessions": 2, "reason": "Bereavement anniversary"}),
    ("hold", {"reason": "In hospital"}, "hold", {"reason": "In hospital"}),
    ("consent", {"to_contact": "no", "to_data_sharing": "unchanged", "reported_by": "person"}, "consent",
     {"reported_by": "person", "to_contact": False}),
    ("consent", {"preferred_contact": "text", "reported_by": "person"}, "consent",
     {"reported_by": "person", "preferred_contact": "text"}),
    ("consent", {"preferred_contact": "none", "reported_by": "staff"}, "consent",
     {"reported_by": "staff", "clear_preferred_contact": True}),
])
def test_each_casework_form_sends_what_caseload_takes(slug, posted, path, sent):
    fake = _fake()
    fake.on("POST", "caseload", rf"/v1/cases/{CASE}/{path}", {"ok": True})
    client = signed_in(fake)
    form = client.get(f"/cases/{CASE}/{slug}")
    assert form.status_code == 200
    response = client.post(f"/cases/{CASE}/{slug}", data={"csrf_token": csrf_of(form.text), **posted})
    assert response.status_code == 303, response.text
    assert fake.bodies("POST", f"/v1/cases/{CASE}/{path}") == [sent]


def test_a_consent_change_needs_who_said_so_and_what_changed():
    fake = _fake()
    client = signed_in(fake)
    form = client.get(f"/cases/{CASE}/consent")
    response = client.post(f"/cases/{CASE}/consent", data={"csrf_token": csrf_of(form.text)})
    assert response.status_code == 422 and 'href="#reported_by"' in response.text
    response = client.post(f"/cases/{CASE}/consent", data={"csrf_token": csrf_of(form.text), "reported_by": "staff"})
    assert response.status_code == 422 and "Say what changed" in response.text
    assert not fake.bodies("POST", f"/v1/cases/{CASE}/consent")


def test_the_consent_form_ticks_the_ways_declined_and_sends_only_a_change_to_them():
    fake = _fake()
    fake.on("GET", "caseload", rf"/v1/cases/{CASE}", {"id": CASE, "status": "assigned", "consent": {
        "to_contact": True, "do_not_contact_by": ["home_visit"], "preferred_contact": None}})
    fake.on("POST", "caseload", rf"/v1/cases/{CASE}/consent", {"ok": True})
    client = signed_in(fake)
    form = client.get(f"/cases/{CASE}/consent")
    ticked = re.findall(r'<input[^>]*name="do_not_contact_by"[^>]*>', form.text)
    assert len(ticked) == 5 and [t for t in ticked if "checked" in t] == [
        next(t for t in ticked if 'value="home_visit"' in t)]
    assert 'name="do_not_contact_was" value="home_visit"' in form.text
    base = {"csrf_token": csrf_of(form.text), "reported_by": "person", "do_not_contact_was": "home_visit"}
    unchanged = client.post(f"/cases/{CASE}/consent", data={**base, "do_not_contact_by": "home_visit"})
    assert unchanged.status_code == 422 and "Say what changed" in unchanged.text
    # They now also decline phone calls, and accept home visits after all: the new list is sent.
    changed = client.post(f"/cases/{CASE}/consent", data={**base, "do_not_contact_by": ["phone", "text"]})
    assert changed.status_code == 303
    # Unticking everything accepts every way again: an empty list, not nothing.
    cleared = client.post(f"/cases/{CASE}/consent", data=base)
    assert cleared.status_code == 303
    assert fake.bodies("POST", f"/v1/cases/{CASE}/consent") == [
        {"reported_by": "person", "do_not_contact_by": ["phone", "text"]},
        {"reported_by": "person", "do_not_contact_by": []}]
    clash = client.post(f"/cases/{CASE}/consent", data={**base, "do_not_contact_by": "phone",
                                                         "preferred_contact": "phone"})
    assert clash.status_code == 422 and "cannot prefer a way of contact they do not want" in clash.text


def test_the_ways_of_contact_offered_are_the_ones_caseload_enforces():
    from services.caseload.domain.consent import METHODS

    from services.workspace.domain.casework import CONTACT_METHODS
    assert set(CONTACT_METHODS) == set(METHODS)
