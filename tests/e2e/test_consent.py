"""Consent enforced, through the real broker and database: the person's contact wishes travel from the
referral to the case, a contact by a method they declined is refused with the instruction, withdrawing
consent to contact stops further contacts and shows on the case, and the registry (intake) follows."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

pytestmark = pytest.mark.e2e


def body(reference: str, family_name: str, consent: dict, **extra) -> dict:
    return {"partner_referral_id": reference, "programme_id": "demo",
            "person": {"given_name": "Consuela", "family_name": family_name, "age_years": 79, "postcode": "e8 1dy"},
            "consent": {"to_referral": True, **consent},
            "referrer": {"source_category": "statutory", "source_subcategory": "nhs_gp", "organisation": "Test GP"},
            "needs": ["loneliness"], **extra}


async def test_a_declined_method_is_refused_and_withdrawn_consent_stops_contacts(system):
    system.start()
    key = await system.setup_partner()
    await system.add_worker("connector", "21")
    await system.add_worker("volunteer", "21")
    async with httpx.AsyncClient(timeout=10) as http:
        posted = await http.post(f"{system.url('intake')}/v1/referrals", headers={"X-API-Key": key}, json=body(
            "CONSENT-1", "Nophone", {"to_data_sharing": True, "to_contact": True},
            contact_preferences={"preferred": "post", "do_not_contact_by": ["phone"]}))
        assert posted.status_code == 201, posted.text
        referral_id = uuid.UUID(posted.json()["referral_id"])
        [case] = await system.wait_for("SELECT id, worker_id FROM caseload.cases WHERE referral_id = $1 "
                                       "AND status = 'assigned'", referral_id)
        role = (await system.sql("SELECT role FROM caseload.workers WHERE id = $1", case["worker_id"]))[0]["role"]
        worker = system.staff_headers(role, subject="worker-1", worker_id=str(case["worker_id"]))
        case_url = f"{system.url('caseload')}/v1/cases/{case['id']}"

        # The wishes the referral gave are on the case.
        summary = (await http.get(case_url, headers=worker)).json()
        assert summary["consent"]["do_not_contact_by"] == ["phone"]
        assert (summary["consent"]["to_contact"], summary["consent"]["preferred_contact"]) == (True, "post")
        assert summary["can_record_contact"] is True and "phone" in summary["contact_kinds_declined"]

        # A phone call is refused, with the instruction; a letter and a visit are recorded.
        refused = await http.post(f"{case_url}/contacts", headers=worker, json={"kind": "phone", "minutes": 10})
        assert refused.status_code == 409, refused.text
        assert refused.json()["detail"] == "the person asked not to be contacted by phone; they prefer letter"
        for kind in ("letter", "home_visit"):
            recorded = await http.post(f"{case_url}/contacts", headers=worker, json={"kind": kind, "minutes": 30})
            assert recorded.status_code == 201, recorded.text
        assert recorded.json()["contact_count"] == 2

        # The person withdraws consent to contact: told to the worker, recorded on the case.
        withdrawn = await http.post(f"{case_url}/consent", headers=worker,
                                    json={"to_contact": False, "reported_by": "person"})
        assert withdrawn.status_code == 200, withdrawn.text
        for kind in ("letter", "face_to_face"):
            again = await http.post(f"{case_url}/contacts", headers=worker, json={"kind": kind, "minutes": 30})
            assert again.status_code == 409 and "asked not to be contacted by the service" in again.json()["detail"]
        summary = (await http.get(case_url, headers=worker)).json()
        assert summary["consent"]["to_contact"] is False and summary["can_record_contact"] is False
        assert "asked not to be contacted" in summary["contact_refused_reason"]
        assert [(h["reported_by"], h["to_contact"]) for h in summary["consent"]["history"]] == [
            ("referral", True), ("person", False)]
        assert summary["consent"]["history"][1]["recorded_by"] == "worker-1"
        # The person rang in themselves: that is recorded still.
        theirs = await http.post(f"{case_url}/contacts", headers=worker,
                                 json={"kind": "phone", "minutes": 5, "initiated_by": "person"})
        assert theirs.status_code == 201, theirs.text

    # The registry follows: the referral's consent is current, with its history.
    history = await system.wait_for("SELECT source, reported_by, consent FROM intake.referral_consents "
                                    "WHERE referral_id = $1 ORDER BY id", referral_id,
                                    predicate=lambda rows: len(rows) == 2)
    assert [(h["source"], json.loads(h["consent"])["to_contact"]) for h in history] == [
        ("referral", True), ("case", False)]
    assert history[1]["reported_by"] == "person"
    [registry] = await system.sql("SELECT consent FROM intake.referrals WHERE id = $1", referral_id)
    assert json.loads(registry["consent"]) == {"to_referral": True, "to_data_sharing": True, "to_contact": False,
                                               "do_not_contact_by": ["phone"], "preferred_contact": "post"}
    changes = [e for e in await system.events_on(system.topics.cases, min_records=1)
               if e["type"] == "case.consent_changed"]
    assert len(changes) == 1 and changes[0]["_key"] == str(case["id"])


async def test_without_consent_to_data_sharing_the_partner_sees_the_status_only_and_reports_still_count(system):
    system.start()
    key = await system.setup_partner()
    await system.add_worker("connector", "21")
    await system.add_worker("volunteer", "21")
    async with httpx.AsyncClient(timeout=10) as http:
        posted = await http.post(f"{system.url('intake')}/v1/referrals", headers={"X-API-Key": key}, json=body(
            "PRIVATE-1", "Private", {"to_data_sharing": False, "to_contact": True}))
        assert posted.status_code == 201, posted.text
        referral_id = uuid.UUID(posted.json()["referral_id"])
        [case] = await system.wait_for("SELECT id, worker_id FROM caseload.cases WHERE referral_id = $1 "
                                       "AND status = 'assigned'", referral_id)
        role = (await system.sql("SELECT role FROM caseload.workers WHERE id = $1", case["worker_id"]))[0]["role"]
        worker = system.staff_headers(role, worker_id=str(case["worker_id"]))
        case_url = f"{system.url('caseload')}/v1/cases/{case['id']}"
        assert (await http.get(case_url, headers=worker)).json()["consent"]["to_data_sharing"] is False
        assert (await http.post(f"{case_url}/contacts", headers=worker,
                                json={"kind": "home_visit", "minutes": 60})).status_code == 201
        closed = await http.post(f"{case_url}/close", headers=worker, json={
            "reason": "went_into_hospital",
            "measures": [{"instrument": "ucla3", "timepoint": "baseline", "items": [3, 3, 3]},
                         {"instrument": "ucla3", "timepoint": "end", "items": [2, 2, 1]}]})
        assert closed.status_code == 200, closed.text

        # The referrer follows the status, and nothing more: no closure reason, on any of its ways in.
        await system.wait_for("SELECT 1 FROM intake.referrals WHERE id = $1 AND status = 'closed'", referral_id)
        view = (await http.get(f"{system.url('intake')}/v1/referrals/{referral_id}", headers={"X-API-Key": key})).json()
        assert [s["status"] for s in view["timeline"]] == ["received", "accepted", "assigned", "first_contact",
                                                         "closed"]
        assert all(s["reason"] is None for s in view["timeline"])
        task = await http.get(f"{system.url('intake')}/fhir/Task/{referral_id}", headers={"X-API-Key": key})
        assert task.status_code == 200 and "hospital" not in task.text
        told = await system.events_on(system.topics.referral_status("test-gp"), min_records=5)
        assert [e["data"]["status"] for e in told][-1] == "closed"
        assert all(e["data"]["reason"] is None and e["data"]["estimated_wait_days"] is None for e in told)
        # Inside the scheme the reason is kept.
        [inside] = await system.sql("SELECT reason FROM intake.referral_timeline WHERE referral_id = $1 "
                                    "AND status = 'closed'", referral_id)
        assert inside["reason"] == "went_into_hospital"

        # Outcomes count the person in the aggregate, and never show them individually.
        await system.wait_for("SELECT 1 FROM outcomes.measures WHERE case_id = $1", case["id"],
                              predicate=lambda rows: len(rows) == 2)
        manager = system.staff_headers("manager")
        report = (await http.get(f"{system.url('outcomes')}/v1/reports/loneliness", headers=manager)).json()
        assert (report["paired"], report["improved"]) == (1, 1)
        individual = await http.get(f"{system.url('outcomes')}/v1/outcomes/cases/{case['id']}", headers=manager)
        assert individual.status_code == 200, individual.text
        assert (individual.json()["measures"], individual.json()["changes"]) == ([], [])
        assert "did not consent to data sharing" in individual.json()["withheld"]


async def test_no_first_contact_deadline_falls_due_for_someone_who_asked_not_to_be_contacted(system):
    from tests.e2e.test_caseload import accepted, case_for, send_decisions

    system.start("caseload", extra_env={"CASELOAD_TIMER_INTERVAL_S": "0.3"})
    await system.add_worker("connector", "21")
    quiet, reachable = accepted(to_contact=False), accepted(to_contact=True)
    await send_decisions(system, [quiet, reachable])
    quiet_case = await case_for(system, quiet.referral_id, "assigned")
    reachable_case = await case_for(system, reachable.referral_id, "assigned")
    # Both overdue at once, in one statement: the timers' next run takes them together.
    await system.sql("UPDATE caseload.cases SET first_contact_due_at = now() - interval '1 minute' "
                     "WHERE id = ANY($1::uuid[])", [quiet_case["id"], reachable_case["id"]])
    await system.wait_for("SELECT 1 FROM caseload.case_events WHERE case_id = $1 AND "
                          "event_type = 'case.first_contact_deadline_missed'", reachable_case["id"])
    assert await system.sql("SELECT 1 FROM caseload.case_events WHERE case_id = $1 AND "
                            "event_type = 'case.first_contact_deadline_missed'", quiet_case["id"]) == []
