"""Intake you can trust, through the real broker and database: a reused reference never drops the
second person, Kafka keys follow the JSON field's rules, and dead letters carry no credentials."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.support.sealed import opened_bytes, sealed

pytestmark = pytest.mark.e2e
DLT = "intake.intake.partner-submissions"


def referral(given: str, age: int) -> dict:
    return {"programme_id": "demo", "consent": {"to_referral": True},
            "person": {"given_name": given, "family_name": "Smith", "age_years": age, "postcode": "E8 1DY"}}


async def test_a_reference_reused_for_another_person_is_a_409_and_both_are_kept(shared_system):
    system = shared_system
    key = await system.setup_partner(partner_id="gp-reuse")
    async with httpx.AsyncClient(base_url=system.url("intake"), timeout=10) as http:
        john = await http.post("/v1/referrals", headers={"X-API-Key": key, "Idempotency-Key": "SAME-1"},
                               json=referral("John", 72))
        retry = await http.post("/v1/referrals", headers={"X-API-Key": key, "Idempotency-Key": "SAME-1"},
                                json=referral("John", 72))
        joan = await http.post("/v1/referrals", headers={"X-API-Key": key, "Idempotency-Key": "SAME-1"},
                               json=referral("Joan", 70))
        bad_key = await http.post("/v1/referrals", headers={"X-API-Key": key, "Idempotency-Key": "A\tB"},
                                  json=referral("Jean", 68))
    assert john.status_code == 201 and retry.status_code == 200
    assert retry.json()["referral_id"] == john.json()["referral_id"]
    assert joan.status_code == 409, joan.text
    problem = joan.json()
    assert joan.headers["content-type"].startswith("application/problem+json")
    assert john.json()["referral_id"] in problem["detail"] and "SAME-1" in problem["detail"]
    assert bad_key.status_code == 422 and bad_key.json()["errors"][0]["field"] == "Idempotency-Key"
    kept = await system.sql("SELECT outcome, body FROM intake.submissions WHERE partner_id = 'gp-reuse' "
                            "ORDER BY received_at")
    assert [r["outcome"] for r in kept] == ["accepted", "retry_of_existing", "reference_reused", "rejected"]
    assert json.loads(await opened_bytes(system, kept[2]["body"], sealed.SUBMISSION))["person"]["given_name"] == "Joan"
    referrals = await system.sql("SELECT id FROM intake.referrals WHERE partner_id = 'gp-reuse'")
    assert len(referrals) == 1


async def test_kafka_keys_follow_the_json_fields_rules_and_dead_letters_keep_no_credentials(shared_system):
    system = shared_system
    key = await system.setup_partner(partner_id="kafka-trust")
    topic = system.topics.partner_submissions
    headers = [("partner-id", b"kafka-trust"), ("api-key", key.encode())]
    await system.produce_raw(topic, json.dumps(referral("John", 72)).encode(), key=b"KT-1", headers=headers)
    await system.produce_raw(topic, json.dumps(referral("Joan", 70)).encode(), key=b"KT-1", headers=headers)
    await system.produce_raw(topic, json.dumps(referral("Jim", 75)).encode(), key=b"K" * 4000, headers=headers)
    await system.produce_raw(topic, json.dumps(referral("Jo", 77)).encode(), key=b"\xff\xfe", headers=headers)

    dead = await system.read_topic(system.topics.dead_letter(DLT), min_records=3, timeout_s=60)
    ours = [r for r in dead if r.key in (b"KT-1", b"K" * 4000, b"\xff\xfe")]
    reasons = {r.key: dict(r.headers)["dlt.reason"].decode() for r in ours}
    assert "already names referral" in reasons[b"KT-1"]
    assert "1 to 128 characters" in reasons[b"K" * 4000]
    assert "UTF-8" in reasons[b"\xff\xfe"]
    for record in ours:
        assert dict(record.headers)["api-key"] == b"[redacted]"
        for personal in ("Joan", "Jim", "Smith", "E8"):
            assert personal not in dict(record.headers)["dlt.reason"].decode()
    rows = await system.wait_for("SELECT outcome FROM intake.submissions WHERE partner_id = 'kafka-trust'",
                                 predicate=lambda rows: len(rows) >= 4)
    assert sorted(r["outcome"] for r in rows) == ["accepted", "reference_reused", "rejected", "rejected"]


async def test_guessing_api_keys_is_locked_out_within_ten_attempts(system):
    # A system of its own: the lockout holds the test's address for minutes.
    system.start("intake")
    key = await system.setup_partner(partner_id="gp-guessed")
    key_id = key.split("_")[1]
    async with httpx.AsyncClient(base_url=system.url("intake"), timeout=10) as http:
        statuses = []
        for n in range(12):
            guess = f"rk_{key_id}_{'x' * 40}{n}"
            response = await http.post("/v1/referrals", headers={"X-API-Key": guess}, json=referral("Guess", 70))
            statuses.append(response.status_code)
        assert 429 in statuses[:10] and statuses[-1] == 429, statuses
        assert int(response.headers["Retry-After"]) > 0
        # The real key is held too while the lockout lasts: the guesser may have been anywhere.
        held = await http.post("/v1/referrals", headers={"X-API-Key": key}, json=referral("Real", 70))
        assert held.status_code == 429
    refused = [line for line in system.log_lines("intake") if "partner_key_refused" in line]
    assert len(refused) >= 9 and not any("x" * 40 in line for line in refused)
