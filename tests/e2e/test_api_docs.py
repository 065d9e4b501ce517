"""The running services serve the generated API docs, and every event really on the topics after a
referral's whole journey is declared, with its headers and payload, in its publisher's AsyncAPI document."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import httpx
import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from referrals.launcher import SERVICES

pytestmark = pytest.mark.e2e
DOCS = Path(__file__).resolve().parents[2] / "docs" / "api"
PARTNER = "docs-gp"


def resolve(doc: dict, ref: str):
    node = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def declared_sends(doc: dict) -> list[tuple[re.Pattern, set[str]]]:
    """(topic pattern, component message ids) of each send operation; `{parameter}` matches one name."""
    sends = []
    for operation in doc["operations"].values():
        if operation["action"] != "send":
            continue
        address = resolve(doc, operation["channel"]["$ref"])["address"]
        pattern = re.compile("^" + "[^.]+".join(map(re.escape, re.split(r"{[^}]+}", address))) + "$")
        ids = {resolve(doc, m["$ref"])["$ref"].removeprefix("#/components/messages/") for m in operation["messages"]}
        sends.append((pattern, ids))
    return sends


def validator(doc: dict, message_id: str, part: str) -> jsonschema.Draft202012Validator:
    registry = Registry().with_resource("urn:asyncapi", Resource(contents=doc, specification=DRAFT202012))
    return jsonschema.Draft202012Validator({"$ref": f"urn:asyncapi#/components/messages/{message_id}/{part}"},
                                           registry=registry,
                                           format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


async def test_served_docs_and_every_event_on_the_wire_is_declared_by_its_publisher(system):
    system.start()
    docs = {s: json.loads((DOCS / s / "asyncapi.json").read_text()) for s in SERVICES}
    async with httpx.AsyncClient(timeout=15) as http:
        for service in SERVICES:
            served = await http.get(f"{system.url(service)}/asyncapi.json")
            assert served.status_code == 200
            assert served.text == (DOCS / service / "asyncapi.json").read_text(), f"{service} serves other AsyncAPI"
            openapi = await http.get(f"{system.url(service)}/openapi.json")
            assert openapi.json() == json.loads((DOCS / service / "openapi.json").read_text()), service

        # One referral through to assignment, and a short case life to closure.
        key = await system.setup_partner(partner_id=PARTNER)
        await system.add_worker("connector", "21")
        created = await http.post(f"{system.url('intake')}/v1/referrals", headers={"X-API-Key": key}, json={
            "partner_referral_id": "DOCS-1", "programme_id": "demo", "consent": {"to_referral": True},
            "person": {"given_name": "Dora", "family_name": "Docs", "age_years": 77}})
        assert created.status_code == 201, created.text
        referral_id = uuid.UUID(created.json()["referral_id"])
        [case] = await system.wait_for(
            "SELECT id, worker_id FROM caseload.cases WHERE referral_id = $1 AND status = 'assigned'", referral_id)
        case_url = f"{system.url('caseload')}/v1/cases/{case['id']}"
        worker = system.staff_headers("connector", worker_id=str(case["worker_id"]))

        async def post(path: str, body: dict) -> dict:
            response = await http.post(case_url + path, headers=worker, json=body)
            assert response.status_code in (200, 201), f"{path}: {response.text}"
            return response.json()

        await post("/contacts", {"kind": "phone", "minutes": 20})
        await post("/measures", {"instrument": "ucla3", "timepoint": "baseline", "items": [3, 3, 2]})
        goal = await post("/goals", {"description": "Join a walking group"})
        await post(f"/goals/{goal['goal_id']}/progress", {"progress": "achieved"})
        signpost = await post("/signposts", {"destination": "Walking group", "category": "physical activity"})
        await post(f"/signposts/{signpost['signpost_id']}/take-up", {"taken_up": True})
        await post("/unmet-needs", {"need": "befriending at weekends"})
        await post("/close", {"reason": "planned_end", "measures": [
            {"instrument": "ucla3", "timepoint": "end", "items": [2, 1, 1]}]})
    await system.wait_for("SELECT 1 FROM intake.referrals WHERE id = $1 AND status = 'closed'", referral_id)

    # A member of staff signs in and out: identity's revocation goes on the wire too.
    async with httpx.AsyncClient(base_url=system.url("identity"), timeout=15) as identity:
        account = {"name": "Docs", "email": "docs@staff.example.org", "roles": ["coordinator"],
                   "password": "a long docs passphrase"}
        assert (await identity.post("/v1/accounts", headers=system.staff_headers("admin"), json=account)).status_code == 201
        signed_in = await identity.post("/v1/sessions", json={"email": account["email"], "password": account["password"]})
        token = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        assert (await identity.delete("/v1/sessions/current", headers=token)).status_code == 204

    t = system.topics
    records = []
    for topic in (t.referrals, t.triage_decisions, t.offers, t.referral_status(PARTNER), t.sessions):
        records += await system.read_topic(topic, min_records=1)
    for _ in range(50):  # the relay publishes a moment after commit
        on_cases = await system.read_topic(t.cases, timeout_s=2)
        if any(json.loads(r.value)["type"] == "case.closed" for r in on_cases):
            break
    records += on_cases

    observed = set()
    for record in records:
        envelope = json.loads(record.value)
        base_topic = record.topic.removeprefix(t.prefix)
        publisher = envelope["source"].removeprefix("/services/")
        message_id = f"{envelope['type']}.v{envelope['schemaversion']}"
        doc = docs[publisher]
        declared = [ids for pattern, ids in declared_sends(doc) if pattern.match(base_topic)]
        assert any(message_id in ids for ids in declared), (
            f"{publisher} published {message_id} to {base_topic}, which its AsyncAPI document does not declare")
        problems = [e.message for e in validator(doc, message_id, "payload").iter_errors(envelope)]
        assert not problems, (message_id, problems)
        headers = {name: value.decode() for name, value in record.headers}
        documented = validator(doc, message_id, "headers")
        assert set(headers) <= set(resolve(doc, f"#/components/messages/{message_id}/headers")["properties"]), headers
        assert not [e.message for e in documented.iter_errors(headers)], (message_id, headers)
        assert record.key.decode() == envelope["subject"]
        observed.add((base_topic, envelope["type"]))

    assert {
        ("intake.referrals", "referral.received"),
        ("triage.decisions", "triage.decided"),
        ("caseload.cases", "case.opened"),
        ("caseload.cases", "case.offered"),
        ("caseload.offers", "case.offered"),
        ("caseload.cases", "case.assigned"),
        ("caseload.cases", "case.contact_recorded"),
        ("caseload.cases", "case.goal_set"),
        ("caseload.cases", "case.signposted"),
        ("caseload.cases", "case.measure_recorded"),
        ("caseload.cases", "case.closed"),
        (f"intake.referral-status.{PARTNER}", "referral.status_changed"),
        ("identity.sessions", "identity.session_revoked"),
    } <= observed, observed
