"""A partner's Kafka submission, parked, replayed once its cause is mended: as the partner it was authenticated
as, though its API key was never kept; and one that failed authentication is never replayed.

The partner sends a referral to a programme it may not use yet. Replayed before that is mended, it fails again;
once an admin configures the programme and allows the partner it, replayed twice, it is one referral.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import httpx
import pytest

pytestmark = pytest.mark.e2e

GROUP = "intake.intake.partner-submissions"


def referral(family: str) -> dict:
    return {"programme_id": "later", "consent": {"to_referral": True},
            "person": {"given_name": "Test", "family_name": family, "date_of_birth": "1950-06-01",
                       "postcode": "E8 1DY"}}


def cli(system, *args: str) -> subprocess.CompletedProcess:
    env = {"AUTH_SECRET": system.secret, "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "referrals.cli", "dead-letters",
                           "--service-url", f"intake={system.url('intake')}", *args],
                          capture_output=True, text=True, timeout=60, env=env)


async def test_a_partners_parked_submission_is_replayed_as_that_partner_once_mended(system):
    system.start("intake")
    api_key = await system.setup_partner(partner_id="kafka-gp")  # may refer to "demo" only, for now
    topic = system.topics.partner_submissions
    await system.produce_raw(topic, json.dumps(referral("Laterby")).encode(), key=b"KG-1",
                             headers=[("partner-id", b"kafka-gp"), ("api-key", api_key.encode())])
    # Claims to be the same partner, with a key that is not theirs.
    await system.produce_raw(topic, json.dumps(referral("Forgewell")).encode(), key=b"KG-2",
                             headers=[("partner-id", b"kafka-gp"), ("api-key", b"rk_forged_key")])

    rows = await system.wait_for("SELECT id, message_key, reason, headers, value FROM intake.dead_letters "
                                 "WHERE consumer_group = $1", GROUP, predicate=lambda rows: len(rows) == 2)
    mendable = next(r for r in rows if r["message_key"] == b"KG-1")
    forged = next(r for r in rows if r["message_key"] == b"KG-2")
    assert "programme_id" in mendable["reason"] and forged["reason"].startswith("authentication failed")
    for row in rows:  # neither the API key nor the person is kept in the clear
        kept = {name: base64.b64decode(value) for name, value in json.loads(row["headers"])}
        assert kept["api-key"] == b"[redacted]" and api_key.encode() not in row["value"]
        assert row["value"].startswith(b"sealed:v1:") and b"Laterby" not in row["value"]

    operator = system.staff_headers("operator", subject="op-1")
    admin = system.staff_headers("admin", subject="ad-1")
    async with httpx.AsyncClient(base_url=system.url("intake"), timeout=30) as http:
        # Replayed before the cause is mended: it fails again, says why, and waits.
        early = await http.post(f"/v1/dead-letters/{mendable['id']}/replay", headers=operator)
        assert early.status_code == 409 and "failed again" in early.json()["detail"], early.text
        assert "programme_id" in early.json()["detail"]

        # Mended: the programme is configured, and the partner may refer to it.
        configured = await http.put("/v1/programmes/later", headers=admin, json={"name": "Programme later"})
        assert configured.status_code == 200, configured.text
        allowed = await http.put("/v1/partners/kafka-gp/programmes", headers=admin,
                                 json={"allowed_programmes": ["demo", "later"]})
        assert allowed.status_code == 200, allowed.text
        for _ in range(2):  # replayed twice...
            replayed = await http.post(f"/v1/dead-letters/{mendable['id']}/replay", headers=operator)
            assert replayed.status_code == 200, replayed.text
        assert replayed.json()["replays"] == 3
        shown = (await http.get(f"/v1/dead-letters/{mendable['id']}", headers=operator)).json()

        # ...and one that never authenticated is refused, by the admin API and the command line alike.
        refused = await http.post(f"/v1/dead-letters/{forged['id']}/replay", headers=operator)
        assert refused.status_code == 409 and "never authenticated" in refused.json()["detail"], refused.text
    by_cli = cli(system, "replay", "intake", str(forged["id"]))
    assert by_cli.returncode == 1 and "never authenticated" in by_cli.stderr, by_cli.stderr

    # ...one referral, the partner's, under its reference, told once.
    [made] = await system.sql("SELECT id, partner_id, programme_id, partner_referral_id, channel FROM intake.referrals")
    assert (made["partner_id"], made["programme_id"], made["partner_referral_id"], made["channel"]) == (
        "kafka-gp", "later", "KG-1", "partner_kafka")
    received = await system.sql("SELECT 1 FROM intake.outbox WHERE event_type LIKE 'referral.received%'")
    assert len(received) == 1

    # Every replay is in the history, under who asked, with what came of it.
    assert shown["status"] == "replayed"
    history = [(h["action"], h["actor"]) for h in shown["history"]]
    assert history == [("replayed", "op-1"), ("failed_again", GROUP), ("replayed", "op-1"), ("replayed", "op-1")]
    notes = [h["note"] for h in shown["history"]]
    assert notes[2] == f"submitted again as partner kafka-gp: referral {made['id']} received"
    assert notes[3].endswith("already received (this replay changed nothing)")
    refusals = await system.sql("SELECT action, actor FROM intake.dead_letter_actions WHERE dead_letter_id = $1",
                                forged["id"])
    assert [(r["action"], r["actor"]) for r in refusals] == [("replay_refused", "op-1"), ("replay_refused", "referrals-cli")]
    [still] = await system.sql("SELECT status, replays FROM intake.dead_letters WHERE id = $1", forged["id"])
    assert (still["status"], still["replays"]) == ("dead", 0)
