"""An operator's dead letters page against fake services: every service's, and replaying one by its service."""

from __future__ import annotations

from tests.unit.workspace.support import FakeServices, csrf_of, signed_in

LETTER = "0d0f0000-0000-4000-8000-000000000001"
SERVICES = ("intake", "triage", "caseload", "outcomes", "identity")


def _fake(roles=("operator",)) -> FakeServices:
    fake = FakeServices()
    fake.roles, fake.worker_id = list(roles), None
    for service in SERVICES:
        fake.on("GET", service, r"/v1/dead-letters", [])
    fake.on("GET", "triage", r"/v1/dead-letters", [{
        "id": LETTER, "consumer_group": "triage.referrals", "topic": "referrals", "event_id": "e-1",
        "event_type": "referral.received", "reason": "no ruleset for programme 'gone'", "error_type": "Rejected",
        "attempts": 5, "failed_at": "2026-12-05T08:00:00+00:00", "status": "dead", "replays": 0,
        "last_replayed_at": None}])
    fake.on("POST", "triage", rf"/v1/dead-letters/{LETTER}/replay", {"id": LETTER, "topic": "referrals", "replays": 1})
    return fake


def test_each_services_dead_letters_are_listed_with_their_reason_and_one_is_replayed_by_its_service():
    fake = _fake()
    client = signed_in(fake)
    page = client.get("/dead-letters")
    assert page.status_code == 200 and "no ruleset for programme" in page.text and "triage.referrals" in page.text
    asked = {c.url.host for c in fake.calls if c.url.path == "/v1/dead-letters"}
    assert asked == set(SERVICES)
    response = client.post(f"/dead-letters/triage/{LETTER}/replay", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 303
    assert [c.url.host for c in fake.calls if c.method == "POST" and c.url.path.endswith("/replay")] == ["triage"]


def test_a_replay_needs_the_forms_token_and_a_known_service():
    fake = _fake()
    client = signed_in(fake)
    page = client.get("/dead-letters")
    assert client.post(f"/dead-letters/triage/{LETTER}/replay", data={"csrf_token": "forged"}).status_code == 403
    assert client.post(f"/dead-letters/elsewhere/{LETTER}/replay",
                       data={"csrf_token": csrf_of(page.text)}).status_code == 404
    assert not [c for c in fake.calls if c.method == "POST" and c.url.path.endswith("/replay")]


def test_the_page_is_the_operators_and_admins_only():
    client = signed_in(_fake(roles=("coordinator",)))
    assert 'href="/dead-letters"' not in client.get("/").text
    assert client.get("/dead-letters").status_code == 403
    assert 'href="/dead-letters"' in signed_in(_fake(roles=("admin",))).get("/").text
