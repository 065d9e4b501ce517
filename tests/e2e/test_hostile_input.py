"""Hostile and broken input to every route of every service, and to the partners' ingress topic:
a clear 4xx every time, never a 5xx, and nothing stored beyond the limits."""

from __future__ import annotations

import json
import re
import uuid

import httpx
import pytest

from shared.platform.input_limits import DEFAULT_BODY_LIMIT, MIB

pytestmark = pytest.mark.e2e
SERVICES = ("intake", "triage", "caseload", "outcomes", "identity")
NUL = "\u0000"
DEEP = b"[" * 20_000 + b"]" * 20_000
OVERSIZED = b'{"a": "' + b"x" * (6 * MIB) + b'"}'  # over every route's limit, the batch files' 5 MiB included


def referral(**person) -> dict:
    return {"programme_id": "demo", "consent": {"to_referral": True},
            "person": {"given_name": "Hostile", "family_name": "Input", "age_years": 70, **person}}


def _operations(spec: dict):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


async def test_every_route_answers_hostile_input_with_a_4xx(shared_system):
    system = shared_system
    key = await system.setup_partner(partner_id="gp-hostile")
    headers = {**system.staff_headers("admin"), "X-API-Key": key}
    answers: list[tuple[str, str, str, int]] = []
    async with httpx.AsyncClient(timeout=60) as http:
        for service in SERVICES:
            base = system.url(service)
            spec = (await http.get(f"{base}/openapi.json")).json()
            for path, method, operation in _operations(spec):
                if path.startswith(("/health", "/metrics")):
                    continue
                sane = _fill(path, str(uuid.uuid4()))
                queries = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
                attempts: list[tuple[str, dict]] = []
                if "{" in path:
                    attempts.append(("path NUL", {"url": base + _fill(path, "x%00y")}))
                for name in queries:
                    attempts.append((f"query {name} NUL", {"url": f"{base}{sane}", "params": {name: f"a{NUL}b"}}))
                if method != "get":
                    attempts += [
                        ("json NUL", {"url": base + sane, "json": referral(given_name=f"Ho{NUL}stile")}),
                        ("form NUL", {"url": base + sane, "data": {"given_name": f"Ho{NUL}stile",
                                                                   "reference": NUL}}),
                        ("deep json", {"url": base + sane, "content": DEEP,
                                       "headers": {"content-type": "application/json"}}),
                        ("oversized", {"url": base + sane, "content": OVERSIZED,
                                       "headers": {"content-type": "application/json"}}),
                    ]
                for label, request in attempts:
                    extra = request.pop("headers", {})
                    response = await http.request(method.upper(), headers={**headers, **extra}, **request)
                    answers.append((service, f"{method.upper()} {path}", label, response.status_code))
    server_errors = [a for a in answers if a[3] >= 500]
    assert server_errors == []
    assert len(answers) > 80  # every service's routes were reached, not a handful
    oversized = [a for a in answers if a[2] == "oversized"]
    assert oversized and all(status == 413 for *_, status in oversized)
    stored = await system.sql("SELECT max(octet_length(body)) AS largest FROM intake.submissions")
    assert (stored[0]["largest"] or 0) <= DEFAULT_BODY_LIMIT
    files = await system.sql("SELECT max(octet_length(content)) AS largest FROM intake.batches")
    assert (files[0]["largest"] or 0) <= 5 * MIB


async def test_the_partners_ingress_topic_dead_letters_hostile_records_and_stores_nothing_oversized(shared_system):
    system = shared_system
    key = await system.setup_partner(partner_id="kafka-hostile")
    topic = system.topics.partner_submissions
    headers = [("partner-id", b"kafka-hostile"), ("api-key", key.encode())]
    records = {
        b"H-NUL": json.dumps(referral(given_name=f"Ho{NUL}stile")).encode(),
        b"H-DEEP": DEEP,
        b"H-BIG": b'{"a": "' + b"x" * (DEFAULT_BODY_LIMIT + 1) + b'"}',
        b"H-NOTJSON": b"\xff\xfe not json",
    }
    for record_key, value in records.items():
        await system.produce_raw(topic, value, key=record_key, headers=headers)
    await system.produce_raw(topic, json.dumps(referral()).encode(), key=b"H-OK", headers=headers)

    dead = await system.read_topic(system.topics.dead_letter("intake.intake.partner-submissions"),
                                   min_records=len(records), timeout_s=60)
    reasons = {r.key: dict(r.headers)["dlt.reason"].decode() for r in dead if r.key in records}
    assert set(reasons) == set(records)
    assert "control characters" in reasons[b"H-NUL"] and "nested" in reasons[b"H-DEEP"]
    assert "at most" in reasons[b"H-BIG"]
    accepted = await system.wait_for("SELECT id FROM intake.referrals WHERE partner_id = 'kafka-hostile'")
    assert len(accepted) == 1  # the good record after the bad ones: the consumer kept going
    stored = await system.sql("SELECT max(octet_length(body)) AS largest FROM intake.submissions "
                              "WHERE channel = 'partner_kafka'")
    assert stored[0]["largest"] <= DEFAULT_BODY_LIMIT
