"""The outbox, relay, inbox and consumer against the real broker and database."""

from __future__ import annotations

import secrets
import asyncio
import json
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from shared.platform.db import make_engine
from shared.platform.messaging.consumer import EventConsumer, Rejected
from shared.platform.messaging.dead_letter import ConsumedRecord
from shared.platform.messaging.kafka import ensure_topics, make_producer
from shared.platform.messaging.relay import OutboxRelay
from shared.platform.messaging.tables import inbox_table, outbox_table
from shared.platform.settings import PlatformSettings
from shared.platform.uow import SqlUnitOfWork
from shared.schemas.envelope import new_envelope
from shared.schemas.events.triage import Decision, TriageDecided
from shared.schemas.topics import TRIAGE_DECISIONS, Topics
from tests.support.system import System

pytestmark = pytest.mark.integration
SCHEMA = "backbone"
GROUP = "tests.backbone"


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
    return OutboxRelay(engine=engine, outbox=outbox, producer=producer, topics=topics,
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
    )


def record_of(envelope) -> ConsumedRecord:
    return ConsumedRecord(topic="t", partition=2, offset=41, key=envelope.subject.encode(),
                        value=envelope.model_dump_json().encode(), headers=(("ce_type", envelope.type.encode()),))


async def test_failing_handler_is_retried_with_backoff_then_dead_lettered(backbone, infrastructure):
    _, _, _, topics, producer, reader = backbone
    calls: list[float] = []

    async def always_fails(envelope, payload):
        calls.append(asyncio.get_running_loop().time())
        raise RuntimeError("database unavailable")

    consumer = EventConsumer(group=GROUP, topic="t", dead_letter_topic=topics.dead_letter(GROUP),
                             handlers={"triage.decided": always_fails}, producer=producer,
                             settings=settings_for(infrastructure, attempts=4))
    envelope = new_envelope(decided(uuid.uuid4()), source="/tests", subject="agg-1", correlation_id=uuid.uuid4())
    await consumer.process(record_of(envelope))

    assert len(calls) == 4
    gaps = [b - a for a, b in zip(calls, calls[1:])]
    assert gaps == sorted(gaps) and gaps[0] >= 0.015  # backoff grows
    [dead] = await reader.read_topic(topics.dead_letter(GROUP), min_records=1)
    headers = {k: v.decode() for k, v in dead.headers}
    assert dead.value == envelope.model_dump_json().encode() and dead.key == b"agg-1"
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
    ok = EventConsumer(group=GROUP, topic="t", dead_letter_topic=topics.dead_letter(GROUP),
                       handlers={"triage.decided": flaky}, producer=producer, settings=settings)
    await ok.process(record_of(new_envelope(decided(uuid.uuid4()), source="/t", subject="a",
                                            correlation_id=uuid.uuid4())))
    assert (attempts["flaky"], ok.handled, ok.dead_lettered) == (3, 1, 0)

    doomed = EventConsumer(group=GROUP, topic="t", dead_letter_topic=topics.dead_letter(GROUP),
                           handlers={"triage.decided": permanent}, producer=producer, settings=settings)
    await doomed.process(record_of(new_envelope(decided(uuid.uuid4()), source="/t", subject="b",
                                                correlation_id=uuid.uuid4())))
    assert (attempts["permanent"], doomed.dead_lettered) == (1, 1)
    [dead] = await reader.read_topic(topics.dead_letter(GROUP), min_records=1)
    assert {k: v.decode() for k, v in dead.headers}["dlt.reason"] == "unknown referral"
