"""Kills, malformed events and restarts, against the real broker and database."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from shared.schemas.envelope import Envelope, new_envelope
from shared.schemas.events.common import ReferralSource
from shared.schemas.events.referral import Consent, PersonDetails, ReferralReceived
from shared.schemas.topics import REFERRALS

pytestmark = pytest.mark.e2e

CASELOAD_GROUP = "caseload.triage.decisions"
TRIAGE_GROUP = "triage.intake.referrals"


SURNAMES = ["Abbott", "Blackwood", "Carrington", "Dempsey", "Ellsworth", "Fairweather", "Gallagher", "Hargreaves",
            "Ibbotson", "Jarrow", "Kilbride", "Lockwood", "Merriweather", "Northcott", "Oakley", "Pemberton"]
GIVEN = ["Agnes", "Bernard", "Cecily", "Douglas", "Edith", "Frank", "Gwen", "Harold"]


def referral_body(reference: str, age: int = 70) -> dict:
    # Distinct people: intake would (rightly) ask a person whether near-identical names are one person.
    n = sum(map(ord, reference))
    return {
        "partner_referral_id": reference,
        "programme_id": "demo",
        "person": {"given_name": GIVEN[n % len(GIVEN)], "family_name": SURNAMES[n % len(SURNAMES)],
                   "age_years": age, "date_of_birth": f"19{40 + n % 30}-0{1 + n % 9}-1{n % 9}"},
        "consent": {"to_referral": True},
    }


async def post_referral(system, api_key: str, reference: str) -> uuid.UUID:
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(
            f"{system.url('intake')}/v1/referrals", headers={"X-API-Key": api_key}, json=referral_body(reference)
        )
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["referral_id"])


async def wait_for_exit(process, timeout_s: float = 60) -> int:
    for _ in range(int(timeout_s * 10)):
        if process.poll() is not None:
            return process.returncode
        await asyncio.sleep(0.1)
    raise AssertionError("process did not exit")


async def test_consumer_killed_after_writing_but_before_committing_offset_applies_event_once(system):
    system.start("intake", "triage")
    # The fault point sits after the handler's transaction committed and before the offset commit.
    system.start("caseload", extra_env={"REFERRALS_FAULTS": f"{CASELOAD_GROUP}.after-handle"})
    api_key = await system.setup_partner()
    worker_id = uuid.UUID(await system.add_worker("connector", "21"))

    referral_id = await post_referral(system, api_key, "KILL-1")
    assert await wait_for_exit(system.processes["caseload"].process) == 137

    # It wrote before dying.
    [case] = await system.sql("SELECT * FROM caseload.cases WHERE referral_id = $1", referral_id)
    assert case["status"] == "assigned"

    # Restarted, it is handed the same event again (its offset was never committed)...
    system.start("caseload")
    await system.wait_for(
        "SELECT 1", predicate=lambda _: any('"event_already_handled"' in line for line in system.log_lines("caseload"))
    )
    # ...and the second delivery has no second effect.
    cases = await system.sql("SELECT * FROM caseload.cases WHERE referral_id = $1", referral_id)
    assert len(cases) == 1
    [worker] = await system.sql("SELECT load_hours FROM caseload.workers WHERE id = $1", worker_id)
    assert worker["load_hours"] == case["expected_weekly_hours"]
    inbox = await system.sql("SELECT * FROM caseload.inbox WHERE consumer = $1", CASELOAD_GROUP)
    assert len(inbox) == 1
    outbox = await system.sql("SELECT event_id FROM caseload.outbox WHERE event_type = 'case.assigned'")
    assert len(outbox) == 1
    await system.wait_for("SELECT 1 FROM caseload.outbox WHERE published_at IS NOT NULL")
    assigned = [e for e in await system.events_on(system.topics.cases, min_records=1) if e["type"] == "case.assigned"]
    assert {e["id"] for e in assigned} == {str(outbox[0]["event_id"])}

    # And the restarted consumer carries on with new work.
    second = await post_referral(system, api_key, "KILL-2")
    await system.wait_for("SELECT 1 FROM caseload.cases WHERE referral_id = $1 AND status = 'assigned'", second)


async def test_malformed_events_go_to_the_dead_letter_topic_with_their_error(system):
    system.start("triage")
    not_json = b"{this is not json"
    attributes = {"specversion": "1.0", "id": str(uuid.uuid4()), "type": "referral.received", "source": "/partner",
                  "subject": "x", "time": datetime.now(UTC).isoformat(), "schemaversion": 1,
                  "correlationid": str(uuid.uuid4()), "data": {"referral_id": "not-a-uuid"}}
    # Signed by intake, as a bug in intake would publish them: the contract check is what refuses
    # these (an unsigned one would be refused as forged before its data is read).
    intake = system.signer("intake")
    wrong_shape = intake.sign(Envelope.model_validate(attributes), REFERRALS).model_dump_json().encode()
    unknown_version = intake.sign(Envelope.model_validate(attributes | {"schemaversion": 99}),
                                  REFERRALS).model_dump_json().encode()
    for value in (not_json, wrong_shape, unknown_version):
        await system.produce_raw(system.topics.referrals, value, key=b"k")

    dead = await system.read_topic(system.topics.dead_letter(TRIAGE_GROUP), min_records=3, timeout_s=30)
    assert [r.value for r in dead] == [not_json, wrong_shape, unknown_version]
    headers = [dict((k, v.decode()) for k, v in r.headers) for r in dead]
    assert all(h["dlt.original_topic"] == system.topics.referrals for h in headers)
    assert all(h["dlt.consumer_group"] == TRIAGE_GROUP for h in headers)
    assert "Invalid JSON" in headers[0]["dlt.reason"]
    assert "data.referral_id" in headers[1]["dlt.reason"] and "data.person" in headers[1]["dlt.reason"]
    assert "version 99" in headers[2]["dlt.reason"]
    assert all(r.key == b"k" for r in dead)

    # The consumer did not stop: a good event behind the bad ones is decided.
    referral_id = uuid.uuid4()
    good = new_envelope(
        ReferralReceived(
            referral_id=referral_id, person_id=uuid.uuid4(), programme_id="demo", partner_id="p",
            source=ReferralSource(category="self"),
            person=PersonDetails(given_name="A", family_name="B", age_years=40),
            consent=Consent(to_referral=True, to_data_sharing=True, to_contact=True),
            received_at=datetime.now(UTC),
        ),
        source="/tests", subject=str(referral_id), correlation_id=uuid.uuid4(),
    )
    await system.produce_raw(system.topics.referrals, intake.sign(good, REFERRALS).model_dump_json().encode(),
                             key=str(referral_id).encode(), headers=[("ce_type", b"referral.received")])
    [decision] = await system.wait_for("SELECT decision FROM triage.decisions WHERE referral_id = $1", referral_id)
    assert decision["decision"] == "accepted"


async def test_a_stopped_service_picks_up_where_it_left_off(system):
    system.start()
    api_key = await system.setup_partner()
    await system.add_worker("connector", "21")

    assert system.processes["triage"].stop() == 0  # SIGTERM: a clean, graceful exit
    assert any('"service_stopped"' in line for line in system.log_lines("triage"))
    referral_ids = [await post_referral(system, api_key, f"WAIT-{i}") for i in range(3)]
    await asyncio.sleep(2)
    assert await system.sql("SELECT * FROM triage.decisions") == []

    system.start("triage")
    await system.wait_for(
        "SELECT referral_id FROM caseload.cases WHERE status = 'assigned'", predicate=lambda rows: len(rows) == 3
    )
    decisions = await system.sql("SELECT referral_id FROM triage.decisions")
    assert sorted(r["referral_id"] for r in decisions) == sorted(referral_ids)
    events = await system.events_on(system.topics.triage_decisions, min_records=3)
    assert len(events) == 3 and len({e["id"] for e in events}) == 3


async def test_graceful_stop_finishes_in_flight_work_and_commits_it(system):
    system.start("intake", "triage")
    # Hold each decision in caseload's hands for a few seconds, so the stop lands mid-flight.
    system.start("caseload", extra_env={"REFERRALS_DELAYS": f"{CASELOAD_GROUP}.before-handle=4"})
    api_key = await system.setup_partner()
    await system.add_worker("connector", "21")

    referral_id = await post_referral(system, api_key, "STOP-1")
    await system.wait_for(
        "SELECT 1", predicate=lambda _: any('"event_received"' in line for line in system.log_lines("caseload"))
    )
    assert await system.sql("SELECT * FROM caseload.cases") == []  # still in flight
    assert system.processes["caseload"].stop() == 0

    # The in-flight event was applied before the process exited...
    [case] = await system.sql("SELECT * FROM caseload.cases WHERE referral_id = $1", referral_id)
    assert case["status"] == "assigned"
    # ...and its offset committed: a restarted caseload is not handed it again.
    lines_before = len(system.log_lines("caseload"))
    system.start("caseload")
    second = await post_referral(system, api_key, "STOP-2")
    await system.wait_for("SELECT 1 FROM caseload.cases WHERE referral_id = $1", second)
    after_restart = system.log_lines("caseload")[lines_before:]
    assert not any('"event_already_handled"' in line for line in after_restart)
    assert sum('"event_handled"' in line for line in after_restart) == 1
