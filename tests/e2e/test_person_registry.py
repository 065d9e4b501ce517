"""The connector sees whom to call, and only the connector holding the case does; every read is in the
audit trail, which the database keeps append-only and whose hash chain shows tampering."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

pytestmark = pytest.mark.e2e

PHONE, SAFE = "07700 900 461", "Text first; ask for Dot, never leave a message with her daughter"


async def test_the_assigned_worker_reads_whom_to_call_and_nobody_else_does(system):
    system.start()
    key = await system.setup_partner(partner_id="registry-gp")
    workers = [await system.add_worker("connector", "21") for _ in range(2)]
    volunteer = await system.add_worker("volunteer", "2")
    async with httpx.AsyncClient(timeout=20) as http:
        sent = await http.post(f"{system.url('intake')}/v1/referrals", headers={"X-API-Key": key}, json={
            "partner_referral_id": "REG-1", "programme_id": "demo", "consent": {"to_referral": True},
            "person": {"given_name": "Dorothy", "family_name": "Quenby", "age_years": 84, "postcode": "E8 3RL",
                       "phone": PHONE, "interpreter_needed": False},
            "contact_preferences": {"preferred": "text", "best_times": "after 2pm", "do_not_contact_by": ["post"],
                                    "safe_contact_instructions": SAFE},
            "reason": "Housebound since a fall; misses her church group"})
        assert sent.status_code == 201, sent.text
        referral_id = sent.json()["referral_id"]
        [case] = await system.wait_for("SELECT id, worker_id FROM caseload.cases WHERE referral_id = $1 AND "
                                       "status = 'assigned'", referral_id)
        case_id, holder = str(case["id"]), str(case["worker_id"])
        other = next(w for w in workers if w != holder)
        await system.wait_for("SELECT 1 FROM intake.case_holders WHERE case_id = $1 AND worker_id = $2",
                              case["id"], case["worker_id"])
        url = f"{system.url('intake')}/v1/cases/{case_id}/person"

        seen = await http.get(url, headers=system.staff_headers("connector", subject="holder", worker_id=holder))
        assert seen.status_code == 200, seen.text
        person = seen.json()
        assert (person["given_name"], person["phone"], person["safe_contact_instructions"]) == (
            "Dorothy", "+447700900461", SAFE)
        assert (person["preferred_contact"], person["best_times"], person["do_not_contact_by"]) == (
            "text", "after 2pm", ["post"])
        assert person["reason"] == "Housebound since a fall; misses her church group"

        refused = {
            "another worker": system.staff_headers("connector", subject="other", worker_id=other),
            "a volunteer without the case": system.staff_headers("volunteer", subject="vol", worker_id=volunteer),
            "an auditor": system.staff_headers("auditor", subject="auditor"),
            "a coordinator of another programme": system.staff_headers("coordinator", programmes=["elsewhere"]),
        }
        for who, headers in refused.items():
            got = await http.get(url, headers=headers)
            assert got.status_code == 403, f"{who}: {got.status_code}"
            assert PHONE.replace(" ", "") not in got.text and "Dorothy" not in got.text
        assert (await http.get(url, headers={"X-API-Key": key})).status_code == 401  # a partner: no staff token

        auditor = system.staff_headers("auditor", subject="auditor")
        audit = f"{system.url('intake')}/v1/audit-trail"
        trail = (await http.get(audit, params={"person_id": person["person_id"]}, headers=auditor)).json()
        assert [(e["actor"], e["action"], e["case_id"], e["purpose"]) for e in trail] == [
            ("holder", "read", case_id, f"case {case_id}")]
        assert "safe_contact_instructions" in trail[0]["fields"] and PHONE not in str(trail)
        assert [e["actor"] for e in (await http.get(audit, params={"actor": "holder"}, headers=auditor)).json()] == [
            "holder"]
        assert (await http.get(audit, headers=system.staff_headers("connector", worker_id=holder))).status_code == 403
        await http.get(url, headers=system.staff_headers("connector", subject="holder", worker_id=holder))
        check = (await http.get(f"{audit}/verification", headers=auditor)).json()
        assert check == {"entries": 2, "intact": True, "first_broken_seq": None}

        # The service's own connection cannot rewrite the trail; someone who gets round the database's refusal
        # (a superuser switching triggers off) is found out by the chain.
        conn = await asyncpg.connect(system.database_url)
        try:
            with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError, match="append-only"):
                await conn.execute("UPDATE intake.audit_trail SET actor = 'nobody'")
            first = await conn.fetchval("SELECT min(seq) FROM intake.audit_trail")
            async with conn.transaction():
                await conn.execute("SET LOCAL session_replication_role = replica")
                await conn.execute("UPDATE intake.audit_trail SET actor = 'nobody' WHERE seq = $1", first)
        finally:
            await conn.close()
        check = (await http.get(f"{audit}/verification", headers=auditor)).json()
        assert check == {"entries": 1, "intact": False, "first_broken_seq": first}
