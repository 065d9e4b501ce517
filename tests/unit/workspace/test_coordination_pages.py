"""A coordinator's review queues against fake services: what is shown, and how each decision is sent."""

from __future__ import annotations

import re

import httpx

from tests.unit.workspace.support import FakeServices, csrf_of, signed_in

REVIEW, REFERRAL, MATCH = ("0b0f0000-0000-4000-8000-00000000000" + c for c in "123")


def _fake() -> FakeServices:
    fake = FakeServices()
    fake.roles, fake.worker_id = ["coordinator"], None
    fake.on("GET", "triage", r"/v1/reviews", [{
        "id": REVIEW, "referral_id": REFERRAL, "programme_id": "hackney-connect", "age_hours": 50.5, "overdue": True,
        "reasons": [{"rule_id": "review.borderline_geography", "passed": False,
                     "explanation": "Postcode N16 is on the borough's edge"}]}])
    fake.on("GET", "triage", rf"/v1/decisions/{REFERRAL}", {
        "decision": "needs_review", "ruleset_version": "2026.1", "facts": {"age_years": 72, "postcode_district": "N16"},
        "rules": [{"rule_id": "eligibility.age", "passed": True, "explanation": "Aged 65 or over"}]})
    fake.on("POST", "triage", rf"/v1/reviews/{REVIEW}/claim", {"status": "claimed"})
    fake.on("POST", "triage", rf"/v1/reviews/{REVIEW}/decision", {"decision": "accepted"})
    fake.on("GET", "intake", r"/v1/match-reviews", [{
        "id": MATCH, "referral_id": REFERRAL, "programme_id": "demo", "confidence": "0.84",
        "created_at": "2026-03-01T10:00:00+00:00", "reasons": ["same family name (+3.1)", "dates of birth a day apart"]}])
    fake.on("POST", "intake", rf"/v1/match-reviews/{MATCH}/decision", {"status": "decided"})
    fake.on("GET", "intake", rf"/v1/match-reviews/{MATCH}", {
        "id": MATCH, "programme_id": "demo", "confidence": "0.84", "created_at": "2026-03-01T10:00:00+00:00",
        "reasons": ["same family name (+3.1)", "dates of birth a day apart"],
        "new": {"referral_id": REFERRAL, "given_name": "Margret", "family_name": "Okafor",
                "date_of_birth": "1941-03-03", "postcode": "E9 2BB", "received_at": "2026-03-01T10:00:00+00:00"},
        "existing": {"referral_id": REVIEW, "given_name": "Margaret", "family_name": "Okafor",
                     "date_of_birth": "1941-03-02", "postcode": "E8 1AA", "received_at": "2026-01-05T09:00:00+00:00"}})
    return fake


def test_the_queue_says_why_each_review_needs_a_person_and_which_are_overdue():
    page = signed_in(_fake()).get("/reviews")
    assert page.status_code == 200 and "on the borough" in page.text and "Overdue" in page.text


def test_a_review_shows_the_rules_and_facts_and_a_decision_is_claimed_then_sent():
    fake = _fake()
    client = signed_in(fake)
    page = client.get(f"/reviews/{REVIEW}")
    assert "Aged 65 or over" in page.text and "N16" in page.text and "2026.1" in page.text
    response = client.post(f"/reviews/{REVIEW}", data={"csrf_token": csrf_of(page.text), "decision": "accepted",
                                                       "note": "Lives on the Hackney side of the road"})
    assert response.status_code == 303
    posts = [c.url.path for c in fake.calls if c.method == "POST" and c.url.host == "triage"]
    assert posts == [f"/v1/reviews/{REVIEW}/claim", f"/v1/reviews/{REVIEW}/decision"]
    assert fake.bodies("POST", f"/v1/reviews/{REVIEW}/decision") == [
        {"decision": "accepted", "note": "Lives on the Hackney side of the road"}]


def test_a_decline_needs_a_reason_code():
    fake = _fake()
    client = signed_in(fake)
    page = client.get(f"/reviews/{REVIEW}")
    response = client.post(f"/reviews/{REVIEW}", data={"csrf_token": csrf_of(page.text), "decision": "declined",
                                                       "note": "Outside the borough"})
    assert response.status_code == 422 and 'href="#reason_code"' in response.text
    assert not fake.bodies("POST", f"/v1/reviews/{REVIEW}/decision")


def test_a_review_claimed_by_someone_else_is_their_decision():
    fake = _fake()
    fake.on("POST", "triage", rf"/v1/reviews/{REVIEW}/claim", lambda r, m: httpx.Response(409, json={"detail": "x"}))
    fake.on("POST", "triage", rf"/v1/reviews/{REVIEW}/decision",
            lambda r, m: httpx.Response(409, json={"detail": "claimed by another coordinator"}))
    client = signed_in(fake)
    page = client.get(f"/reviews/{REVIEW}")
    response = client.post(f"/reviews/{REVIEW}", data={"csrf_token": csrf_of(page.text), "decision": "accepted",
                                                       "note": "Fine"})
    assert response.status_code == 409 and "Claimed by another coordinator" in response.text  # a sentence


def test_a_match_review_is_decided_as_same_person_or_not():
    fake = _fake()
    client = signed_in(fake)
    page = client.get(f"/match-reviews/{MATCH}")
    assert page.status_code == 200 and "84%" in page.text and "dates of birth a day apart" in page.text
    rows = {m.group(1): (m.group(2), m.group(3)) for m in re.finditer(
        r'<th scope="row" class="nhsuk-table__header">([^<]+)</th>\s*<td[^>]*>([^<]*)</td>\s*<td[^>]*>([^<]*)</td>',
        page.text)}
    assert rows["First name"] == ("Margret", "Margaret") and rows["Date of birth"] == ("1941-03-03", "1941-03-02")
    assert rows["Postcode"] == ("E9 2BB", "E8 1AA") and "NHS number" not in rows  # neither record gave one
    assert client.post(f"/match-reviews/{MATCH}", data={"csrf_token": csrf_of(page.text)}).status_code == 422
    response = client.post(f"/match-reviews/{MATCH}", data={"csrf_token": csrf_of(page.text), "same_person": "yes"})
    assert response.status_code == 303
    assert fake.bodies("POST", f"/v1/match-reviews/{MATCH}/decision") == [{"same_person": True}]


def test_a_connector_cannot_open_the_queues():
    fake = _fake()
    fake.roles, fake.worker_id = ["connector"], "0b0f0000-0000-4000-8000-0000000000ff"
    client = signed_in(fake)
    assert client.get("/reviews").status_code == 403 and client.get("/match-reviews").status_code == 403


def test_the_waiting_list_and_capacity_for_a_programme():
    fake = _fake()
    fake.on("GET", "caseload", r"/v1/waiting-list", [
        {"position": 1, "case_id": REVIEW, "effective_priority": 2, "waited_days": 3.5, "estimated_wait_days": 12,
         "expected_weekly_hours": "1.5", "lead_role": "connector"}])
    fake.on("GET", "caseload", r"/v1/workers", [
        {"id": "w1", "name": "Alice Connector", "role": "connector", "site": "North", "active": True,
         "capacity_hours": "21", "load_hours": "7.5", "open_cases": 5, "max_open_cases": 25},
        {"id": "w2", "name": "Bob Connector", "role": "connector", "site": "North", "active": True,
         "capacity_hours": "10", "load_hours": "2", "open_cases": 1, "max_open_cases": 25}])
    fake.on("GET", "caseload", r"/v1/reports/offer-declines", NO_DECLINES)
    client = signed_in(fake)
    waiting = client.get("/waiting-list?programme_id=hackney-connect")
    assert waiting.status_code == 200 and ">12<" in waiting.text
    [asked] = [c for c in fake.calls if c.url.path == "/v1/waiting-list"]
    assert asked.url.params["programme_id"] == "hackney-connect"
    capacity = client.get("/capacity?programme_id=hackney-connect")
    site_row = capacity.text.split(">North<")[1].split("</tr>")[0]
    assert [cell.split(">")[-1] for cell in site_row.split("</td>")[:4]] == ["2", "6", "9.5", "31.0"]
    assert "Alice Connector" in capacity.text and "7.5 of 21" in capacity.text


WORKERS = [{"id": "w1", "name": "Alice Connector", "role": "connector", "site": "North", "active": True,
            "capacity_hours": "21", "load_hours": "7.5", "open_cases": 5, "max_open_cases": 25}]
NO_DECLINES = {"programme_id": "hackney-connect", "since": "2026-09-06", "declined": 0, "expired": 0,
               "by_reason": [], "by_worker": []}


def _rows(page: str, caption: str) -> list[list[str]]:
    """The body rows of the table with that caption, each as the text of its cells."""
    table = page.split(caption)[1].split("</table>")[0].split("<tbody")[1]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>.*?</t[hd]>", row, re.S)]
            for row in table.split("</tr>")[:-1]]


def test_the_capacity_page_says_why_offers_were_declined_by_reason_and_worker():
    fake = _fake()
    fake.on("GET", "caseload", r"/v1/workers", WORKERS)
    fake.on("GET", "caseload", r"/v1/reports/offer-declines", {
        "programme_id": "hackney-connect", "since": "2026-09-06", "declined": 4, "expired": 1,
        "by_reason": [{"reason_code": "language", "declined": 2}, {"reason_code": "too_far", "declined": 1},
                      {"reason_code": None, "declined": 1}],
        "by_worker": [{"worker_id": "w1", "name": "Alice Connector", "site": "North", "declined": 3, "expired": 0},
                      {"worker_id": "w2", "name": "Bob Connector", "site": "North", "declined": 1, "expired": 1}]})
    client = signed_in(fake)
    page = client.get("/capacity?programme_id=hackney-connect")
    assert page.status_code == 200
    assert "Why offers were declined (last 90 days)" in page.text
    assert "4 offers declined and 1 lapsed unanswered" in page.text
    assert _rows(page.text, "by the reason given") == [
        ["I do not speak the language needed", "2"], ["The area is too far for me", "1"],
        ["No reason chosen (declined with a note only)", "1"]]
    assert _rows(page.text, "declined or let lapse") == [
        ["Alice Connector", "North", "3", "0"], ["Bob Connector", "North", "1", "1"]]
    [asked] = [c for c in fake.calls if c.url.path == "/v1/reports/offer-declines"]
    assert asked.url.params["programme_id"] == "hackney-connect" and "since" not in asked.url.params


def test_the_capacity_page_says_when_no_offer_was_declined():
    fake = _fake()
    fake.on("GET", "caseload", r"/v1/workers", WORKERS)
    fake.on("GET", "caseload", r"/v1/reports/offer-declines", NO_DECLINES)
    page = signed_in(fake).get("/capacity?programme_id=hackney-connect")
    assert "No offers were declined or lapsed unanswered in the last 90 days." in page.text
    assert "by the reason given" not in page.text
