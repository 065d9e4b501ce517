"""API docs: docs/api/ is what the code generates, each AsyncAPI document is valid AsyncAPI 3.0,
and what the documents declare is true of the code (consumers, contracts, dead letters, served routes)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import jsonschema as jsonschema_lib
import pytest
import yaml
from fastapi.testclient import TestClient
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from shared.platform import api_docs, asyncapi
from shared.platform.messaging.dead_letter import ConsumedRecord, dead_letter
from shared.platform.service import create_app
from referrals.cli import main as cli
from referrals.launcher import SERVICES
from shared.schemas import jsonschema, topics
from shared.schemas.envelope import new_envelope
from shared.schemas.events.case import CaseOpened, WorkerRole
from shared.schemas.events.referral import ReferralStatusChanged
from shared.schemas.events.triage import Decision, TriageDecided
from shared.schemas.registry import EVENT_MODELS

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "api"
COMPONENT_KEY = re.compile(r"^[a-zA-Z0-9.\-_]+$")  # AsyncAPI 3.0: keys of components (and, here, of everything)


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    return api_docs.generate(SERVICES)


@pytest.fixture(scope="module")
def docs() -> dict[str, dict]:
    """Each service's AsyncAPI document as committed."""
    return {s: json.loads((DOCS / s / "asyncapi.json").read_text()) for s in SERVICES}


# --------------------------------------------------------------------------- generated files are current


def test_docs_in_the_repository_are_exactly_what_the_code_generates(generated):
    assert DOCS.is_dir(), f"docs/api/ is missing: {api_docs.REGENERATE}"
    committed = {p.relative_to(DOCS).as_posix() for p in DOCS.glob("*/*.json")}
    assert committed == set(generated), f"docs/api/ has other files than the code generates: {api_docs.REGENERATE}"
    assert committed == {f"{s}/{kind}.json" for s in ("intake", "triage", "caseload", "outcomes", "identity")
                         for kind in ("openapi", "asyncapi")}
    for relative, text in generated.items():
        on_disk = (DOCS / relative).read_text()
        if on_disk != text:
            where = api_docs.differences(json.loads(on_disk), json.loads(text))
            pytest.fail(f"docs/api/{relative} is out of date (differs at {', '.join(where)}): {api_docs.REGENERATE}")


def test_files_are_stable_json_sorted_with_indent_2_and_a_trailing_newline(generated):
    for relative, text in generated.items():
        assert text.endswith("}\n") and not text.endswith("\n\n"), relative
        assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n", relative


def test_the_check_names_what_differs_and_write_repairs_it(tmp_path, generated):
    assert api_docs.write(["triage"], tmp_path) == ["triage/openapi.json", "triage/asyncapi.json"]
    assert api_docs.check(["triage"], tmp_path) == []
    assert api_docs.write(["triage"], tmp_path) == []  # nothing to rewrite
    doc = json.loads((tmp_path / "triage/openapi.json").read_text())
    del doc["paths"]["/v1/reviews"]
    (tmp_path / "triage/openapi.json").write_text(json.dumps(doc))
    (tmp_path / "triage/asyncapi.json").unlink()
    (tmp_path / "retired").mkdir()
    (tmp_path / "retired/openapi.json").write_text("{}")
    assert api_docs.check(["triage"], tmp_path) == [
        "docs/api/triage/openapi.json: differs at /paths/~1v1~1reviews",
        "docs/api/triage/asyncapi.json: missing",
        "docs/api/retired/openapi.json: no longer generated",
    ]
    assert sorted(api_docs.write(["triage"], tmp_path)) == [
        "retired/openapi.json", "triage/asyncapi.json", "triage/openapi.json"]
    assert api_docs.check(["triage"], tmp_path) == []
    assert (tmp_path / "triage/asyncapi.json").read_text() == generated["triage/asyncapi.json"]


def test_the_docs_command_passes_on_the_committed_files(capsys):
    assert cli(["docs"]) == 0, capsys.readouterr().out


# --------------------------------------------------------------------------- valid AsyncAPI 3.0


def resolve(doc: dict, ref: str):
    assert ref.startswith("#/"), ref
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def all_refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from all_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from all_refs(item)


@pytest.mark.parametrize("service", SERVICES)
def test_each_asyncapi_document_is_structurally_valid_asyncapi_3(docs, service):
    doc = docs[service]
    assert doc["asyncapi"] == "3.0.0"
    assert doc["info"]["title"] == f"Community connector referrals: {service}"
    assert doc["info"]["version"] == asyncapi.package_version() and doc["info"]["description"]
    assert doc["servers"]["kafka"]["protocol"] == "kafka" and doc["servers"]["kafka"]["host"]
    for ref in all_refs(doc):
        resolve(doc, ref)  # every $ref anywhere resolves
    for section in ("channels", "operations"):
        assert all(COMPONENT_KEY.match(key) for key in doc[section]), doc[section].keys()
    for section, entries in doc["components"].items():
        assert all(COMPONENT_KEY.match(key) for key in entries), section
    for channel_id, channel in doc["channels"].items():
        placeholders = set(re.findall(r"{([^}]+)}", channel["address"]))
        assert placeholders == set(channel.get("parameters", {})), channel_id
        assert channel["messages"], channel_id
        for message in channel["messages"].values():
            assert message["$ref"].startswith("#/components/messages/")
    assert doc["operations"]
    for op_id, operation in doc["operations"].items():
        assert operation["action"] in ("send", "receive"), op_id
        channel_ref = operation["channel"]["$ref"]
        assert channel_ref.startswith("#/channels/")
        resolve(doc, channel_ref)
        assert operation["messages"], op_id
        for message in operation["messages"]:
            # AsyncAPI 3.0: an operation's messages are messages of its own channel.
            assert message["$ref"].startswith(channel_ref + "/messages/"), (op_id, message)
            resolve(doc, message["$ref"])
    for name, message in doc["components"]["messages"].items():
        for part in ("payload", "headers"):
            jsonschema_lib.Draft202012Validator.check_schema(message[part])
        assert message["headers"]["type"] == "object", name
    for name, schema in doc["components"]["schemas"].items():
        jsonschema_lib.Draft202012Validator.check_schema(schema)


def validator_for(doc: dict, message_id: str, part: str = "payload"):
    registry = Registry().with_resource("urn:asyncapi", Resource(contents=doc, specification=DRAFT202012))
    return jsonschema_lib.Draft202012Validator(
        {"$ref": f"urn:asyncapi#/components/messages/{message_id}/{part}"}, registry=registry,
        format_checker=jsonschema_lib.Draft202012Validator.FORMAT_CHECKER)


def envelope_json(payload, **kwargs) -> dict:
    return json.loads(new_envelope(payload, source="/tests", subject="s", correlation_id=uuid.uuid4(),
                                   **kwargs).model_dump_json())


def decided() -> TriageDecided:
    return TriageDecided(referral_id=uuid.uuid4(), person_id=uuid.uuid4(), programme_id="demo",
                         decision=Decision.ACCEPTED, rules=[], ruleset_version="1", decided_at=datetime.now(UTC))


def test_message_payloads_accept_real_events_and_reject_wrong_ones(docs):
    triage = validator_for(docs["triage"], "triage.decided.v1")
    good = envelope_json(decided())
    assert list(triage.iter_errors(good)) == []
    wrong_type = {**good, "type": "case.closed"}
    assert not triage.is_valid(wrong_type)
    missing = {**good, "data": {k: v for k, v in good["data"].items() if k != "programme_id"}}
    assert not triage.is_valid(missing)
    assert not triage.is_valid({**good, "surprise": 1})  # the envelope's attributes are closed

    opened = CaseOpened(case_id=uuid.uuid4(), referral_id=uuid.uuid4(), programme_id="demo", at=datetime.now(UTC),
                        person_id=uuid.uuid4(), priority=2, expected_weekly_hours=1.5, pathway=WorkerRole.CONNECTOR)
    cases = validator_for(docs["caseload"], "case.opened.v1")
    assert list(cases.iter_errors(envelope_json(opened))) == []
    assert not cases.is_valid({**envelope_json(opened), "data": {**envelope_json(opened)["data"], "priority": "high"}})

    status = ReferralStatusChanged(referral_id=uuid.uuid4(), partner_id="gp", status="accepted",
                                   changed_at=datetime.now(UTC))
    traced = envelope_json(status, trace_context={"traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01"})
    assert list(validator_for(docs["intake"], "referral.status_changed.v1").iter_errors(traced)) == []


def inline(node, lookup, depth: int = 0):
    """The schema with every $ref replaced by what it names (siblings of a $ref kept)."""
    assert depth < 60, "recursive schema"
    if isinstance(node, dict):
        if "$ref" in node:
            target = inline(lookup(node["$ref"]), lookup, depth + 1)
            return {**target, **{k: inline(v, lookup, depth + 1) for k, v in node.items() if k != "$ref"}}
        return {k: inline(v, lookup, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [inline(v, lookup, depth + 1) for v in node]
    return node


def test_message_schemas_are_the_recorded_event_contracts(docs):
    recorded = jsonschema.load_snapshots()
    seen = set()
    for doc in docs.values():
        schemas = doc["components"]["schemas"]
        for name, snapshot in recorded.items():
            component = name.removesuffix(".schema.json")
            if component not in schemas:
                continue
            seen.add(component)
            expected = inline({k: v for k, v in snapshot.items() if k != "$defs"},
                              lambda ref, s=snapshot: s["$defs"][ref.removeprefix("#/$defs/")])
            actual = inline(schemas[component], lambda ref, d=doc: resolve(d, ref))
            assert actual == expected, f"{component} in the AsyncAPI document is not the recorded contract"
    # Every contract is documented somewhere, and the envelope in every document.
    assert seen == {n.removesuffix(".schema.json") for n in recorded}
    assert all("envelope.v1" in doc["components"]["schemas"] for doc in docs.values())


# --------------------------------------------------------------------------- declarations are true


def operations(doc: dict, action: str) -> dict[str, dict]:
    return {k: v for k, v in doc["operations"].items() if v["action"] == action}


def address_of(doc: dict, operation: dict) -> str:
    return resolve(doc, operation["channel"]["$ref"])["address"]


def message_names(doc: dict, operation: dict) -> set[str]:
    return {resolve(doc, resolve(doc, m["$ref"])["$ref"])["name"] for m in operation["messages"]}


def test_receive_operations_are_exactly_the_consumer_groups_of_the_system(docs):
    received = {}
    for service, doc in docs.items():
        for operation in operations(doc, "receive").values():
            [group] = operation["bindings"]["kafka"]["groupId"]["enum"]
            assert group.startswith(f"{service}."), (service, group)
            assert group == topics.consumer_group(service, address_of(doc, operation))
            received[group] = message_names(doc, operation)
    assert sorted(received) == sorted(topics.CONSUMER_GROUPS)
    # Spot checks written out by hand.
    assert received["triage.intake.referrals"] == {"referral.received"}
    assert received["caseload.triage.decisions"] == {"triage.decided"}
    # Referral status from four; who holds each case (for the person registry's reads) from opened, assigned,
    # transferred and closed.
    assert received["intake.caseload.cases"] == {"case.assigned", "case.waitlisted", "case.first_contact_made",
                                                 "case.closed", "case.opened", "case.transferred",
                                                 "case.consent_changed"}
    assert received["intake.intake.partner-submissions"] == {"partner-submission"}


def test_the_documented_receive_operations_are_the_handlers_each_service_builds(docs):
    for service, doc in docs.items():
        built = {(s.group, s.topic, s.event_types or (s.record.name,))
                 for s in asyncapi.subscriptions(api_docs.definition_of(service))}
        documented = {(op["bindings"]["kafka"]["groupId"]["enum"][0], address_of(doc, op),
                       tuple(sorted(message_names(doc, op))))
                      for op in operations(doc, "receive").values()}
        assert documented == built, service


def test_everything_received_on_a_topic_is_published_there_by_some_service(docs):
    published: dict[str, set[str]] = {}
    for doc in docs.values():
        for operation in operations(doc, "send").values():
            published.setdefault(address_of(doc, operation), set()).update(message_names(doc, operation))
    for service, doc in docs.items():
        for operation in operations(doc, "receive").values():
            address = address_of(doc, operation)
            if address == topics.PARTNER_SUBMISSIONS:
                continue  # partners publish there, not our services
            missing = message_names(doc, operation) - published.get(address, set())
            assert not missing, f"{service} handles {missing} on {address}, which no service declares it publishes"


def test_every_event_contract_is_published_by_exactly_one_service(docs):
    publishers: dict[str, set[str]] = {}
    for service, doc in docs.items():
        for op_id, operation in operations(doc, "send").items():
            if op_id.startswith("dead-letter."):
                continue
            for name in message_names(doc, operation):
                publishers.setdefault(name, set()).add(service)
    assert set(publishers) == {t for t, _ in EVENT_MODELS}
    assert all(len(services) == 1 for services in publishers.values()), publishers
    assert publishers["referral.received"] == {"intake"} and publishers["triage.decided"] == {"triage"}
    assert publishers["case.offered"] == {"caseload"}
    caseload_sends = {address_of(docs["caseload"], op): message_names(docs["caseload"], op)
                      for k, op in operations(docs["caseload"], "send").items() if not k.startswith("dead-letter.")}
    assert caseload_sends[topics.OFFERS] == {"case.offered"}
    assert operations(docs["outcomes"], "send").keys() == {
        "dead-letter.outcomes.caseload.cases", "dead-letter.outcomes.intake.referrals",
        "dead-letter.outcomes.triage.decisions",
        # Every service reads identity's session revocations (shared/platform/sessions.py).
        "dead-letter.outcomes.identity.sessions",
        # Outcomes keeps a tombstone for each erased person (issue 14).
        "dead-letter.outcomes.intake.erasures"}


def test_the_partner_status_topic_is_a_channel_with_a_partner_id_parameter(docs):
    [channel] = [c for c in docs["intake"]["channels"].values() if "{" in c["address"]]
    assert channel["address"] == "intake.referral-status.{partner_id}"
    assert topics.referral_status_topic("gp-1") == channel["address"].replace("{partner_id}", "gp-1")
    assert set(channel["parameters"]) == {"partner_id"}


async def test_dead_letter_headers_are_those_dead_letter_adds(docs):
    class Producer:
        sent: list = []

        async def send_and_wait(self, topic, value, key=None, headers=None):
            self.sent.append((topic, value, key, headers))

    producer = Producer()
    original = (("ce_type", b"referral.received"), ("correlation_id", str(uuid.uuid4()).encode()))
    record = ConsumedRecord("intake.referrals", 3, 42, b"key", b"{not json", original + (("dlt.reason", b"old"),))
    await dead_letter(producer, "triage.intake.referrals.dead-letter", record, consumer_group="triage.intake.referrals",
                      reason="malformed event", error_type="ValidationError", attempts=1)
    [(topic, value, key, headers)] = producer.sent
    assert (value, key) == (b"{not json", b"key")
    doc = docs["triage"]
    [dlt] = [op for k, op in doc["operations"].items() if k == "dead-letter.triage.intake.referrals"]
    assert address_of(doc, dlt) == topic
    message = resolve(doc, resolve(doc, dlt["messages"][0]["$ref"])["$ref"])
    added = {name for name, _ in headers if name.startswith("dlt.")}
    assert added == set(message["headers"]["properties"]) == set(message["headers"]["required"])
    as_strings = {name: raw.decode() for name, raw in headers}
    assert as_strings["dlt.reason"] == "malformed event"
    validator = validator_for(doc, "dead-letter", "headers")
    assert list(validator.iter_errors(as_strings)) == []
    assert not validator.is_valid({k: v for k, v in as_strings.items() if k != "dlt.attempts"})


# --------------------------------------------------------------------------- served by each service


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_serves_its_documents(service, generated):
    definition = api_docs.definition_of(service)
    client = TestClient(create_app(definition, api_docs._settings()))  # no lifespan: nothing connects
    served = client.get("/asyncapi.json")
    assert served.status_code == 200 and served.headers["content-type"].startswith("application/json")
    assert served.text == (DOCS / service / "asyncapi.json").read_text()
    as_yaml = client.get("/asyncapi.yaml")
    assert as_yaml.status_code == 200 and yaml.safe_load(as_yaml.text) == json.loads(served.text)
    openapi = client.get("/openapi.json").json()
    assert openapi == json.loads((DOCS / service / "openapi.json").read_text())
    assert openapi["info"]["title"] == f"Community connector referrals: {service}"
    assert openapi["info"]["version"] == asyncapi.package_version() != "0.0.0"
    assert len(openapi["info"]["description"]) > 100 and "/asyncapi.json" in openapi["info"]["description"]
    assert client.get("/docs").status_code == 200
    assert not any(path.startswith("/asyncapi") for path in openapi["paths"])
