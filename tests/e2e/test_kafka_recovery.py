"""docs/recovery.md's procedure for a Kafka incident with the topics lost, run on the embedded broker.

The system has a referral decided and assigned and a dead letter parked; its broker is replaced by an
empty one at the same address; the services are restarted as the procedure says. Nothing is lost (the
referral, the case, the dead letter), nothing is applied twice (one case, the same load), and new
referrals flow again.
"""

from __future__ import annotations

import dataclasses
import uuid

import httpx
import pytest

from referrals.embedded import EmbeddedKafka, free_port
from referrals.launcher import SERVICES
from tests.e2e.test_fault_tolerance import post_referral
from tests.support.system import new_system

pytestmark = pytest.mark.e2e

TRIAGE_GROUP = "triage.intake.referrals"
MALFORMED = b"{not an event"


async def malformed_on(system) -> list:
    """The malformed record, if the broker has it. On the new broker the topic may not be there yet (the
    services' clients re-create it when they next ask for metadata): then nothing of the old one is either."""
    try:
        records = await system.read_topic(system.topics.referrals, timeout_s=5)
    except AssertionError as missing:  # read_topic's "topic ... not found"
        assert "not found" in str(missing)
        return []
    return [r for r in records if r.value == MALFORMED]


@pytest.fixture
async def broker(tmp_path):
    kafka = EmbeddedKafka(free_port(), log_path=tmp_path / "broker.log")
    kafka.start()
    yield kafka
    kafka.stop()


@pytest.fixture
async def system_on_own_broker(infrastructure, broker, tmp_path):
    """The five services on a broker of this test's own, which it may lose (the session's broker stays)."""
    infra = dataclasses.replace(infrastructure, bootstrap_servers=broker.bootstrap_servers, embedded_broker=True,
                                _stops=[])
    system = await new_system(infra, tmp_path / "logs")
    yield system
    for process in system.processes.values():
        process.stop(15)


async def test_the_topics_lost_procedure_recovers_without_loss_or_repeats(system_on_own_broker, broker):
    system = system_on_own_broker
    system.start()
    api_key = await system.setup_partner()
    worker = uuid.UUID(await system.add_worker("connector", "21"))
    before = await post_referral(system, api_key, "KAFKA-LOST-1")
    [case] = await system.wait_for("SELECT id, expected_weekly_hours FROM caseload.cases "
                                   "WHERE referral_id = $1 AND status = 'assigned'", before)
    await system.produce_raw(system.topics.referrals, MALFORMED, key=b"k")
    [dead] = await system.wait_for("SELECT id FROM triage.dead_letters")
    await system.wait_for("SELECT 1 FROM intake.referrals WHERE id = $1 AND status = 'assigned'", before)

    # The incident: the broker comes back empty at the same address. The running services' clients re-create
    # topics as soon as they ask for metadata (Tansu creates any topic a client names), so the loss shows in the
    # records: the malformed one sent above, which no outbox holds and no relay republishes, is gone.
    assert await malformed_on(system)
    broker.stop()
    broker.start()
    assert not await malformed_on(system)

    # The procedure: restart every service (docs/recovery.md, "Kafka: topics lost", step 2).
    for name in SERVICES:
        system.stop(name)
    system.start()

    # Step 3: the relays republished what they had published, and the consumers absorbed the repeats.
    await system.wait_for("SELECT 1", predicate=lambda _: any(
        '"outbox_republishing_after_broker_epoch_change"' in line for line in system.log_lines("intake")),
        timeout_s=180)
    await system.wait_for("SELECT 1", predicate=lambda _: any(
        '"event_already_handled"' in line for line in system.log_lines("caseload")), timeout_s=180)

    # Nothing lost, nothing twice: the referral is assigned, to one case, and the worker's load is that case's.
    cases = await system.sql("SELECT id FROM caseload.cases WHERE referral_id = $1", before)
    assert [c["id"] for c in cases] == [case["id"]]
    [load] = await system.sql("SELECT load_hours FROM caseload.workers WHERE id = $1", worker)
    assert load["load_hours"] == case["expected_weekly_hours"]
    [decisions] = await system.sql("SELECT count(*) AS n FROM triage.decisions WHERE referral_id = $1", before)
    assert decisions["n"] == 1
    async with httpx.AsyncClient(base_url=system.url("intake"), timeout=20) as http:
        status = await http.get(f"/v1/referrals/{before}", headers={"X-API-Key": api_key})
    assert [s["status"] for s in status.json()["timeline"]] == ["received", "accepted", "assigned"]

    # Step 5: the dead letter outlived its topic.
    async with httpx.AsyncClient(base_url=system.url("triage"), timeout=20) as http:
        listed = await http.get("/v1/dead-letters", headers=system.staff_headers("operator"))
    assert [d["id"] for d in listed.json()] == [str(dead["id"])]

    # And the system works on: a new referral is decided and assigned on the new broker.
    after = await post_referral(system, api_key, "KAFKA-LOST-2")
    await system.wait_for("SELECT 1 FROM caseload.cases WHERE referral_id = $1 AND status = 'assigned'", after)
