"""The outbox, relay, inbox and consumer against the real broker and database."""

from __future__ import annotations

import secrets
import asyncio
import json
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from shared.platform.sealing import generate_key_encryption_key
from shared.platform.db import make_engine
from shared.platform.messaging.consumer import EventConsumer, Rejected
from shared.platform.messaging.dead_letter import ConsumedRecord
from shared.platform.messaging.kafka import ensure_topics, make_producer
from shared.platform.messaging.relay import OutboxRelay
from shared.platform.messaging.signing import (
    EnvelopeSigner,
    EnvelopeVerifier,
    ForgedEnvelope,
    format_verify_keys,
    generate_private_key,
    parse_verify_keys,
    public_key_text,
)
from shared.platform.messaging.tables import inbox_table, outbox_table
from shared.platform.settings import PlatformSettings
from shared.platform.uow import SqlUnitOfWork
from shared.schemas.envelope import Envelope, new_envelope
from shared.schemas.events.triage import Decision, TriageDecided
from shared.schemas.topics import CASES, REFERRALS, TRIAGE_DECISIONS, Topics
from tests.support.system import System

pytestmark = pytest.mark.integration
SCHEMA = "backbone"
GROUP = "tests.backbone"
# Each producer's own key, as every service gets one; the tests play triage, whose topic they use.
SIGNING_KEYS = {name: generate_private_key() for name in ("intake", "triage", "caseload", "outcomes")}
VERIFY_KEYS = format_verify_keys({name: public_key_text(key) for name, key in SIGNING_KEYS.items()})
TRIAGE = EnvelopeSigner("triage", SIGNING_KEYS["triage"])


def verifier() -> EnvelopeVerifier:
    return EnvelopeVerifier(parse_verify_keys(VERIFY_KEYS))


@pytest.fixture
async def backbone(infrastructure, tmp_path):
    database_url = await infrastructure.create_database("backbone")
    engine = make_engine(database_url)
    metadata = sa.MetaData()
    outbox, inbox = outbox_table(metadata, SCHEMA), inbox_table(metadata, SCHEMA)
    async with engine.begin() as conn:
        await conn.execute(sa.text(f"CREATE SCHEMA {SCHEMA}"))
        await conn.run_sync(metadata.create_all)
    topics = Topics(prefix=f"b{uuid.uuid4().hex[:10]}.")
    await ensure_topics(infrastructure.bootstrap_servers, topics, [GROUP])
    producer = make_producer(infrastructure.bootstrap_servers)
    await producer.start()
    reader = System(infrastructure, database_url, topics, {}, tmp_path)
    yield engine, outbox, inbox, topics, producer, reader
    await producer.stop()
    await engine.dispose()


def decided(referral_id: uuid.UUID, n: int = 0) -> TriageDecided:
    return TriageDecided(
        referral_id=referral_id, person_id=uuid.uuid4(), programme_id="demo", decision=Decision.DECLINED,
        reason_code=f"reason-{n}", rules=[], ruleset_version="1", decided_at=datetime.now(UTC),
    )


def relay_for(engine, outbox, producer, topics, infrastructure) -> OutboxRelay:
    return OutboxRelay(engine=engine, outbox=outbox, producer=producer, topics=topics, signer=TRIAGE,
                       kafka=infrastructure.bootstrap_servers, poll_interval_s=0.05)


async def wait_published(engine, outbox, expected: int) -> None:
    for _ in range(200):
        async with engine.connect() as conn:
            done = (await conn.execute(
                sa.select(sa.func.count()).where(outbox.c.published_at.is_not(None))
            )).scalar_one()
        if done == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"only {done} of {expected} outbox rows published")


async def test_relay_publishes_committed_events_in_order_keyed_by_aggregate(backbone, infrastructure):
    engine, outbox, inbox, topics, producer, reader = backbone
    aggregates = [uuid.uuid4() for _ in range(3)]
    written: dict[str, list[str]] = {str(a): [] for a in aggregates}
    for n in range(12):
        aggregate = aggregates[n % 3]
        async with SqlUnitOfWork(engine, outbox=outbox, inbox=inbox, source="/tests") as uow:
            envelope = await uow.emit(decided(aggregate, n), topic=TRIAGE_DECISIONS, subject=str(aggregate),
                                      correlation_id=uuid.uuid4())
            await uow.commit()
        written[str(aggregate)].append(str(envelope.id))
    # A unit of work that is not committed leaves nothing behind to publish.
    async with SqlUnitOfWork(engine, outbox=outbox, inbox=inbox, source="/tests") as uow:
        await uow.emit(decided(uuid.uuid4()), topic=TRIAGE_DECISIONS, subject="rolled-back",
                       correlation_id=uuid.uuid4())

    relay = relay_for(engine, outbox, producer, topics, infrastructure)
    relay.start()
    try:
        await wait_published(engine, outbox, 12)
    finally:
        await relay.stop()

    records = await reader.read_topic(topics.triage_decisions, min_records=12)
    seen: dict[str, list[str]] = {}
    partitions: dict[str, set[int]] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        body = json.loads(record.value)
        assert record.key.decode() == body["subject"]
        seen.setdefault(body["subject"], []).append(body["id"])
        partitions.setdefault(body["subject"], set()).add(record.partition)
    assert seen == written  # every aggregate's events, in the order they were written
    assert all(len(p) == 1 for p in partitions.values())  # one aggregate, one partition
    # Signed by the relay as it published, for the topic it published on, and for no other.
    for record in records:
        envelope = Envelope.model_validate_json(record.value)
        assert envelope.signer == "triage"
        verifier().verify(envelope, TRIAGE_DECISIONS)
        with pytest.raises(ForgedEnvelope):
            verifier().verify(envelope, CASES)
    async with engine.connect() as conn:
        epochs = set((await conn.execute(sa.select(outbox.c.published_epoch))).scalars())
    assert epochs == {relay.epoch}


async def test_relay_republishes_only_after_the_broker_lost_its_memory(backbone, infrastructure):
    engine, outbox, inbox, topics, producer, reader = backbone
    aggregate = uuid.uuid4()
    async with SqlUnitOfWork(engine, outbox=outbox, inbox=inbox, source="/tests") as uow:
        envelope = await uow.emit(decided(aggregate), topic=TRIAGE_DECISIONS, subject=str(aggregate),
                                  correlation_id=uuid.uuid4())
        await uow.commit()
    first = relay_for(engine, outbox, producer, topics, infrastructure)
    first.start()
    await wait_published(engine, outbox, 1)
    await first.stop()

    # Restarted against the same broker: the epoch is unchanged, nothing goes out twice.
    again = relay_for(engine, outbox, producer, topics, infrastructure)
    again.start()
    await asyncio.sleep(1.0)
    await again.stop()
    assert again.epoch == first.epoch
    assert len(await reader.read_topic(topics.triage_decisions, min_records=1)) == 1

    # A broker that forgot everything (here: a fresh set of topics, so a fresh epoch record).
    forgetful = Topics(prefix=f"b{uuid.uuid4().hex[:10]}.")
    await ensure_topics(infrastructure.bootstrap_servers, forgetful, [GROUP])
    after = relay_for(engine, outbox, producer, forgetful, infrastructure)
    after.start()
    try:
        for _ in range(100):
            async with engine.connect() as conn:
                epoch = (await conn.execute(sa.select(outbox.c.published_epoch))).scalar_one()
            if epoch is not None and epoch != first.epoch:
                break
            await asyncio.sleep(0.1)
    finally:
        await after.stop()
    assert after.epoch != first.epoch and epoch == after.epoch
    republished = await reader.read_topic(forgetful.triage_decisions, min_records=1)
    assert [json.loads(r.value)["id"] for r in republished] == [str(envelope.id)]


async def test_inbox_claims_an_event_once_and_only_with_a_committed_transaction(backbone):
    engine, outbox, inbox, *_ = backbone
    envelope = new_envelope(decided(uuid.uuid4()), source="/tests", subject="s", correlation_id=uuid.uuid4())

    async with SqlUnitOfWork(engine, outbox=outbox, inbox=inbox, source="/tests") as uow:
        assert await uow.first_delivery("consumer-a", envelope)  # rolled back: no commit
    async with SqlUnitOfWork(engine, outbox=outbox, inbox=inbox, source="/tests") as uow:
        assert await uow.first_delivery("consumer-a", envelope)
        await uow.commit()
    async with SqlUnitOfWork(engine, outbox=outbox, inbox=inbox, source="/tests") as uow:
        assert not await uow.first_delivery("consumer-a", envelope)
        assert await uow.first_delivery("consumer-b", envelope)  # another consumer has its own claim


def settings_for(infrastructure, attempts: int) -> PlatformSettings:
    return PlatformSettings(
        DATABASE_URL="postgresql://unused/unused", KAFKA_BOOTSTRAP_SERVERS=infrastructure.bootstrap_servers,
        AUTH_SECRET=secrets.token_hex(32), CONSUMER_MAX_ATTEMPTS=attempts, CONSUMER_BACKOFF_INITIAL_MS=20,
        EVENT_SIGNING_KEY=SIGNING_KEYS["triage"], EVENT_VERIFY_KEYS=VERIFY_KEYS,
        DATA_ENCRYPTION_KEY=generate_key_encryption_key(),
    )


def record_of(envelope, signer: EnvelopeSigner | None = TRIAGE, topic: str = TRIAGE_DECISIONS) -> ConsumedRecord:
    """The record a consumer of triage's decisions reads; signed by triage unless a test says otherwise."""
    if signer is not None:
        envelope = signer.sign(envelope, TRIAGE_DECISIONS)
    return ConsumedRecord(topic=topic, partition=2, offset=41, key=envelope.subject.encode(),
                          value=envelope.model_dump_json().encode(), headers=(("ce_type", envelope.type.encode()),))


def consumer_of(topics, producer, settings, handlers) -> EventConsumer:
    return EventConsumer(group=GROUP, topic=topics.triage_decisions, dead_letter_topic=topics.dead_letter(GROUP),
                         handlers=handlers, verifier=verifier(), producer=producer, settings=settings)


async def test_failing_handler_is_retried_with_backoff_then_dead_lettered(backbone, infrastructure):
    _, _, _, topics, producer, reader = backbone
    calls: list[float] = []

    async def always_fails(envelope, payload):
        calls.append(asyncio.get_running_loop().time())
        raise RuntimeError("database unavailable")

    consumer = consumer_of(topics, producer, settings_for(infrastructure, attempts=4),
                           {"triage.decided": always_fails})
    envelope = new_envelope(decided(uuid.uuid4()), source="/tests", subject="agg-1", correlation_id=uuid.uuid4())
    record = record_of(envelope)
    await consumer.process(record)

    assert len(calls) == 4
    gaps = [b - a for a, b in zip(calls, calls[1:])]
    assert gaps == sorted(gaps) and gaps[0] >= 0.015  # backoff grows
    [dead] = await reader.read_topic(topics.dead_letter(GROUP), min_records=1)
    headers = {k: v.decode() for k, v in dead.headers}
    assert dead.value == record.value and dead.key == b"agg-1"
    assert headers["dlt.attempts"] == "4" and headers["dlt.error_type"] == "RuntimeError"
    assert "database unavailable" in headers["dlt.reason"]
    assert (headers["dlt.original_partition"], headers["dlt.original_offset"]) == ("2", "41")
    assert headers["ce_type"] == "triage.decided"


async def test_transient_failure_recovers_and_permanent_failure_is_not_retried(backbone, infrastructure):
    _, _, _, topics, producer, reader = backbone
    attempts = {"flaky": 0, "permanent": 0}

    async def flaky(envelope, payload):
        attempts["flaky"] += 1
        if attempts["flaky"] < 3:
            raise ConnectionError("blip")

    async def permanent(envelope, payload):
        attempts["permanent"] += 1
        raise Rejected("unknown referral")

    settings = settings_for(infrastructure, attempts=5)
    ok = consumer_of(topics, producer, settings, {"triage.decided": flaky})
    await ok.process(record_of(new_envelope(decided(uuid.uuid4()), source="/t", subject="a",
                                            correlation_id=uuid.uuid4())))
    assert (attempts["flaky"], ok.handled, ok.dead_lettered) == (3, 1, 0)

    doomed = consumer_of(topics, producer, settings, {"triage.decided": permanent})
    await doomed.process(record_of(new_envelope(decided(uuid.uuid4()), source="/t", subject="b",
                                                correlation_id=uuid.uuid4())))
    assert (attempts["permanent"], doomed.dead_lettered) == (1, 1)
    [dead] = await reader.read_topic(topics.dead_letter(GROUP), min_records=1)
    assert {k: v.decode() for k, v in dead.headers}["dlt.reason"] == "unknown referral"


async def test_forged_records_are_dead_lettered_at_once_naming_why_and_never_reach_a_handler(backbone, infrastructure):
    _, _, _, topics, producer, reader = backbone
    handled: list[str] = []

    async def handler(envelope, payload):
        handled.append(envelope.subject)

    consumer = consumer_of(topics, producer, settings_for(infrastructure, attempts=5), {"triage.decided": handler})

    def event(subject: str):
        return new_envelope(decided(uuid.uuid4()), source="/tests", subject=subject, correlation_id=uuid.uuid4())

    intake = EnvelopeSigner("intake", SIGNING_KEYS["intake"])
    forged = {
        "unsigned": record_of(event("unsigned"), signer=None),
        # A real service's valid signature, but intake does not own triage's topic.
        "wrong signer": record_of(event("wrong signer"), signer=intake),
        # Claims to be triage, signed with a key that is not triage's.
        "bad signature": record_of(event("bad signature"), signer=EnvelopeSigner("triage", generate_private_key())),
    }
    # Intake's genuine event for its own topic, replayed onto triage's.
    replayed = intake.sign(event("replayed"), REFERRALS)
    forged["replayed"] = ConsumedRecord(topic=TRIAGE_DECISIONS, partition=0, offset=7, key=b"replayed",
                                        value=replayed.model_dump_json().encode(), headers=())
    for record in forged.values():
        await consumer.process(record)
    # The consumer moves on: a genuine record behind the forged ones is handled.
    await consumer.process(record_of(event("genuine")))

    assert handled == ["genuine"]
    assert (consumer.dead_lettered, consumer.handled) == (4, 1)
    dead = await reader.read_topic(topics.dead_letter(GROUP), min_records=4)
    headers = {r.key.decode(): {k: v.decode() for k, v in r.headers} for r in dead}
    assert set(headers) == set(forged)
    expected_kind = {"unsigned": "unsigned", "wrong signer": "wrong signer", "bad signature": "bad signature",
                     "replayed": "wrong signer"}
    for key, kind in expected_kind.items():
        reason = headers[key]["dlt.reason"]
        assert reason.startswith(f"forged event refused ({kind}): "), reason
        assert "reason-0" not in reason  # nothing from the event's data
        assert headers[key]["dlt.error_type"] == "ForgedEnvelope"
        assert headers[key]["dlt.attempts"] == "1"  # refused at once: retrying cannot make it genuine


async def test_a_genuine_event_parked_for_its_signature_is_republished_signed_by_clearing_its_outbox_row(
        backbone, infrastructure):
    """The recovery deploy/README.md gives: the outbox keeps events unsigned, the relay signs as it publishes."""
    engine, outbox, inbox, topics, producer, reader = backbone
    handled: list[str] = []

    async def handler(envelope, payload):
        handled.append(str(envelope.id))

    consumer = consumer_of(topics, producer, settings_for(infrastructure, attempts=3), {"triage.decided": handler})

    async def consume_new(already: int) -> int:
        records = await reader.read_topic(topics.triage_decisions, min_records=already + 1)
        for r in records[already:]:
            await consumer.process(ConsumedRecord(topic=TRIAGE_DECISIONS, partition=r.partition, offset=r.offset,
                                                  key=r.key, value=r.value, headers=tuple(r.headers)))
        return len(records)

    async with SqlUnitOfWork(engine, outbox=outbox, inbox=inbox, source="/tests") as uow:
        envelope = await uow.emit(decided(uuid.uuid4()), topic=TRIAGE_DECISIONS, subject="parked",
                                  correlation_id=uuid.uuid4())
        await uow.commit()
    # Published by a triage misconfigured with a key that is not the one everyone lists for it.
    misconfigured = OutboxRelay(engine=engine, outbox=outbox, producer=producer, topics=topics,
                                signer=EnvelopeSigner("triage", generate_private_key()),
                                kafka=infrastructure.bootstrap_servers, poll_interval_s=0.05)
    misconfigured.start()
    try:
        await wait_published(engine, outbox, 1)
    finally:
        await misconfigured.stop()
    seen = await consume_new(0)
    assert (handled, consumer.dead_lettered) == ([], 1)

    async with engine.begin() as conn:
        await conn.execute(sa.update(outbox).where(outbox.c.event_id == envelope.id)
                           .values(published_at=None, published_epoch=None))
    relay = relay_for(engine, outbox, producer, topics, infrastructure)  # triage's real key
    relay.start()
    try:
        await wait_published(engine, outbox, 1)
    finally:
        await relay.stop()
    await consume_new(seen)
    assert (handled, consumer.dead_lettered) == ([str(envelope.id)], 1)


async def test_published_rows_are_purged_after_the_retention_window_and_unpublished_ones_never(backbone,
                                                                                                infrastructure):
    engine, outbox, inbox, topics, producer, reader = backbone
    for n in range(3):
        async with SqlUnitOfWork(engine, outbox=outbox, inbox=inbox, source="/tests") as uow:
            await uow.emit(decided(uuid.uuid4(), n), topic=TRIAGE_DECISIONS, subject=f"s{n}",
                           correlation_id=uuid.uuid4())
            await uow.commit()
    relay = relay_for(engine, outbox, producer, topics, infrastructure)
    assert await relay.publish_batch() == 3
    async with SqlUnitOfWork(engine, outbox=outbox, inbox=inbox, source="/tests") as uow:
        await uow.emit(decided(uuid.uuid4()), topic=TRIAGE_DECISIONS, subject="waiting", correlation_id=uuid.uuid4())
        await uow.commit()
    async with engine.begin() as conn:
        # Two rows were published eight days ago (the default window is seven), one a moment ago.
        old = (await conn.execute(sa.select(outbox.c.position).where(outbox.c.published_at.is_not(None))
                                  .order_by(outbox.c.position).limit(2))).scalars().all()
        await conn.execute(sa.update(outbox).where(outbox.c.position.in_(old))
                           .values(published_at=sa.func.now() - sa.text("interval '8 days'")))
        # The unpublished row is old too: it must still go out, however long it has waited.
        await conn.execute(sa.update(outbox).where(outbox.c.published_at.is_(None))
                           .values(created_at=sa.func.now() - sa.text("interval '30 days'")))
    assert await relay.purge_published() == 2
    async with engine.connect() as conn:
        left = (await conn.execute(sa.select(outbox.c.message_key, outbox.c.published_at.is_(None).label("waiting"))
                                   .order_by(outbox.c.position))).all()
    assert [(r.message_key, r.waiting) for r in left] == [("s2", False), ("waiting", True)]
    assert await relay.purge_published() == 0
