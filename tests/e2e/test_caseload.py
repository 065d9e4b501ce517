"""Caseload through the real broker and database: capacity under concurrency, offers declined
and lapsed, the waiting list (order, ageing, release), and a whole case from assignment to follow-up."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from shared.schemas.envelope import new_envelope
from shared.schemas.events.triage import Complexity, Decision, Pathway, TriageDecided
from shared.schemas.topics import TRIAGE_DECISIONS

pytestmark = pytest.mark.e2e
PROGRAMME = "demo"


async def send_decisions(system, decisions: list[TriageDecided]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=system.infra.bootstrap_servers, linger_ms=10)
    await producer.start()
    try:
        for d in decisions:
            envelope = new_envelope(d, source="/tests/triage", subject=str(d.referral_id), correlation_id=uuid.uuid4())
            # Signed as triage: the test plays triage's part, so caseload trusts these decisions.
            signed = system.signer("triage").sign(envelope, TRIAGE_DECISIONS)
            await producer.send(system.topics.triage_decisions, signed.model_dump_json().encode(),
                                key=str(d.referral_id).encode(), headers=[("ce_type", signed.type.encode())])
        await producer.flush()
    finally:
        await producer.stop()


def accepted(priority: int = 3, hours: float = 1.5, **extra) -> TriageDecided:
    return TriageDecided(referral_id=uuid.uuid4(), person_id=uuid.uuid4(), programme_id=PROGRAMME,
                         decision=Decision.ACCEPTED, rules=[], ruleset_version="test", complexity=Complexity.MEDIUM,
                         pathway=Pathway.CONNECTOR, priority=priority, expected_weekly_hours=hours,
                         decided_at=datetime.now(UTC), **extra)


async def case_for(system, referral_id, status=None, timeout_s: float = 60):
    query = "SELECT * FROM caseload.cases WHERE referral_id = $1" + (" AND status = $2" if status else "")
    args = (referral_id, status) if status else (referral_id,)
    [case] = await system.wait_for(query, *args, timeout_s=timeout_s)
    return case


async def test_capacity_holds_with_several_caseload_replicas_and_a_burst_of_referrals(system):
    system.start("caseload")
    system.start("caseload", replica=2)
    system.start("caseload", replica=3)
    workers = [await system.add_worker("connector", "6") for _ in range(3)]  # room for 4 cases of 1.5 h each
    decisions = [accepted(hours=1.5) for _ in range(40)]
    await send_decisions(system, decisions)
    rows = await system.wait_for("SELECT status, worker_id FROM caseload.cases",
                                 predicate=lambda r: len(r) == 40 and all(c["status"] in ("assigned", "waiting")
                                                                          for c in r), timeout_s=180)
    assigned = [r for r in rows if r["status"] == "assigned"]
    assert len(assigned) == 12 and len(rows) - len(assigned) == 28
    # Every referral has exactly one case, assigned once or waiting.
    per_referral = await system.sql("SELECT referral_id, count(*) AS n FROM caseload.cases GROUP BY referral_id")
    assert len(per_referral) == 40 and {r["n"] for r in per_referral} == {1}
    assignments = await system.sql("SELECT case_id, count(*) AS n FROM caseload.case_events "
                                   "WHERE event_type = 'case.assigned' GROUP BY case_id")
    assert len(assignments) == 12 and {r["n"] for r in assignments} == {1}
    # No worker past their hours; the hours booked are exactly the cases they hold.
    for worker in await system.sql("SELECT * FROM caseload.workers"):
        held = sum(1 for r in assigned if str(r["worker_id"]) == str(worker["id"]))
        assert worker["load_hours"] <= worker["capacity_hours"]
        assert worker["load_hours"] == Decimal("1.5") * held and worker["open_cases"] == held
    assert {str(w["id"]) for w in await system.sql("SELECT id FROM caseload.workers")} == set(workers)
    # All three replicas took part.
    handled = [sum('"event_handled"' in line for line in system.log_lines(name))
               for name in ("caseload", "caseload-2", "caseload-3")]
    assert sum(handled) == 40


async def test_offers_declined_and_lapsed_move_to_the_next_best_worker(system):
    system.start("caseload", extra_env={"CASELOAD_TIMER_INTERVAL_S": "0.3"})
    coordinator = system.staff_headers("coordinator")
    async with httpx.AsyncClient(base_url=system.url("caseload"), timeout=10) as http:
        await http.put(f"/v1/programmes/{PROGRAMME}/settings", headers=coordinator,
                       json={"offer_timeout_minutes": 0.05})  # three seconds to answer
        best = await system.add_worker("connector", "21", auto_accept=False, languages=["so"],
                                       travel_districts=["E8"])
        second = await system.add_worker("connector", "21", auto_accept=False, travel_districts=["E8"])
        third = await system.add_worker("connector", "21", auto_accept=False)
        decision = accepted(language="so", interpreter_needed=True, postcode_district="E8")
        await send_decisions(system, [decision])
        case = await case_for(system, decision.referral_id, "offered")
        assert str(case["worker_id"]) == best

        # The best fit sees it over the API and on their own key of the offers topic, with the reasons.
        [offer] = (await http.get(f"/v1/workers/{best}/offers", headers=coordinator)).json()
        assert "speaks so" in offer["reasons"] and offer["rank"] == 1
        on_topic = await system.events_on(system.topics.offers, min_records=1)
        assert [(e["_key"], e["data"]["case_id"]) for e in on_topic] == [(best, str(case["id"]))]

        # Another worker can neither see the best fit's offers nor take or turn down its offer.
        as_second = system.staff_headers("connector", worker_id=second)
        assert (await http.get(f"/v1/workers/{best}/offers", headers=as_second)).status_code == 403
        for action in ("accept", "decline"):
            refused = await http.post(f"/v1/offers/{offer['id']}/{action}", headers=as_second, json={})
            assert refused.status_code == 403, refused.text
        assert (await case_for(system, decision.referral_id))["status"] == "offered"

        declined = await http.post(f"/v1/offers/{offer['id']}/decline",
                                   headers=system.staff_headers("connector", worker_id=best),
                                   json={"reason_code": "no_capacity", "reason": "Full this week"})
        assert declined.status_code == 200, declined.text
        assert (await http.post(f"/v1/offers/{offer['id']}/accept", headers=coordinator)).status_code == 409
        case = await case_for(system, decision.referral_id, "offered")
        assert str(case["worker_id"]) == second

        # Nobody answers: the offer lapses and goes to the third worker, who accepts.
        await system.wait_for("SELECT 1 FROM caseload.offers WHERE worker_id = $1 AND status = 'expired'",
                              uuid.UUID(second), timeout_s=30)
        case = await case_for(system, decision.referral_id, "offered")
        assert str(case["worker_id"]) == third
        [offer] = (await http.get(f"/v1/workers/{third}/offers", headers=coordinator)).json()
        assert (await http.post(f"/v1/offers/{offer['id']}/accept", headers=coordinator)).status_code == 200
        case = await case_for(system, decision.referral_id, "assigned")
        assert str(case["worker_id"]) == third

        # The coordinator's count: the decline under its code, the lapse as an expiry, each by worker.
        report = await http.get("/v1/reports/offer-declines", params={"programme_id": PROGRAMME}, headers=coordinator)
        assert report.status_code == 200, report.text
        report = report.json()
        assert (report["declined"], report["expired"]) == (1, 1)
        assert report["by_reason"] == [{"reason_code": "no_capacity", "declined": 1}]
        assert {w["worker_id"]: (w["declined"], w["expired"]) for w in report["by_worker"]} == {
            best: (1, 0), second: (0, 1)}
        # Bounded to the last year, and to the coordinator's own programmes.
        too_early = await http.get("/v1/reports/offer-declines", headers=coordinator,
                                   params={"programme_id": PROGRAMME, "since": "2000-01-01"})
        assert too_early.status_code == 422 and "since" in too_early.text
        elsewhere = system.staff_headers("coordinator", programmes=["elsewhere"])
        assert (await http.get("/v1/reports/offer-declines", params={"programme_id": PROGRAMME},
                               headers=elsewhere)).status_code == 403
    [answered] = await system.sql("SELECT response_code, response_reason FROM caseload.offers WHERE worker_id = $1",
                                  uuid.UUID(best))
    assert answered["response_code"] == "no_capacity" and answered["response_reason"].startswith("sealed:")
    [declined_event] = await system.sql(
        "SELECT data::text AS data FROM caseload.case_events WHERE event_type = 'case.offer_declined' AND case_id = $1",
        case["id"])
    data = json.loads(declined_event["data"])
    assert data["reason_code"] == "no_capacity" and data["reason"].startswith("sealed:")
    workers = {str(w["id"]): w for w in await system.sql("SELECT * FROM caseload.workers")}
    assert [workers[w]["load_hours"] for w in (best, second, third)] == [0, 0, Decimal("1.5")]
    events = [e["event_type"] for e in await system.sql(
        "SELECT event_type FROM caseload.case_events WHERE case_id = $1 ORDER BY id", case["id"])]
    assert events == ["case.opened", "case.offered", "case.offer_declined", "case.offered", "case.offer_expired",
                      "case.offered", "case.assigned"]


async def test_waiting_list_order_ageing_and_capacity_release(system):
    system.start("caseload")
    worker = await system.add_worker("connector", "1.5")  # one case at a time
    first, routine, urgent = accepted(priority=3), accepted(priority=3), accepted(priority=2)
    await send_decisions(system, [first])
    first_case = await case_for(system, first.referral_id, "assigned")
    await send_decisions(system, [routine])
    routine_case = await case_for(system, routine.referral_id, "waiting")
    await send_decisions(system, [urgent])
    urgent_case = await case_for(system, urgent.referral_id, "waiting")
    coordinator = system.staff_headers("coordinator")
    async with httpx.AsyncClient(base_url=system.url("caseload"), timeout=10) as http:
        queue = (await http.get("/v1/waiting-list", params={"programme_id": PROGRAMME}, headers=coordinator)).json()
        assert [q["case_id"] for q in queue] == [str(urgent_case["id"]), str(routine_case["id"])]
        assert all(q["estimated_wait_days"] >= 1 for q in queue)
        waitlisted = await system.sql("SELECT data FROM caseload.case_events WHERE case_id = $1 AND "
                                      "event_type = 'case.waitlisted'", routine_case["id"])
        assert json.loads(waitlisted[0]["data"])["estimated_wait_days"] >= 1

        # Thirty days on, the routine case has aged past the urgent newcomer (one level per 14 days).
        await system.sql("UPDATE caseload.cases SET waiting_since = waiting_since - interval '30 days' "
                         "WHERE id = $1", routine_case["id"])
        queue = (await http.get("/v1/waiting-list", params={"programme_id": PROGRAMME}, headers=coordinator)).json()
        assert [q["case_id"] for q in queue] == [str(routine_case["id"]), str(urgent_case["id"])]
        assert queue[0]["effective_priority"] == 1

        # Closing the first case frees the hours, and the next in line is assigned without anyone asking.
        connector = system.staff_headers("connector", worker_id=str(first_case["worker_id"]))
        await http.post(f"/v1/cases/{first_case['id']}/contacts", headers=connector, json={"kind": "phone",
                                                                                         "minutes": 10})
        closed = await http.post(f"/v1/cases/{first_case['id']}/close", headers=connector,
                                 json={"reason": "planned_end"})
        assert closed.status_code == 200, closed.text
    aged = await case_for(system, routine.referral_id, "assigned")
    assert str(aged["worker_id"]) == worker
    assert (await case_for(system, urgent.referral_id))["status"] == "waiting"


async def test_a_whole_case_from_assignment_to_follow_up(system):
    system.start("caseload", extra_env={"CASELOAD_TIMER_INTERVAL_S": "0.3"})
    alice = await system.add_worker("connector", "3", gender="female", site="Dalston")
    decision = accepted(hours=3.0, worker_gender_preference="female")
    await send_decisions(system, [decision])
    case = await case_for(system, decision.referral_id, "assigned")
    assert str(case["worker_id"]) == alice
    assert case["first_contact_due_at"] > case["assigned_at"]
    url = f"/v1/cases/{case['id']}"
    worker = system.staff_headers("connector", subject="alice", worker_id=alice)
    coordinator = system.staff_headers("coordinator", subject="coord")
    async with httpx.AsyncClient(base_url=system.url("caseload"), timeout=10) as http:
        async def post(path, body=None, headers=worker, expect=(200, 201)):
            response = await http.post(url + path, headers=headers, json=body or {})
            assert response.status_code in expect, f"{path}: {response.text}"
            return response.json()

        # The first-contact deadline passes: a breach is recorded.
        await system.sql("UPDATE caseload.cases SET first_contact_due_at = now() - interval '1 minute' WHERE id = $1",
                         case["id"])
        await system.wait_for("SELECT 1 FROM caseload.case_events WHERE case_id = $1 AND "
                              "event_type = 'case.first_contact_deadline_missed'", case["id"])
        await post("/contacts", {"kind": "phone", "minutes": 2, "successful": False})
        await post("/contacts", {"kind": "home_visit", "minutes": 75, "travel_minutes": 30})
        assert (await http.get(url, headers=worker)).json()["measures_due"] == ["baseline"]
        # Another worker's token neither reads alice's case, nor its history, nor changes it.
        stranger = system.staff_headers("connector", subject="bob", worker_id=str(uuid.uuid4()))
        assert (await http.get(url, headers=stranger)).status_code == 403
        assert (await http.get(url + "/events", headers=stranger)).status_code == 403
        await post("/contacts", {"kind": "phone", "minutes": 5}, headers=stranger, expect=(403,))
        await post("/close", {"reason": "planned_end"}, headers=stranger, expect=(403,))
        mine = (await http.get("/v1/cases", headers=stranger)).json()
        assert str(case["id"]) not in [c["id"] for c in mine]
        # A coordinator of another programme neither reads nor moves the case; one of its own does.
        elsewhere = system.staff_headers("coordinator", subject="coord-elsewhere", programmes=["elsewhere"])
        assert (await http.get(url, headers=elsewhere)).status_code == 403
        await post("/hold", {"reason": "not yours"}, headers=elsewhere, expect=(403,))
        assert str(case["id"]) not in [c["id"] for c in (await http.get("/v1/cases", headers=elsewhere)).json()]
        here = system.staff_headers("coordinator", subject="coord-here", programmes=[case["programme_id"]])
        assert (await http.get(url, headers=here)).json()["id"] == str(case["id"])
        # Within the programme, a coordinator of another site neither reads nor moves it; one of Alice's does.
        other_site = system.staff_headers("coordinator", subject="coord-wick", sites=["Hackney Wick"])
        assert (await http.get(url, headers=other_site)).status_code == 403
        await post("/hold", {"reason": "not yours"}, headers=other_site, expect=(403,))
        assert str(case["id"]) not in [c["id"] for c in (await http.get("/v1/cases", headers=other_site)).json()]
        assert alice not in [w["id"] for w in (await http.get("/v1/workers", headers=other_site)).json()]
        dalston = system.staff_headers("coordinator", subject="coord-dalston", sites=["Dalston"])
        assert (await http.get(url, headers=dalston)).json()["id"] == str(case["id"])
        assert alice in [w["id"] for w in (await http.get("/v1/workers", headers=dalston)).json()]
        await post("/measures", {"instrument": "ucla3", "timepoint": "baseline", "items": [3, 3, 2]})
        goals = [(await post("/goals", {"description": d}))["goal_id"]
                 for d in ("Join a walking group", "Call my sister weekly", "Get a bus pass")]
        await post("/goals", {"description": "A fourth goal"}, expect=(409,))
        await post(f"/goals/{goals[0]}/progress", {"progress": "achieved"})
        signpost = (await post("/signposts", {"destination": "Hackney walking group", "category": "physical activity"}))
        await post(f"/signposts/{signpost['signpost_id']}/take-up", {"taken_up": True})
        await post("/unmet-needs", {"need": "befriending in Somali"})
        await post("/review", {"outcome": "extend"})
        await post("/extend", {"extra_weeks": 4, "extra_sessions": 4, "reason": "Bereavement anniversary coming"})

        # On hold, the hours go to someone waiting; resuming needs room again, so the case moves to Bob.
        waiting = accepted(hours=3.0)
        await send_decisions(system, [waiting])
        await case_for(system, waiting.referral_id, "waiting")
        await post("/hold", {"reason": "In hospital"})
        await case_for(system, waiting.referral_id, "assigned")
        await post("/resume", expect=(409,))
        bob = await system.add_worker("connector", "21", gender="male")
        await post("/transfer", {"to_worker_id": bob, "reason": "Alice's hours went to a waiting case"},
                   headers=coordinator)
        # The case is Bob's now: Alice's token no longer moves it, Bob's does.
        await post("/resume", expect=(403,))
        worker = system.staff_headers("connector", subject="bob", worker_id=bob)
        await post("/resume", headers=worker)
        await post("/close", {"reason": "planned_end", "measures": [
            {"instrument": "ucla3", "timepoint": "end", "items": [2, 1, 1]}]}, headers=worker)
        await post("/close", {"reason": "planned_end"}, headers=worker, expect=(409,))

        # Three months later the follow-up falls due, is requested, and is recorded.
        await system.sql("UPDATE caseload.cases SET follow_up_due_at = now() - interval '1 minute' WHERE id = $1",
                         case["id"])
        await system.wait_for("SELECT 1 FROM caseload.case_events WHERE case_id = $1 AND "
                              "event_type = 'case.follow_up_requested'", case["id"])
        assert (await http.get(url, headers=worker)).json()["measures_due"] == ["follow_up"]
        await post("/measures", {"instrument": "ucla3", "timepoint": "follow_up", "items": [2, 2, 1]}, headers=worker)
        final = (await http.get(url, headers=worker)).json()
    assert final["status"] == "closed" and final["measures_due"] == []
    assert (final["contact_count"], final["attempts"], final["extensions"]) == (1, 1, 1)
    assert (final["budget_weeks"], final["budget_sessions"]) == (16, 16)
    assert list(final["goals"].values()).count("achieved") == 1 and list(final["signposts"].values()) == [True]
    assert str(final["worker_id"]) == bob
    events = [e["event_type"] for e in await system.sql(
        "SELECT event_type FROM caseload.case_events WHERE case_id = $1 ORDER BY id", case["id"])]
    assert events[:3] == ["case.opened", "case.offered", "case.assigned"]
    for expected in ("case.first_contact_deadline_missed", "case.goal_set", "case.goal_progressed", "case.signposted",
                     "case.signpost_take_up_recorded", "case.unmet_need_recorded", "case.reviewed", "case.extended",
                     "case.put_on_hold", "case.transferred", "case.resumed", "case.closed", "case.follow_up_requested"):
        assert expected in events, expected
    assert events.count("case.measure_recorded") == 3
    # The same history is on the wire, in order, keyed by the case.
    for _ in range(50):  # the relay publishes a moment after commit
        wire = [e["type"] for e in await system.events_on(system.topics.cases, timeout_s=2)
                if e["_key"] == str(case["id"]) and e["type"] != "case.first_contact_made"]
        if len(wire) >= len(events):
            break
        await asyncio.sleep(0.2)
    assert wire == events
    workers = {str(w["id"]): w for w in await system.sql("SELECT * FROM caseload.workers")}
    assert workers[bob]["load_hours"] == 0 and workers[alice]["load_hours"] == Decimal("3.0")


async def test_a_coordinator_clears_a_workers_site_and_availability_but_not_their_name(system):
    system.start("caseload")
    worker = await system.add_worker(site="Dalston", availability="Mondays only", languages=["en", "so"],
                                     active=False)  # takes no cases, so the other tests' offers are untouched
    coordinator = system.staff_headers("coordinator")
    async with httpx.AsyncClient(base_url=system.url("caseload"), timeout=10) as http:
        site_coordinator = system.staff_headers("coordinator", subject="coord-dalston", sites=["Dalston"])
        refused = await http.patch(f"/v1/workers/{worker}", json={"site": None}, headers=site_coordinator)
        assert refused.status_code == 403  # clearing the site would take the worker out of their sites
        cleared = await http.patch(f"/v1/workers/{worker}", json={"site": None, "availability": None, "languages": []},
                                   headers=coordinator)
        assert cleared.status_code == 200, cleared.text
        no_name = await http.patch(f"/v1/workers/{worker}", json={"name": None}, headers=coordinator)
        assert no_name.status_code == 422
        [listed] = [w for w in (await http.get("/v1/workers", headers=coordinator)).json() if w["id"] == worker]
    assert listed["site"] is None and listed["availability"] is None and listed["languages"] == []
    assert listed["name"].startswith("connector ")
