"""One trace follows a referral from the partner's POST, across each Kafka hop, to the assignment.

The services write their finished spans to JSON-lines files (REFERRALS_TRACE_FILE), which
stand in for a collector; the test rebuilds the chain from parent span ids.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e


def spans_in(directory: Path) -> list[dict]:
    spans = []
    for path in directory.glob("spans-*.jsonl"):
        spans.extend(json.loads(line) for line in path.read_text().splitlines() if line.strip())
    return spans


async def spans_of_trace(directory: Path, trace_id: str, until, timeout_s: float = 30) -> list[dict]:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        spans = [s for s in spans_in(directory) if s["trace_id"] == trace_id]
        if until(spans) or asyncio.get_running_loop().time() > deadline:
            return spans
        await asyncio.sleep(0.25)


def one(spans: list[dict], **match) -> dict:
    found = [s for s in spans if all(s.get(k) == v or s["attributes"].get(k) == v for k, v in match.items())]
    assert len(found) == 1, f"expected one span matching {match}, found {len(found)}: {[s['name'] for s in found]}"
    return found[0]


async def test_one_trace_from_the_partners_post_to_the_assignment(system, tmp_path):
    trace_dir = tmp_path / "traces"
    system.start(extra_env={"REFERRALS_TRACE_FILE": str(trace_dir / "spans-{service}.jsonl")})
    api_key = await system.setup_partner(partner_id="traced-gp")
    await system.add_worker("connector", "21")

    # The partner's own system is traced too: it sends its context, and ours joins its trace.
    trace_id, partner_span = secrets.token_hex(16), secrets.token_hex(8)
    async with httpx.AsyncClient(timeout=10) as http:
        posted = await http.post(
            f"{system.url('intake')}/v1/referrals",
            headers={"X-API-Key": api_key, "traceparent": f"00-{trace_id}-{partner_span}-01"},
            json={"partner_referral_id": "TRACE-1", "programme_id": "demo", "consent": {"to_referral": True},
                  "person": {"given_name": "Ida", "family_name": "Tracey", "age_years": 81}},
        )
        assert posted.status_code == 201, posted.text
        assert posted.headers["traceresponse"].split("-")[1] == trace_id
        correlation_id = posted.json()["correlation_id"]
        referral_id = posted.json()["referral_id"]
        await system.wait_for("SELECT 1 FROM intake.referrals WHERE id = $1 AND status = 'assigned'",
                              uuid.UUID(referral_id))

        def complete(spans):
            return any(s["kind"] == "CONSUMER" and s["attributes"].get("cloudevents.event_type") == "case.assigned"
                       and s["attributes"].get("messaging.consumer.group.name") == "intake.caseload.cases"
                       for s in spans)

        spans = await spans_of_trace(trace_dir, trace_id, complete)

        # Spans from every service that touched the referral, all in the partner's trace.
        assert {s["service"] for s in spans} >= {"referrals-intake", "referrals-triage", "referrals-caseload"}
        post = one(spans, kind="SERVER", name="POST /v1/referrals")
        assert post["parent_span_id"] == partner_span
        assert post["attributes"]["referrals.correlation_id"] == correlation_id
        assert post["attributes"]["http.response.status_code"] == 201

        # intake publishes -> triage consumes and publishes -> caseload consumes and assigns -> intake is told.
        received_out = one(spans, kind="PRODUCER", **{"cloudevents.event_type": "referral.received"})
        assert received_out["parent_span_id"] == post["span_id"]
        received_in = one(spans, kind="CONSUMER", **{"messaging.consumer.group.name": "triage.intake.referrals"})
        assert received_in["parent_span_id"] == received_out["span_id"]
        assert received_in["service"] == "referrals-triage"
        assert received_in["attributes"]["referrals.correlation_id"] == correlation_id
        decided_out = one(spans, kind="PRODUCER", **{"cloudevents.event_type": "triage.decided"})
        assert decided_out["parent_span_id"] == received_in["span_id"]
        decided_in = one(spans, kind="CONSUMER", **{"messaging.consumer.group.name": "caseload.triage.decisions"})
        assert decided_in["parent_span_id"] == decided_out["span_id"]
        assigned_out = one(spans, kind="PRODUCER", **{"cloudevents.event_type": "case.assigned"})
        assert assigned_out["parent_span_id"] == decided_in["span_id"]
        assert assigned_out["service"] == "referrals-caseload"
        told = one(spans, kind="CONSUMER", **{"messaging.consumer.group.name": "intake.caseload.cases",
                                               "cloudevents.event_type": "case.assigned"})
        assert told["parent_span_id"] == assigned_out["span_id"]
        assert all(s["status"] != "ERROR" for s in spans)

    # On the wire: the record carries the producer span as its parent, the envelope the writer's context.
    records = await system.read_topic(system.topics.cases)
    [assigned] = [r for r in records if dict(r.headers).get("ce_type") == b"case.assigned"]
    headers = dict(assigned.headers)
    assert headers["traceparent"].decode().split("-")[1:3] == [trace_id, assigned_out["span_id"]]
    assert json.loads(assigned.value)["traceparent"].split("-")[1:3] == [trace_id, decided_in["span_id"]]

    # Log lines name the trace: from a log line to the trace, and from the trace to the logs.
    for service in ("intake", "triage", "caseload"):
        lines = [json.loads(line) for line in system.log_lines(service) if line.startswith("{")]
        mine = [line for line in lines if line.get("correlation_id") == correlation_id]
        assert mine, f"{service} logged nothing for the referral"
        assert {line.get("trace_id") for line in mine} == {trace_id}, service


async def test_a_request_without_trace_context_starts_a_trace_of_its_own(system, tmp_path):
    trace_dir = tmp_path / "traces"
    system.start("intake", "triage", extra_env={"REFERRALS_TRACE_FILE": str(trace_dir / "spans-{service}.jsonl")})
    api_key = await system.setup_partner(partner_id="untraced-gp")
    async with httpx.AsyncClient(timeout=10) as http:
        traces = set()
        for n in range(2):
            posted = await http.post(
                f"{system.url('intake')}/v1/referrals", headers={"X-API-Key": api_key},
                json={"partner_referral_id": f"U-{n}", "programme_id": "demo", "consent": {"to_referral": True},
                      "person": {"given_name": "Una", "family_name": f"Known{n}", "age_years": 70 + n}},
            )
            assert posted.status_code == 201, posted.text
            traces.add(posted.headers["traceresponse"].split("-")[1])
        health = await http.get(f"{system.url('intake')}/health/ready")
    assert len(traces) == 2  # each request its own trace
    for trace_id in traces:
        spans = await spans_of_trace(trace_dir, trace_id, lambda s: any(
            x["attributes"].get("messaging.consumer.group.name") == "triage.intake.referrals" for x in s))
        post = one(spans, kind="SERVER")
        assert post["parent_span_id"] is None
        decided = one(spans, kind="CONSUMER", **{"messaging.consumer.group.name": "triage.intake.referrals"})
        assert decided["service"] == "referrals-triage"
    # Ready means: database, broker, and each consumer holding its place in its group.
    assert health.status_code == 200
    assert health.json()["checks"] == {
        "database": "ok", "broker": "ok", "consumer intake.intake.partner-submissions": "ok",
        "consumer intake.triage.decisions": "ok", "consumer intake.caseload.cases": "ok",
        # Revoked sign-in sessions, which every service follows.
        "consumer intake.identity.sessions": "ok"}
    # Probes and scrapes are not traced (they would drown the traces that matter).
    assert not [s for s in spans_in(trace_dir) if "/health" in s["name"] or "/metrics" in s["name"]]


async def test_an_offer_accepted_later_is_its_own_trace_linked_to_the_referrals(system, tmp_path):
    trace_dir = tmp_path / "traces"
    system.start("intake", "triage", "caseload",
                 extra_env={"REFERRALS_TRACE_FILE": str(trace_dir / "spans-{service}.jsonl")})
    api_key = await system.setup_partner(partner_id="linked-gp")
    worker_id = await system.add_worker("connector", "21", auto_accept=False)
    async with httpx.AsyncClient(timeout=10) as http:
        posted = await http.post(
            f"{system.url('intake')}/v1/referrals", headers={"X-API-Key": api_key},
            json={"partner_referral_id": "LINK-1", "programme_id": "demo", "consent": {"to_referral": True},
                  "person": {"given_name": "Len", "family_name": "Linker", "age_years": 77}})
        assert posted.status_code == 201, posted.text
        referral_trace = posted.headers["traceresponse"].split("-")[1]
        [offer] = await system.wait_for(
            "SELECT o.id FROM caseload.offers o JOIN caseload.cases c ON c.id = o.case_id "
            "WHERE c.referral_id = $1 AND o.status = 'open'", uuid.UUID(posted.json()["referral_id"]))
        # The worker accepts hours later, from their phone: a request of its own, in a trace of its own.
        accepted = await http.post(f"{system.url('caseload')}/v1/offers/{offer['id']}/accept",
                                   headers=system.staff_headers("connector", subject=worker_id, worker_id=worker_id))
        assert accepted.status_code == 200, accepted.text
        accept_trace = accepted.headers["traceresponse"].split("-")[1]
    assert accept_trace != referral_trace

    spans = await spans_of_trace(trace_dir, accept_trace, lambda s: any(
        x["kind"] == "PRODUCER" and x["attributes"].get("cloudevents.event_type") == "case.assigned" for x in s))
    accept = one(spans, kind="SERVER", service="referrals-caseload")
    assert accept["name"] == "POST /v1/offers/{offer_id}/accept"
    # ...linked to the trace the referral began in, so the journey can be followed from either end.
    assert [link["trace_id"] for link in accept["links"]] == [referral_trace]
    assigned = one(spans, kind="PRODUCER", **{"cloudevents.event_type": "case.assigned"})
    assert assigned["parent_span_id"] == accept["span_id"]
    # The offer itself was made in the referral's trace.
    earlier = await spans_of_trace(trace_dir, referral_trace, lambda s: any(
        x["attributes"].get("cloudevents.event_type") == "case.offered" for x in s))
    assert [s for s in earlier if s["kind"] == "PRODUCER" and s["attributes"]["cloudevents.event_type"] == "case.offered"]
