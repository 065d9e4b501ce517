"""The HTTP edges: credentials, problem details, idempotent retries, nothing lost."""

from __future__ import annotations

import httpx
import pytest

from tests.support.sealed import opened_bytes, sealed

pytestmark = pytest.mark.e2e

BODY = {"programme_id": "demo", "person": {"given_name": "Olive", "family_name": "Retry", "age_years": 81},
        "consent": {"to_referral": True}}


async def test_credentials_problems_and_idempotent_retries(system):
    system.start("intake", "caseload")
    api_key = await system.setup_partner(programmes=("demo",))
    intake, caseload = system.url("intake"), system.url("caseload")
    async with httpx.AsyncClient(timeout=10) as http:
        # Partners need a valid key; staff endpoints a valid token with the right role.
        assert (await http.post(f"{intake}/v1/referrals", json=BODY)).status_code == 401
        forged = api_key[:-4] + "AAAA"
        assert (await http.post(f"{intake}/v1/referrals", json=BODY, headers={"X-API-Key": forged})).status_code == 401
        assert (await http.get(f"{caseload}/v1/workers")).status_code == 401
        bad_token = {"Authorization": "Bearer not-a-token"}
        assert (await http.get(f"{caseload}/v1/workers", headers=bad_token)).status_code == 401
        wrong_role = system.staff_headers("volunteer")
        created = await http.post(f"{caseload}/v1/workers", headers=wrong_role,
                                  json={"name": "x", "role": "connector", "programme_id": "demo", "capacity_hours": 5})
        assert created.status_code == 403

        partner = {"X-API-Key": api_key}
        # A programme the partner may not refer to: 403, with the field named, and the submission kept.
        await http.put(f"{intake}/v1/programmes/elsewhere", headers=system.staff_headers("admin"),
                       json={"name": "Another scheme"})
        other = await http.post(f"{intake}/v1/referrals", headers=partner, json={**BODY, "programme_id": "elsewhere"})
        assert other.status_code == 403 and other.json()["errors"][0]["field"] == "programme_id"
        # An invalid body: 422 problem details naming each field, and the submission kept as sent.
        invalid = await http.post(f"{intake}/v1/referrals", headers=partner,
                                  content=b'{"programme_id": "demo", "person": {"given_name": ""}}')
        assert invalid.status_code == 422
        assert invalid.headers["content-type"].startswith("application/problem+json")
        fields = {e["field"] for e in invalid.json()["errors"]}
        assert fields == {"person.given_name", "person.family_name", "consent"}
        rejected = await system.sql("SELECT outcome, body FROM intake.submissions WHERE outcome = 'rejected'")
        assert sorted([await opened_bytes(system, r["body"], sealed.SUBMISSION) for r in rejected]) == sorted(
            [b'{"programme_id": "demo", "person": {"given_name": ""}}', other.request.content]
        )
        # A programme that does not exist is told apart: the referrer's to mend.
        unknown = await http.post(f"{intake}/v1/referrals", headers=partner, json={**BODY, "programme_id": "nowhere"})
        assert unknown.status_code == 422 and unknown.json()["errors"] == [
            {"field": "programme_id", "problem": "there is no programme with that id"}]
        assert (await http.get(f"{caseload}/v1/workers", headers=bad_token)).json()["detail"] == "invalid token"

        # Retries with the same Idempotency-Key, or the same partner reference, return the first referral.
        headers = {**partner, "Idempotency-Key": "retry-1"}
        first = await http.post(f"{intake}/v1/referrals", headers=headers, json=BODY)
        again = await http.post(f"{intake}/v1/referrals", headers=headers, json=BODY)
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["referral_id"] == again.json()["referral_id"]
        # Another person: the same person twice, under two references, is one person's duplicate referral.
        with_ref = {**BODY, "person": {**BODY["person"], "given_name": "Oswald"}, "partner_referral_id": "REF-9"}
        a = await http.post(f"{intake}/v1/referrals", headers=partner, json=with_ref)
        b = await http.post(f"{intake}/v1/referrals", headers=partner, json=with_ref)
        assert a.json()["referral_id"] == b.json()["referral_id"] and b.json()["created"] is False
        referrals = await system.sql("SELECT id FROM intake.referrals")
        assert len(referrals) == 2
        events = await system.sql("SELECT event_type FROM intake.outbox WHERE event_type = 'referral.received'")
        assert [e["event_type"] for e in events] == ["referral.received", "referral.received"]

        # A referrer sees only its own referrals.
        other_key = await system.setup_partner(programmes=("demo",), partner_id="other-partner")
        peek = await http.get(f"{intake}/v1/referrals/{a.json()['referral_id']}", headers={"X-API-Key": other_key})
        assert peek.status_code == 404
