"""A connector corrects the phone number of the person on their case, through the real system: intake keeps
the new number sealed (in clear in none of its tables or its log), the worker reads it back, the change is in
the audit trail by field name alone, a new postcode is found by search, and another worker is refused. The move
reaches caseload as a district alone: the case is matched and counted in N1 from then on."""

from __future__ import annotations

import json

import httpx
import pytest

from shared.platform.sealing import is_sealed

pytestmark = pytest.mark.e2e

OLD_PHONE, NEW_PHONE = "07700 900 461", "07700 900 982"  # Ofcom's drama range: nobody's numbers
NEW_DIGITS = "7700900982"


async def test_the_worker_holding_the_case_corrects_the_phone_and_nobody_else_can(system):
    system.start()
    key = await system.setup_partner(partner_id="corrections-gp")
    workers = [await system.add_worker("connector", "21") for _ in range(2)]
    async with httpx.AsyncClient(timeout=20) as http:
        sent = await http.post(f"{system.url('intake')}/v1/referrals", headers={"X-API-Key": key}, json={
            "partner_referral_id": "COR-1", "programme_id": "demo", "consent": {"to_referral": True},
            "person": {"given_name": "Dorothy", "family_name": "Quenby", "age_years": 84, "postcode": "E8 3RL",
                       "phone": OLD_PHONE},
            "contact_preferences": {"best_times": "after 2pm"}})
        assert sent.status_code == 201, sent.text
        referral_id = sent.json()["referral_id"]
        [case] = await system.wait_for("SELECT id, worker_id FROM caseload.cases WHERE referral_id = $1 AND "
                                       "status = 'assigned'", referral_id)
        case_id, holder = str(case["id"]), str(case["worker_id"])
        other = next(w for w in workers if w != holder)
        await system.wait_for("SELECT 1 FROM intake.case_holders WHERE case_id = $1 AND worker_id = $2",
                              case["id"], case["worker_id"])
        url = f"{system.url('intake')}/v1/cases/{case_id}/person"
        as_holder = system.staff_headers("connector", subject="holder", worker_id=holder)

        refused = await http.patch(url, json={"phone": NEW_PHONE},
                                   headers=system.staff_headers("connector", subject="other", worker_id=other))
        assert refused.status_code == 403, refused.text
        bad = await http.patch(url, json={"phone": "12345", "postcode": "E8"}, headers=as_holder)
        assert bad.status_code == 422
        assert sorted(e["field"] for e in bad.json()["errors"]) == ["phone", "postcode"]
        assert "12345" not in bad.text

        changed = await http.patch(url, headers={**as_holder, "Content-Type": "application/merge-patch+json"},
                                   content=json.dumps({"phone": NEW_PHONE, "postcode": "n1 9gu",
                                                       "best_times": "weekday mornings"}))
        assert changed.status_code == 200, changed.text
        assert changed.json()["changed"] == ["phone", "postcode", "best_times"]

        seen = (await http.get(url, headers=as_holder)).json()
        assert (seen["phone"], seen["postcode"], seen["best_times"], seen["given_name"]) == (
            "+44" + NEW_DIGITS, "N1 9GU", "weekday mornings", "Dorothy")

        auditor = system.staff_headers("auditor", subject="auditor")
        trail = (await http.get(f"{system.url('intake')}/v1/audit-trail", params={"person_id": seen["person_id"]},
                                headers=auditor)).json()
        assert [(e["actor"], e["action"], e["case_id"], e["fields"]) for e in trail if e["action"] == "change"] == [
            ("holder", "change", case_id, ["phone", "postcode", "best_times"])]
        assert NEW_DIGITS not in json.dumps(trail) and "N1 9GU" not in json.dumps(trail)
        assert (await http.get(f"{system.url('intake')}/v1/audit-trail/verification", headers=auditor)).json()["intact"]

        found = await http.get(f"{system.url('intake')}/v1/referral-search", params={"postcode": "N1 9GU"},
                               headers=system.staff_headers("coordinator", programmes=["demo"]))
        assert [r["referral_id"] for r in found.json()["results"]] == [referral_id]

    # Caseload heard of the move in coded values only: the case's district is N1 now, and its history says so.
    await system.wait_for("SELECT 1 FROM caseload.cases WHERE id = $1 AND needs->>'postcode_district' = 'N1'",
                          case["id"])
    [corrected] = await system.sql("SELECT data FROM caseload.case_events WHERE case_id = $1 AND "
                                   "event_type = 'case.details_corrected'", case["id"])
    assert (json.loads(corrected["data"])["postcode_district"], json.loads(corrected["data"])["changed"]) == (
        "N1", ["postcode_district"])
    told = [r for r in await system.read_topic(system.topics.referrals, min_records=2)
            if dict(r.headers).get("ce_type") == b"referral.details_corrected"]
    assert len(told) == 1 and b'"N1"' in told[0].value and b"9GU" not in told[0].value and NEW_DIGITS.encode() \
        not in told[0].value
    for table in await system.sql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'caseload' "
                                  "AND table_type = 'BASE TABLE'"):
        for stored in await system.sql(f'SELECT t::text AS row FROM caseload."{table["table_name"]}" t'):
            assert "9GU" not in stored["row"] and NEW_DIGITS not in stored["row"], table["table_name"]

    # Kept sealed where the referral keeps the person, and in clear in none of intake's tables nor its log.
    [row] = await system.sql("SELECT person #>> '{}' AS person, contact #>> '{}' AS contact FROM intake.referrals "
                             "WHERE id = $1", referral_id)
    assert is_sealed(row["person"]) and is_sealed(row["contact"])
    tables = await system.sql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'intake' "
                              "AND table_type = 'BASE TABLE'")
    assert {"referrals", "audit_trail", "referral_search_keys"} <= {t["table_name"] for t in tables}
    for table in tables:
        for stored in await system.sql(f'SELECT t::text AS row FROM intake."{table["table_name"]}" t'):
            assert NEW_DIGITS not in stored["row"], table["table_name"]
    assert not [line for line in system.log_lines("intake") if NEW_DIGITS in line]
