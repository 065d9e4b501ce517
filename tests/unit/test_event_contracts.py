"""Event contracts: recorded JSON Schemas, and the check that stops incompatible changes."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from shared.schemas import jsonschema
from shared.schemas.envelope import new_envelope
from shared.schemas.events.triage import Decision, TriageDecided
from shared.schemas.registry import EVENT_MODELS, InvalidEventData, UnknownEventType, parse_envelope


def test_every_event_has_a_recorded_schema_and_the_models_still_match_it():
    recorded = jsonschema.load_snapshots()
    current = jsonschema.generate()
    assert set(current) == set(recorded), "run `referrals schemas --write` to record new event versions"
    for name, schema in current.items():
        problems = jsonschema.incompatibilities(recorded[name], schema)
        assert not problems, f"{name} changed incompatibly; publish a new schema version instead: {problems}"
        assert schema == recorded[name], f"{name} changed compatibly; record it with `referrals schemas --write`"


def test_every_registered_event_is_past_tense_and_versioned():
    for (event_type, version), model in EVENT_MODELS.items():
        assert version >= 1 and model.schema_version == version
        words = event_type.split(".")[-1].split("_")
        past = {"made", "sent", "held", "set", "put"}
        assert any(w.endswith("ed") or w in past for w in words), event_type


@pytest.fixture
def schema():
    return copy.deepcopy(jsonschema.generate()["triage.decided.v1.schema.json"])


def test_removing_a_field_is_incompatible(schema):
    changed = copy.deepcopy(schema)
    del changed["properties"]["reason_code"]
    assert jsonschema.incompatibilities(schema, changed) == ["$.reason_code: removed"]


def test_retyping_a_field_is_incompatible(schema):
    changed = copy.deepcopy(schema)
    changed["properties"]["ruleset_version"] = {"type": "integer"}
    assert jsonschema.incompatibilities(schema, changed) == [
        "$.ruleset_version: type changed from string to integer"
    ]


def test_a_new_required_field_is_incompatible_but_a_new_optional_one_is_not(schema):
    optional = copy.deepcopy(schema)
    optional["properties"]["site"] = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
    assert jsonschema.incompatibilities(schema, optional) == []
    required = copy.deepcopy(optional)
    required["required"].append("site")
    assert jsonschema.incompatibilities(schema, required) == ["$.site: now required"]


def test_taking_an_allowed_value_away_is_incompatible_but_adding_one_is_not(schema):
    added = copy.deepcopy(schema)
    added["$defs"]["Decision"]["enum"].append("parked")
    assert jsonschema.incompatibilities(schema, added) == []
    removed = copy.deepcopy(schema)
    removed["$defs"]["Decision"]["enum"].remove("redirected")
    [problem] = jsonschema.incompatibilities(schema, removed)
    assert problem.startswith("$.decision: type changed")


def test_nested_changes_are_found(schema):
    changed = copy.deepcopy(schema)
    del changed["$defs"]["RuleOutcome"]["properties"]["explanation"]
    assert jsonschema.incompatibilities(schema, changed) == ["$.rules[].explanation: removed"]


def test_write_refuses_to_overwrite_a_snapshot_with_an_incompatible_schema(tmp_path, schema):
    name = "triage.decided.v1.schema.json"
    weaker = copy.deepcopy(schema)
    weaker["properties"]["extra"] = {"type": "string"}  # the recorded one has a field the model lacks
    (tmp_path / name).write_text(__import__("json").dumps(weaker))
    refused = jsonschema.write_snapshots(tmp_path)
    assert refused == [f"{name}: $.extra: removed"]
    assert "extra" in (tmp_path / name).read_text()


def envelope_for(payload):
    return new_envelope(payload, source="/tests", subject="s", correlation_id=uuid.uuid4())


def decided() -> TriageDecided:
    return TriageDecided(referral_id=uuid.uuid4(), person_id=uuid.uuid4(), programme_id="demo",
                         decision=Decision.ACCEPTED, rules=[], ruleset_version="1", decided_at=datetime.now(UTC))


def test_envelope_round_trips_through_json():
    payload = decided()
    envelope = envelope_for(payload)
    parsed_envelope, parsed_payload = parse_envelope(envelope.model_dump_json())
    assert parsed_envelope == envelope and parsed_payload == payload
    assert (envelope.type, envelope.schemaversion, envelope.specversion) == ("triage.decided", 1, "1.0")


def test_parsing_names_what_is_wrong_without_echoing_values():
    envelope = envelope_for(decided()).model_dump(mode="json")
    envelope["data"]["programme_id"] = 12345
    with pytest.raises(InvalidEventData) as bad_data:
        parse_envelope(__import__("json").dumps(envelope))
    assert bad_data.value.problems == ["data.programme_id: Input should be a valid string"]
    envelope["schemaversion"] = 7
    with pytest.raises(UnknownEventType):
        parse_envelope(__import__("json").dumps(envelope))
    with pytest.raises(ValidationError):
        parse_envelope(b'{"id": "not a uuid"}')


def _received_data(**extra) -> dict:
    return {"referral_id": str(uuid.uuid4()), "person_id": str(uuid.uuid4()), "programme_id": "demo",
            "partner_id": "gp", "source": {"category": "statutory"}, "received_at": "2026-01-05T10:00:00Z",
            "consent": {"to_referral": True, "to_data_sharing": True, "to_contact": True}, **extra}


def _envelope(version: int, data: dict) -> str:
    return json.dumps({"specversion": "1.0", "id": str(uuid.uuid4()), "type": "referral.received",
                       "source": "/services/intake", "subject": data["referral_id"], "time": "2026-01-05T10:00:00Z",
                       "schemaversion": version, "correlationid": str(uuid.uuid4()), "data": data})


def test_referral_received_is_read_by_the_version_its_envelope_names():
    # Version 1 records (with the person's details) may still be on the topic: they are read as version 1.
    _, old = parse_envelope(_envelope(1, _received_data(person={"given_name": "Ada", "family_name": "Byron"})))
    _, new = parse_envelope(_envelope(2, _received_data(age_years=70, age_band="65-74",
                                                        profile={"postcode_district": "E8"})))
    assert (type(old).__name__, old.schema_version, old.person.family_name) == ("ReferralReceived", 1, "Byron")
    assert (type(new).__name__, new.schema_version, new.age_band, new.profile.postcode_district) == (
        "ReferralReceivedV2", 2, "65-74", "E8")


def test_version_2_of_referral_received_refuses_the_person_s_details_and_free_text():
    for field, value in (("person", {"given_name": "Ada", "family_name": "Byron"}), ("reason", "lonely"),
                         ("partner_referral_id", "GP-1")):
        with pytest.raises(InvalidEventData) as refused:
            parse_envelope(_envelope(2, _received_data(**{field: value})))
        assert f"data.{field}" in str(refused.value) and "Byron" not in str(refused.value)
    with pytest.raises(InvalidEventData):
        parse_envelope(_envelope(2, _received_data(profile={"ethnicity": "not carried"})))
    with pytest.raises(InvalidEventData):
        parse_envelope(_envelope(2, _received_data(referrer={"organisation": "GP", "person_name": "Dr Who"})))
