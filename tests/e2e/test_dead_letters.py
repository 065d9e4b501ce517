"""Dead letters operators can act on: kept in the service's database, listed, inspected, replayed, discarded.

A referral triage cannot handle (a fault injected into its handler, as a bug would) is parked. Once the
fault is mended (triage restarted without it), replaying it, twice, decides the referral once.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest

from shared.schemas.envelope import new_envelope
from shared.schemas.events.common import ReferralSource
from shared.schemas.events.referral import Consent, ReferralReceivedV2
from shared.schemas.topics import REFERRALS

pytestmark = pytest.mark.e2e

TRIAGE_GROUP = "triage.intake.referrals"


def referral_received(referral_id: uuid.UUID) -> ReferralReceivedV2:
    return ReferralReceivedV2(
        referral_id=referral_id, person_id=uuid.uuid4(), programme_id="demo", partner_id="p",
        source=ReferralSource(category="self"), consent=Consent(to_referral=True, to_data_sharing=True,
                                                                to_contact=True),
        received_at=datetime.now(UTC), age_years=70,
    )


async def publish_referral(system, referral_id: uuid.UUID) -> uuid.UUID:
    envelope = new_envelope(referral_received(referral_id), source="/tests", subject=str(referral_id),
                            correlation_id=uuid.uuid4())
    signed = system.signer("intake").sign(envelope, REFERRALS)
    await system.produce_raw(system.topics.referrals, signed.model_dump_json().encode(), key=str(referral_id).encode(),
                             headers=[("ce_type", signed.type.encode())])
    return signed.id


def cli(system, *args: str) -> subprocess.CompletedProcess:
    env = {"AUTH_SECRET": system.secret, "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "referrals.cli", "dead-letters",
                           "--service-url", f"triage={system.url('triage')}", *args],
                          capture_output=True, text=True, timeout=60, env=env)


async def test_a_dead_letter_replayed_after_its_cause_is_mended_is_applied_once(system):
    system.start("triage", extra_env={"REFERRALS_FAILURES": f"{TRIAGE_GROUP}.handler"})
    first, second = uuid.uuid4(), uuid.uuid4()
    first_event = await publish_referral(system, first)
    await publish_referral(system, second)

    # Parked after its retries, and kept in triage's own database (not only on the topic).
    rows = await system.wait_for("SELECT id, event_id, status, reason, attempts FROM triage.dead_letters "
                                 "ORDER BY failed_at", predicate=lambda rows: len(rows) == 2)
    assert [r["status"] for r in rows] == ["dead", "dead"]
    assert all("injected failure" in r["reason"] and r["attempts"] == 3 for r in rows)
    first_letter = next(r["id"] for r in rows if r["event_id"] == str(first_event))
    second_letter = next(r["id"] for r in rows if r["id"] != first_letter)
    assert await system.sql("SELECT 1 FROM triage.decisions") == []
    dead = await system.read_topic(system.topics.dead_letter(TRIAGE_GROUP), min_records=2)
    assert len(dead) == 2  # the topic still has them too, for whoever reads it with a Kafka client

    operator, admin = system.staff_headers("operator", subject="op-1"), system.staff_headers("admin", subject="ad-1")
    async with httpx.AsyncClient(base_url=system.url("triage"), timeout=20) as http:
        listed = await http.get("/v1/dead-letters", headers=operator)
        assert listed.status_code == 200, listed.text
        assert {d["id"] for d in listed.json()} == {str(first_letter), str(second_letter)}
        assert all("payload" not in d and "value" not in d for d in listed.json())
        assert (await http.get("/v1/dead-letters", headers=system.staff_headers("coordinator"))).status_code == 403

        # The payload may name a person: an admin's to read, and the read is logged; an operator's is refused.
        assert (await http.get(f"/v1/dead-letters/{first_letter}/payload", headers=operator)).status_code == 403
        payload = await http.get(f"/v1/dead-letters/{first_letter}/payload", headers=admin)
        assert payload.status_code == 200, payload.text
        assert payload.json()["payload"]["data"]["referral_id"] == str(first)

    # The cause is mended: triage runs again without the fault.
    system.stop("triage")
    system.start("triage")
    async with httpx.AsyncClient(base_url=system.url("triage"), timeout=20) as http:
        for _ in range(2):  # replayed twice...
            replayed = await http.post(f"/v1/dead-letters/{first_letter}/replay", headers=operator)
            assert replayed.status_code == 200, replayed.text
        assert replayed.json()["replays"] == 2
        await system.wait_for("SELECT 1 FROM triage.decisions WHERE referral_id = $1", first)
        # ...the second delivery reaches the consumer and its inbox absorbs it.
        await system.wait_for("SELECT 1", predicate=lambda _: any(
            '"event_already_handled"' in line for line in system.log_lines("triage")))

        # The other by the command line, with every dead letter still waiting.
        done = cli(system, "replay", "triage", "--all")
        assert done.returncode == 0, done.stderr
        assert str(second_letter) in done.stdout and str(first_letter) not in done.stdout
        await system.wait_for("SELECT 1 FROM triage.decisions WHERE referral_id = $1", second)

        # Discarded with a reason: kept, never replayed.
        discarded = await http.post(f"/v1/dead-letters/{second_letter}/discard", headers=operator,
                                    json={"reason": "duplicate of a referral sent again by the partner"})
        assert discarded.status_code == 204, discarded.text
        refused = await http.post(f"/v1/dead-letters/{second_letter}/replay", headers=operator)
        assert refused.status_code == 409
        shown = (await http.get(f"/v1/dead-letters/{first_letter}", headers=operator)).json()

    # One effect each: one decision, one inbox claim, one triage.decided in the outbox.
    decisions = await system.sql("SELECT referral_id FROM triage.decisions WHERE referral_id = ANY($1)",
                                 [first, second])
    assert sorted(r["referral_id"] for r in decisions) == sorted([first, second])
    claims = await system.sql("SELECT event_id FROM triage.inbox WHERE consumer = $1", TRIAGE_GROUP)
    assert len(claims) == 2
    decided = await system.sql("SELECT message_key FROM triage.outbox WHERE event_type = 'triage.decided'")
    assert sorted(r["message_key"] for r in decided) == sorted([str(first), str(second)])

    # Every action is in the dead letter's history, under who did it.
    assert [(h["action"], h["actor"]) for h in shown["history"]] == [
        ("payload_read", "ad-1"), ("replayed", "op-1"), ("replayed", "op-1")]
    assert shown["status"] == "replayed" and shown["replays"] == 2
    listing = cli(system, "--json", "list", "--status", "all")
    assert listing.returncode == 0, listing.stderr
    assert {(d["id"], d["status"]) for d in json.loads(listing.stdout)} == {
        (str(first_letter), "replayed"), (str(second_letter), "discarded")}
    actions = await system.sql("SELECT action, actor, note FROM triage.dead_letter_actions WHERE dead_letter_id = $1",
                               second_letter)
    assert [(a["action"], a["actor"]) for a in actions] == [("replayed", "referrals-cli"), ("discarded", "op-1")]
    assert actions[1]["note"] == "duplicate of a referral sent again by the partner"
    # The history is evidence: the database refuses to rewrite it.
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError, match="append-only"):
        await system.sql("UPDATE triage.dead_letter_actions SET actor = 'someone else'")
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError, match="append-only"):
        await system.sql("DELETE FROM triage.dead_letter_actions")
