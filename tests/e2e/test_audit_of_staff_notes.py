"""Every opening of the notes caseload seals is in caseload's audit trail (issue 14): a worker reads a case with
a goal and a hold reason; an auditor finds the read by person and by user, the chain verifies, and an entry
rewritten in the database by someone who switched the append-only trigger off is found out. Triage's trail
holds a reviewer's note written and read the same way."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

pytestmark = pytest.mark.e2e

GOAL, HOLD = "Goal: Wilhelmina-Marzipan choir on Tuesdays", "Hold: Wilhelmina-Saffron is caring for her sister"
REVIEWER_NOTE = "Reviewer: Wilhelmina-Quince lives on the E8 side"


async def ok(response: httpx.Response, status: int = 200):
    assert response.status_code == status, response.text
    return response.json()


async def test_a_workers_read_of_notes_is_found_by_person_and_user_and_tampering_shows(system):
    system.start()
    key = await system.setup_partner(partner_id="audit-notes-gp")
    await system.add_worker("connector", "21")
    coordinator = system.staff_headers("coordinator", subject="coord-audit")
    auditor = system.staff_headers("auditor", subject="auditor-1")
    async with httpx.AsyncClient(timeout=20) as http:
        sent = await ok(await http.post(f"{system.url('intake')}/v1/referrals", headers={"X-API-Key": key}, json={
            "partner_referral_id": "AUDIT-NOTES-1", "programme_id": "demo", "consent": {"to_referral": True},
            "person": {"given_name": "Wilhelmina", "family_name": "Quarry", "age_years": 81, "postcode": "E8 3RL",
                       "interpreter_needed": False},
            "reason": "Lonely since her husband died"}), 201)
        [case] = await system.wait_for("SELECT id, worker_id, person_id FROM caseload.cases WHERE referral_id = $1 "
                                       "AND status = 'assigned'", sent["referral_id"])
        case_id, holder, person_id = str(case["id"]), str(case["worker_id"]), str(case["person_id"])
        case_url = f"{system.url('caseload')}/v1/cases/{case_id}"
        await ok(await http.post(f"{case_url}/goals", headers=coordinator, json={"description": GOAL}), 201)
        await ok(await http.post(f"{case_url}/hold", headers=coordinator, json={"reason": HOLD}))

        worker = system.staff_headers("connector", subject="worker-audit", worker_id=holder)
        history = await ok(await http.get(f"{case_url}/events", headers=worker))
        assert GOAL in repr(history) and HOLD in repr(history)

        audit = f"{system.url('caseload')}/v1/audit-trail"
        by_person = await ok(await http.get(audit, params={"person_id": person_id}, headers=auditor))
        assert [(e["actor"], e["action"], e["fields"]) for e in by_person] == [
            ("coord-audit", "change", ["description"]), ("coord-audit", "change", ["reason"]),
            ("worker-audit", "read", ["description", "reason"])]
        read = by_person[-1]
        assert (read["case_id"], read["purpose"], read["roles"]) == (case_id, f"case {case_id}", ["connector"])
        assert "Wilhelmina" not in repr(by_person)
        by_user = await ok(await http.get(audit, params={"actor": "worker-audit"}, headers=auditor))
        assert by_user == [read]
        page = await ok(await http.get(audit, params={"person_id": person_id, "after": by_person[0]["seq"],
                                                      "limit": 1}, headers=auditor))
        assert page == [by_person[1]]
        assert (await http.get(audit, headers=worker)).status_code == 403
        assert (await http.get(audit, params={"limit": 0}, headers=auditor)).status_code == 422

        check = await ok(await http.get(f"{audit}/verification", headers=auditor))
        assert check == {"entries": 3, "intact": True, "first_broken_seq": None}

        # The service's own connection cannot rewrite the trail; a superuser switching triggers off can, and
        # the chain shows it from the entry changed on.
        conn = await asyncpg.connect(system.database_url)
        try:
            with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError, match="append-only"):
                await conn.execute("UPDATE caseload.audit_trail SET actor = 'nobody'")
            async with conn.transaction():
                await conn.execute("SET LOCAL session_replication_role = replica")
                await conn.execute("UPDATE caseload.audit_trail SET actor = 'nobody' WHERE seq = $1", read["seq"])
        finally:
            await conn.close()
        check = await ok(await http.get(f"{audit}/verification", headers=auditor))
        assert check == {"entries": 3, "intact": False, "first_broken_seq": read["seq"]}

        # Triage: a reviewer's note written on the decision, then read by an auditor, on triage's own trail.
        triage = system.url("triage")
        await ok(await http.post(f"{triage}/v1/decisions/{sent['referral_id']}/override", headers=coordinator,
                                 json={"decision": "accepted", "note": REVIEWER_NOTE}))
        decision = await ok(await http.get(f"{triage}/v1/decisions/{sent['referral_id']}", headers=auditor))
        assert decision["note"] == REVIEWER_NOTE
        trail = await ok(await http.get(f"{triage}/v1/audit-trail", params={"person_id": person_id}, headers=auditor))
        purpose = f"decision on referral {sent['referral_id']}"
        assert [(e["actor"], e["action"], e["fields"], e["referral_id"], e["purpose"]) for e in trail] == [
            ("coord-audit", "change", ["note"], sent["referral_id"], purpose),
            ("auditor-1", "read", ["note"], sent["referral_id"], purpose)]
        assert "Wilhelmina" not in repr(trail)
        check = await ok(await http.get(f"{triage}/v1/audit-trail/verification", headers=auditor))
        assert check == {"entries": 2, "intact": True, "first_broken_seq": None}
