"""One referral travels the whole way: intake -> triage -> caseload -> closure -> outcomes,
through the real broker and database, each service its own process."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from tests.support.sealed import opened_bytes, opened_json, sealed

pytestmark = pytest.mark.e2e

PERSON = {"given_name": "Winifred", "family_name": "Marchbanks", "age_years": 78, "postcode": "e8 1dy"}


async def test_referral_is_triaged_assigned_closed_and_its_outcome_recorded(system):
    system.start()
    api_key = await system.setup_partner()
    worker_id = await system.add_worker("connector", "21")
    await system.add_worker("volunteer", "2")

    async with httpx.AsyncClient(timeout=10) as http:
        posted = await http.post(
            f"{system.url('intake')}/v1/referrals",
            headers={"X-API-Key": api_key},
            json={
                "partner_referral_id": "GP-0001",
                "programme_id": "demo",
                "person": PERSON,
                "consent": {"to_referral": True, "to_data_sharing": True, "to_contact": True},
                "referrer": {"source_category": "statutory", "source_subcategory": "nhs_gp", "organisation": "Test GP"},
                "needs": ["loneliness"],
            },
        )
        assert posted.status_code == 201, posted.text
        referral_id = uuid.UUID(posted.json()["referral_id"])
        correlation_id = posted.json()["correlation_id"]

        # Intake stored it, normalised, and its raw submission.
        [referral] = await system.sql("SELECT * FROM intake.referrals WHERE id = $1", referral_id)
        assert (await opened_json(system, referral["person"], sealed.PERSON))["postcode"] == "E8 1DY"
        [submission] = await system.sql("SELECT * FROM intake.submissions WHERE referral_id = $1", referral_id)
        assert submission["outcome"] == "accepted" and b"GP-0001" in await opened_bytes(
            system, submission["body"], sealed.SUBMISSION)

        # Triage decided, with the rules and the rule-set version recorded.
        [decision] = await system.wait_for("SELECT * FROM triage.decisions WHERE referral_id = $1", referral_id)
        assert decision["decision"] == "accepted"
        assert decision["ruleset_version"] == "1"
        assert {r["rule_id"] for r in json.loads(decision["rules"])} >= {"eligibility.age", "eligibility.consent"}

        # Caseload assigned a connector (the connector pathway), within capacity.
        [case] = await system.wait_for(
            "SELECT * FROM caseload.cases WHERE referral_id = $1 AND status = 'assigned'", referral_id
        )
        assert str(case["worker_id"]) == worker_id
        [worker] = await system.sql("SELECT * FROM caseload.workers WHERE id = $1", case["worker_id"])
        assert worker["load_hours"] == case["expected_weekly_hours"] > 0

        # The referrer sees the status move, without any case detail.
        await system.wait_for(
            "SELECT 1 FROM intake.referrals WHERE id = $1 AND status = 'assigned'", referral_id
        )
        status = (await http.get(f"{system.url('intake')}/v1/referrals/{referral_id}",
                                 headers={"X-API-Key": api_key})).json()
        assert [s["status"] for s in status["timeline"]] == ["received", "accepted", "assigned"]
        assert status["channel"] == "partner_api"
        assert "worker_id" not in json.dumps(status)

        # The connector records a contact and closes the case with start and end UCLA-3 scores.
        connector = system.staff_headers("connector", subject="connector-1", worker_id=worker_id)
        case_url = f"{system.url('caseload')}/v1/cases/{case['id']}"
        contact = await http.post(f"{case_url}/contacts", headers=connector, json={"kind": "home_visit", "minutes": 75})
        assert contact.status_code == 201, contact.text
        closed = await http.post(
            f"{case_url}/close",
            headers=connector,
            json={
                "reason": "planned_end",
                "measures": [
                    {"instrument": "ucla3", "timepoint": "baseline", "items": [3, 3, 2]},
                    {"instrument": "ucla3", "timepoint": "end", "items": [2, 1, 1]},
                ],
            },
        )
        assert closed.status_code == 200, closed.text

        await system.wait_for("SELECT 1 FROM outcomes.case_facts WHERE case_id = $1 AND closed_at IS NOT NULL",
                              case["id"])
        scores = await system.wait_for("SELECT timepoint, score, category FROM outcomes.measures WHERE case_id = $1 "
                                       "ORDER BY timepoint", case["id"], predicate=lambda r: len(r) == 2)
        assert [(s["timepoint"], s["score"], s["category"]) for s in scores] == [
            ("baseline", 3 + 3 + 2, "most_lonely"), ("end", 2 + 1 + 1, "not_lonely")]
        [facts] = await system.sql("SELECT worker_role, contacts FROM outcomes.case_facts WHERE case_id = $1", case["id"])
        assert (facts["worker_role"], facts["contacts"]) == ("connector", 1)
        [worker] = await system.sql("SELECT * FROM caseload.workers WHERE id = $1", case["worker_id"])
        assert worker["load_hours"] == 0

        await system.wait_for("SELECT 1 FROM intake.referrals WHERE id = $1 AND status = 'closed'", referral_id)
        report = (await http.get(f"{system.url('outcomes')}/v1/reports/loneliness",
                                 headers=system.staff_headers("manager"))).json()
        assert (report["paired"], report["improved"], report["mean_change"]) == (1, 1, -4.0)
        # A manager of another programme does not read this one's figures, nor the case's; one of its own does.
        outcomes = system.url("outcomes")
        elsewhere = system.staff_headers("manager", subject="manager-elsewhere", programmes=["elsewhere"])
        assert (await http.get(f"{outcomes}/v1/reports/loneliness", params={"programme_id": case["programme_id"]},
                               headers=elsewhere)).status_code == 403
        assert (await http.get(f"{outcomes}/v1/outcomes/cases/{case['id']}", headers=elsewhere)).status_code == 403
        own = (await http.get(f"{outcomes}/v1/reports/loneliness", headers=system.staff_headers(
            "manager", subject="manager-here", programmes=[case["programme_id"]]))).json()
        assert (own["programme_id"], own["paired"], own["improved"]) == (case["programme_id"], 1, 1)

    # The events on the wire: one of each, keyed by aggregate id, one correlation id throughout,
    # each caused by the one before.
    referral_events = await system.events_on(system.topics.referrals, min_records=1)
    decisions = await system.events_on(system.topics.triage_decisions, min_records=1)
    case_events = await system.events_on(system.topics.cases, min_records=8)
    assert [e["type"] for e in referral_events] == ["referral.received"]
    assert [e["type"] for e in decisions] == ["triage.decided"]
    assert [e["type"] for e in case_events] == [
        "case.opened", "case.offered", "case.assigned", "case.contact_recorded", "case.first_contact_made",
        "case.measure_recorded", "case.measure_recorded", "case.closed"]
    received, decided = referral_events[0], decisions[0]
    opened = next(e for e in case_events if e["type"] == "case.opened")
    assert received["_key"] == received["subject"] == str(referral_id)
    assert decided["_key"] == str(referral_id)
    assert all(e["_key"] == str(case["id"]) for e in case_events)
    assert {e["correlationid"] for e in [received, decided, *case_events]} == {correlation_id}
    assert decided["causationid"] == received["id"] and opened["causationid"] == decided["id"]
    # The referral is told pseudonymously (referral.received version 2); the case events that can carry a
    # worker's notes or the person's words are at version 2, which seals them; the others are at their first.
    assert all(e["specversion"] == "1.0" for e in [received, decided, *case_events])
    assert [(e["type"], e["schemaversion"]) for e in [received, decided, *case_events]] == [
        ("referral.received", 2), ("triage.decided", 1), ("case.opened", 1), ("case.offered", 1),
        ("case.assigned", 1), ("case.contact_recorded", 2), ("case.first_contact_made", 1),
        ("case.measure_recorded", 2), ("case.measure_recorded", 2), ("case.closed", 2)]

    # Logs: JSON on every line, the correlation id on the handling lines, and no personal data.
    for service in ("intake", "triage", "caseload", "outcomes"):
        lines = system.log_lines(service)
        structured = [json.loads(line) for line in lines]  # every line is one JSON object
        assert structured, f"{service} wrote no logs"
        assert all(r["service"] == service and "timestamp" in r and "level" in r for r in structured)
        if service != "intake":
            handled = [r for r in structured if r.get("message") == "event_handled"]
            assert handled and all(r["correlation_id"] == correlation_id for r in handled), service
        for line in lines:
            for personal in ("Winifred", "Marchbanks", "E8 1DY"):
                assert personal not in line, f"{service} logged personal data"
