"""A forged event on an internal topic is dead-lettered, changes nothing and counts in no report.

The issue's example: a `referral.received` published straight to intake.referrals by someone who can
reach the broker became a triaged, assigned case using a worker's hours, and later counted in the
outcome reports. Here such records are written to the broker directly (validly shaped, so only their
signature can tell them apart), next to a referral posted to intake the ordinary way.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.platform.messaging.signing import EnvelopeSigner
from shared.schemas.envelope import Envelope, new_envelope
from shared.schemas.events.common import ReferralSource
from shared.schemas.events.referral import Consent, PersonDetails, ReferralReceived
from shared.schemas.topics import REFERRALS

pytestmark = pytest.mark.e2e

# Personal data a forger might send: it must appear in no dead-letter reason and no log line.
FORGED_NAME = ("Mallory", "Forgewright")
# Every consumer of intake.referrals: each refuses the forgery on its own.
REFERRAL_GROUPS = ("triage.intake.referrals", "outcomes.intake.referrals")


def forged_referral() -> tuple[uuid.UUID, Envelope]:
    """A referral.received that passes every contract check: only its provenance is wrong."""
    referral_id = uuid.uuid4()
    event = ReferralReceived(
        referral_id=referral_id, person_id=uuid.uuid4(), programme_id="demo", partner_id="test-gp",
        source=ReferralSource(category="statutory", subcategory="nhs_gp"),
        person=PersonDetails(given_name=FORGED_NAME[0], family_name=FORGED_NAME[1], age_years=70),
        consent=Consent(to_referral=True, to_data_sharing=True, to_contact=True),
        needs=["loneliness"], received_at=datetime.now(UTC),
    )
    envelope = new_envelope(event, source="/services/intake", subject=str(referral_id), correlation_id=uuid.uuid4())
    return referral_id, envelope


async def test_forged_referrals_are_dead_lettered_and_change_nothing_while_a_real_one_flows(system):
    system.start()
    api_key = await system.setup_partner()
    worker_id = await system.add_worker("connector", "21")

    unsigned_id, unsigned = forged_referral()
    # Claims to be intake, signed with a key of the forger's own.
    foreign_id, foreign = forged_referral()
    foreign = EnvelopeSigner("intake", Ed25519PrivateKey.generate()).sign(foreign, REFERRALS)
    # Signed with a real service's real key, but triage does not publish referrals.
    by_triage_id, by_triage = forged_referral()
    by_triage = system.signer("triage").sign(by_triage, REFERRALS)
    forged = {unsigned_id: unsigned, foreign_id: foreign, by_triage_id: by_triage}
    for referral_id, envelope in forged.items():
        await system.produce_raw(system.topics.referrals, envelope.model_dump_json().encode(),
                                 key=str(referral_id).encode(), headers=[("ce_type", b"referral.received")])

    # The real referral, posted alongside: it flows through triage, caseload and outcomes.
    async with httpx.AsyncClient(timeout=10) as http:
        posted = await http.post(
            f"{system.url('intake')}/v1/referrals", headers={"X-API-Key": api_key},
            json={"partner_referral_id": "REAL-1", "programme_id": "demo",
                  "person": {"given_name": "Olive", "family_name": "Realperson", "age_years": 74},
                  "consent": {"to_referral": True, "to_data_sharing": True, "to_contact": True},
                  "referrer": {"source_category": "statutory", "source_subcategory": "nhs_gp"},
                  "needs": ["loneliness"]},
        )
        assert posted.status_code == 201, posted.text
    real_id = uuid.UUID(posted.json()["referral_id"])
    [case] = await system.wait_for(
        "SELECT * FROM caseload.cases WHERE referral_id = $1 AND status = 'assigned'", real_id)
    await system.wait_for("SELECT 1 FROM outcomes.referral_facts WHERE referral_id = $1 AND decision IS NOT NULL",
                          real_id)

    # Every consumer of the referrals topic parked each forgery, once, saying why.
    expected = {unsigned_id: "unsigned", foreign_id: "bad signature", by_triage_id: "wrong signer"}
    for group in REFERRAL_GROUPS:
        dead = await system.read_topic(system.topics.dead_letter(group), min_records=len(forged), timeout_s=60)
        headers = {uuid.UUID(r.key.decode()): {k: v.decode() for k, v in r.headers} for r in dead}
        assert set(headers) == set(forged), group
        # Parked unchanged, so an operator sees exactly what was sent.
        assert all(r.value == forged[uuid.UUID(r.key.decode())].model_dump_json().encode() for r in dead)
        for referral_id, kind in expected.items():
            reason = headers[referral_id]["dlt.reason"]
            assert reason.startswith(f"forged event refused ({kind}): "), (group, reason)
            assert "intake.referrals" in reason and "intake" in reason
            assert not any(name in reason for name in FORGED_NAME)  # no personal data in the reason
            assert headers[referral_id]["dlt.error_type"] == "ForgedEnvelope"
            assert headers[referral_id]["dlt.attempts"] == "1"  # not retried: no crash loop

    forged_ids = list(forged)
    # Nothing was written: no inbox claim, no decision, no case, no report fact, no outgoing event.
    for schema in ("triage", "outcomes"):
        claimed = await system.sql(f"SELECT event_id FROM {schema}.inbox WHERE event_id = ANY($1::uuid[])",
                                   [e.id for e in forged.values()])
        assert claimed == [], schema
    assert await system.sql("SELECT 1 FROM triage.decisions WHERE referral_id = ANY($1::uuid[])", forged_ids) == []
    assert await system.sql("SELECT 1 FROM caseload.cases WHERE referral_id = ANY($1::uuid[])", forged_ids) == []
    assert await system.sql("SELECT 1 FROM outcomes.referral_facts WHERE referral_id = ANY($1::uuid[])",
                            forged_ids) == []
    decisions = await system.events_on(system.topics.triage_decisions, min_records=1)
    assert [e["subject"] for e in decisions] == [str(real_id)]

    # The worker carries the real case's hours only.
    [worker] = await system.sql("SELECT load_hours, open_cases FROM caseload.workers WHERE id = $1",
                                uuid.UUID(worker_id))
    assert (worker["load_hours"], worker["open_cases"]) == (case["expected_weekly_hours"], 1)

    # The outcome funnel counts the one real referral and none of the forgeries.
    async with httpx.AsyncClient(timeout=10) as http:
        funnel = (await http.get(f"{system.url('outcomes')}/v1/reports/funnel", headers=system.staff_headers("manager"),
                                 params={"programme_id": "demo"})).json()
    assert (funnel["referrals"], funnel["people"], funnel["accepted"]) == (1, 1, 1)

    # Monitoring sees the attempt: each consumer counts its forgeries apart from other dead letters.
    async with httpx.AsyncClient(timeout=10) as http:
        for group in REFERRAL_GROUPS:
            metrics = (await http.get(f"{system.url(group.split('.')[0])}/metrics", headers=system.scraper_headers)).text
            counted = f'referrals_events_dead_lettered_total{{consumer="{group}",error_type="ForgedEnvelope"}} 3.0'
            assert counted in metrics, group

    # The forger's personal data reached no log: the records were refused before they were read.
    for service in ("triage", "outcomes"):
        for line in system.log_lines(service):
            assert not any(name in line for name in FORGED_NAME), service
        refused = [json.loads(line) for line in system.log_lines(service) if "event_dead_lettered" in line]
        assert len(refused) == len(forged)


async def test_a_service_refuses_to_start_on_a_placeholder_empty_or_borrowed_signing_key(system):
    """No deployment runs on a key the world knows, or signs with a key that is not its own."""
    placeholders = ",".join(f"{name}=CHANGE_ME" for name in ("intake", "triage", "caseload", "outcomes"))
    refusals = [
        ({"EVENT_SIGNING_KEY": "CHANGE_ME_TO_TRIAGE_EVENT_SIGNING_KEY"}, "EVENT_SIGNING_KEY is a placeholder"),
        ({"EVENT_SIGNING_KEY": ""}, "EVENT_SIGNING_KEY"),
        ({"EVENT_VERIFY_KEYS": placeholders}, "EVENT_VERIFY_KEYS is a placeholder"),
        # Intake's real key handed to triage: triage could then publish referrals as intake.
        ({"EVENT_SIGNING_KEY": system.signing_keys["intake"]},
         "EVENT_SIGNING_KEY is not the key EVENT_VERIFY_KEYS lists for triage"),
    ]
    for attempt, (env, message) in enumerate(refusals, start=1):
        with pytest.raises(RuntimeError, match="exited with code"):
            system.start("triage", extra_env=env, replica=attempt)
        log = (system.log_dir / f"triage-{attempt}.log").read_text()
        assert message in log, log[-3000:]
        assert system.signing_keys["intake"] not in log  # the refusal never prints a key
    # With its own keys it starts.
    system.start("triage")
    assert system.processes["triage"].alive()
