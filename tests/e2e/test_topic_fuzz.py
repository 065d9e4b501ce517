"""Every topic the services consume, fuzzed: records of the wrong schema or version, truncated, huge, with
unknown fields or wrong types, under a wrong key or without their headers, each signed by the topic's
owner and unsigned, on every partition. Each ends on each consuming group's dead-letter topic, unchanged,
at the first attempt, with a reason that says what is wrong; then good records behind them on the same
partitions are processed by every group, and every service is still up and ready (no crash loop, no stuck
partition). The partners' ingress topic gets the same treatment with and without a valid API key."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from shared.schemas.envelope import Envelope, EventPayload, new_envelope
from shared.schemas.events.case import CaseClosed, ClosureReason
from shared.schemas.events.common import ReferralSource
from shared.schemas.events.referral import Consent, ReferralReceivedV2
from shared.schemas.events.session import SessionRevoked
from shared.schemas.events.triage import Complexity, Decision, Pathway, TriageDecided
from shared.schemas.topics import CASES, PARTITIONS, PARTNER_SUBMISSIONS, REFERRALS, SESSIONS, TRIAGE_DECISIONS, \
    SERVICE_NAMES, TOPIC_OWNERS, consumer_group

pytestmark = pytest.mark.e2e
NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
HUGE = 300_000  # over the 256 KiB any record may be, under the broker's 1 MiB
# Who consumes what (shared.schemas.topics.CONSUMER_GROUPS, by topic).
GROUPS = {
    REFERRALS: ("triage", "outcomes", "caseload"),
    TRIAGE_DECISIONS: ("caseload", "intake", "outcomes"),
    CASES: ("intake", "outcomes"),
    SESSIONS: SERVICE_NAMES,
}


def sample(topic: str) -> EventPayload:
    """A valid event of the topic: the base every hostile record is made from."""
    ids = dict(referral_id=uuid.uuid4(), person_id=uuid.uuid4())
    if topic == REFERRALS:
        return ReferralReceivedV2(**ids, programme_id="demo", partner_id="fuzz", source=ReferralSource(category="self"),
                                  consent=Consent(to_referral=True, to_data_sharing=True, to_contact=True),
                                  received_at=NOW)
    if topic == TRIAGE_DECISIONS:
        return TriageDecided(**ids, programme_id="demo", decision=Decision.ACCEPTED, rules=[], ruleset_version="t",
                             complexity=Complexity.MEDIUM, pathway=Pathway.CONNECTOR, priority=3,
                             expected_weekly_hours=1.5, decided_at=NOW)
    if topic == CASES:
        return CaseClosed(case_id=uuid.uuid4(), **ids, programme_id="demo", worker_id=uuid.uuid4(),
                          worker_role="connector", reason=ClosureReason.PLANNED_END, contact_count=1,
                          opened_at=NOW, closed_at=NOW)
    # Expiring later than now: a revocation of a token that has expired anyway is not kept.
    return SessionRevoked(session_id=uuid.uuid4(), account_id=uuid.uuid4(),
                          expires_at=datetime.now(UTC) + timedelta(hours=1),
                          reason="signed_out", revoked_at=NOW)


@dataclass(frozen=True)
class Hostile:
    kind: str
    signed: bool
    partition: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]


def hostile_events(system, topic: str, partition: int) -> list[Hostile]:
    """Each kind of broken record for an event topic, signed by its owner and not."""
    records = []
    for signed in (True, False):
        def envelope(**changes) -> Envelope:
            payload = sample(topic)
            base = new_envelope(payload, source="/tests/fuzz", subject=str(next(iter(payload.model_dump().values()))),
                                correlation_id=uuid.uuid4())
            made = Envelope.model_validate(base.model_dump() | changes)
            return system.signer(TOPIC_OWNERS[topic]).sign(made, topic) if signed else made

        def record(kind: str, made: Envelope, *, key: bytes | None = None, value: bytes | None = None,
                   headers=None) -> Hostile:
            return Hostile(kind, signed, partition, made.subject.encode() if key is None else key,
                           value or made.model_dump_json().encode(),
                           (("ce_type", made.type.encode()),) if headers is None else headers)

        good = envelope()
        first_field = next(iter(good.data))
        truncated = envelope()
        records += [
            record("wrong schema", envelope(data={"not": "this event's fields"})),
            record("wrong version", envelope(schemaversion=99)),
            record("truncated", truncated, value=truncated.model_dump_json().encode()[:120]),
            record("huge", envelope(data=good.data | {"padding": "x" * HUGE})),
            record("unknown fields", envelope(data=good.data | {"surprise": "field"})),
            record("wrong types", envelope(data=good.data | {first_field: 12345})),
            record("wrong key", envelope(), key=b"not-the-subject"),
            record("missing headers", envelope(), headers=()),
        ]
    return records


def expected_reason(record: Hostile) -> str:
    """What the dead letter's reason must say, read off the kind alone."""
    if record.kind == "huge":
        return "event too large"
    if record.kind == "truncated":
        return "malformed event: <root>: Invalid JSON"
    if not record.signed:
        return "forged event refused (unsigned)"
    return {
        "wrong schema": "Field required",
        "wrong version": "version 99",
        "unknown fields": "data.surprise: Extra inputs are not permitted",
        "wrong types": "data.",
        "wrong key": "wrong key: the record's key is not its event's subject",
        "missing headers": "missing header: ce_type",
    }[record.kind]


PEOPLE = ("Ada Lovell", "Bea Marsh", "Cal Norris", "Dot Oakley", "Eve Pryor", "Fay Quinn")


def referral_body(reference: str, person: str = "Topic Fuzz") -> dict:
    given, family = person.split()
    return {"partner_referral_id": reference, "programme_id": "demo",
            "person": {"given_name": given, "family_name": family, "age_years": 74},
            "consent": {"to_referral": True, "to_data_sharing": True, "to_contact": True},
            "referrer": {"source_category": "statutory", "source_subcategory": "nhs_gp"}, "needs": ["loneliness"]}


def hostile_submissions(partition: int, api_key: str) -> list[Hostile]:
    """Each kind of broken partner submission, with the partner's real API key and with a wrong one."""
    records = []
    for signed, key in ((True, api_key), (False, "rk_wrong_key")):
        headers = (("partner-id", b"fuzz-topic"), ("api-key", key.encode()))
        body = json.dumps(referral_body(f"H-{uuid.uuid4().hex}")).encode()
        with_types = referral_body(f"H-{uuid.uuid4().hex}") | {"person": {"given_name": 7, "family_name": [],
                                                                          "age_years": "old"}}
        records += [
            Hostile("wrong schema", signed, partition, b"k", json.dumps({"not": uuid.uuid4().hex}).encode(), headers),
            Hostile("truncated", signed, partition, b"k", body[:60], headers),
            Hostile("huge", signed, partition, b"k", b'{"a": "' + b"x" * HUGE + b'"}', headers),
            Hostile("unknown fields", signed, partition, b"k",
                    json.dumps(referral_body(f"H-{uuid.uuid4().hex}") | {"surprise": "field"}).encode(), headers),
            Hostile("wrong types", signed, partition, b"k", json.dumps(with_types).encode(), headers),
            Hostile("wrong key", signed, partition, b"\xff\xfe",
                    json.dumps(referral_body(f"H-{uuid.uuid4().hex}")).encode(), headers),
            Hostile("missing headers", signed, partition, b"k",
                    json.dumps(referral_body(f"H-{uuid.uuid4().hex}")).encode(), ()),
        ]
    return records


def expected_submission_reason(record: Hostile) -> str:
    if record.kind == "huge":
        return "invalid referral: <body>: the value may be at most"
    if not record.signed or record.kind == "missing headers":
        return "authentication failed"
    return {
        "wrong schema": "invalid referral: ",
        "truncated": "invalid referral: ",
        "unknown fields": "surprise",
        "wrong types": "person.",
        "wrong key": "invalid referral: key: the message key must be UTF-8 text",
    }[record.kind]


async def produce(system, topic: str, records) -> dict[tuple[int, int], Hostile]:
    """Sends the records; returns each by where it landed (partition, offset), as dead letters name it."""
    producer = AIOKafkaProducer(bootstrap_servers=system.infra.bootstrap_servers, linger_ms=5)
    await producer.start()
    try:
        sent = [(r, await producer.send(topic, r.value, key=r.key, partition=r.partition, headers=list(r.headers)))
                for r in records]
        await producer.flush()
        placed = {}
        for record, delivery in sent:
            metadata = await delivery
            placed[(metadata.partition, metadata.offset)] = record
        return placed
    finally:
        await producer.stop()


async def test_every_consumed_topic_dead_letters_each_kind_of_hostile_record_and_keeps_going(system):
    system.start()
    api_key = await system.setup_partner(partner_id="fuzz-topic")
    for _ in range(2):
        await system.add_worker("connector", "21")

    # The hostile records first, on every partition of every topic.
    sent: dict[str, dict[tuple[int, int], Hostile]] = {}
    for topic in GROUPS:
        sent[topic] = await produce(system, system.topics.name(topic),
                                    [r for p in range(PARTITIONS) for r in hostile_events(system, topic, p)])
    sent[PARTNER_SUBMISSIONS] = await produce(system, system.topics.partner_submissions,
                                              [r for p in range(PARTITIONS) for r in hostile_submissions(p, api_key)])

    # Then good records behind them. Partners' referrals, one on each partition: intake accepts them and the
    # whole flow carries them over the referrals, decisions and cases topics, behind the hostile records there.
    # Six different people: the same person six times would be five duplicates, which no case is opened for.
    good_referrals = [Hostile("good", True, p, f"GOOD-{p}".encode(), json.dumps(referral_body(f"GOOD-{p}", PEOPLE[p])).encode(),
                              (("partner-id", b"fuzz-topic"), ("api-key", api_key.encode())))
                      for p in range(PARTITIONS)]
    await produce(system, system.topics.partner_submissions, good_referrals)
    # Identity's revocations, one on each partition, signed as identity.
    revocations = []
    for p in range(PARTITIONS):
        event = sample(SESSIONS)
        envelope = system.signer("identity").sign(
            new_envelope(event, source="/services/identity", subject=str(event.account_id),
                         correlation_id=uuid.uuid4()), SESSIONS)
        revocations.append((event.session_id, Hostile("good", True, p, envelope.subject.encode(),
                                                      envelope.model_dump_json().encode(),
                                                      (("ce_type", envelope.type.encode()),))))
    await produce(system, system.topics.sessions, [r for _, r in revocations])

    # Every good record was processed by every group that reads it.
    referrals = await system.wait_for(
        "SELECT id, status FROM intake.referrals WHERE partner_id = 'fuzz-topic'",
        predicate=lambda rows: len(rows) == PARTITIONS and all(r["status"] == "assigned" for r in rows),
        timeout_s=180)  # assigned: triage decided, caseload opened a case, and intake heard of both
    ids = [r["id"] for r in referrals]
    await system.wait_for("SELECT 1 FROM triage.decisions WHERE referral_id = ANY($1::uuid[])", ids,
                          predicate=lambda rows: len(rows) == PARTITIONS)
    await system.wait_for("SELECT 1 FROM caseload.cases WHERE referral_id = ANY($1::uuid[])", ids,
                          predicate=lambda rows: len(rows) == PARTITIONS)
    await system.wait_for("SELECT 1 FROM outcomes.referral_facts WHERE referral_id = ANY($1::uuid[]) "
                          "AND decision IS NOT NULL", ids, predicate=lambda rows: len(rows) == PARTITIONS)
    await system.wait_for("SELECT 1 FROM outcomes.case_facts WHERE referral_id = ANY($1::uuid[]) "
                          "AND assigned_at IS NOT NULL", ids, predicate=lambda rows: len(rows) == PARTITIONS)
    sessions = [session_id for session_id, _ in revocations]
    for service in SERVICE_NAMES:
        await system.wait_for(f"SELECT 1 FROM {service}.revoked_sessions WHERE session_id = ANY($1::uuid[])",
                              sessions, predicate=lambda rows: len(rows) == PARTITIONS)

    # Each hostile record is on each consuming group's dead-letter topic, parked at the first attempt, with a
    # reason naming what is wrong; our events unchanged (a partner's submission is parked sealed, as intake
    # keeps every submission).
    consumers = {**GROUPS, PARTNER_SUBMISSIONS: ("intake",)}
    for topic, services in consumers.items():
        expected = sent[topic]
        for service in services:
            group = consumer_group(service, topic)
            dead = await system.read_topic(system.topics.dead_letter(group), min_records=len(expected),
                                           timeout_s=120)
            parked = {}
            for r in dead:
                headers = {k: v for k, v in r.headers}
                parked[(int(headers["dlt.original_partition"]), int(headers["dlt.original_offset"]))] = (r, headers)
            missing = [(x.kind, x.signed, x.partition) for place, x in expected.items() if place not in parked]
            assert missing == [], group
            for place, record in expected.items():
                dead_letter, headers = parked[place]
                reason = headers["dlt.reason"].decode()
                want = (expected_submission_reason(record) if topic == PARTNER_SUBMISSIONS
                        else expected_reason(record))
                assert want in reason, (group, record.kind, record.signed, reason)
                assert headers["dlt.attempts"] == b"1", (group, record.kind)  # parked at once, never retried
                assert dead_letter.key == record.key
                if topic != PARTNER_SUBMISSIONS:
                    assert dead_letter.value == record.value, (group, record.kind)

    # No crash loop: every service is the process it was, and ready (its consumers in their groups, reading).
    async with httpx.AsyncClient(timeout=10) as http:
        for service in SERVICE_NAMES:
            assert system.processes[service].alive(), service
            ready = await http.get(f"{system.url(service)}/health/ready")
            assert ready.status_code == 200, (service, ready.text)
