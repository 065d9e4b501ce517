"""Readiness asks each consumer whether it holds its place in the group: tracked from the real broker's
assignments, split between members when a second replica joins."""

from __future__ import annotations

import secrets
import asyncio
import uuid

import pytest
from faststream.kafka import KafkaBroker

from shared.platform.sealing import generate_key_encryption_key
from shared.platform.messaging.consumer import EventConsumer
from shared.platform.messaging.kafka import ensure_topics, make_producer
from shared.platform.messaging.signing import (
    EnvelopeVerifier,
    format_verify_keys,
    generate_private_key,
    parse_verify_keys,
    public_key_text,
)
from shared.platform.settings import PlatformSettings
from shared.schemas.topics import PARTITIONS, TRIAGE_DECISIONS, Topics

pytestmark = pytest.mark.integration
GROUP = "tests.membership"


async def until(condition, timeout_s: float = 45) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def test_membership_follows_the_groups_assignments(infrastructure):
    topics = Topics(prefix=f"m{uuid.uuid4().hex[:10]}.")
    await ensure_topics(infrastructure.bootstrap_servers, topics, [GROUP])
    keys = {name: generate_private_key() for name in ("intake", "triage", "caseload", "outcomes")}
    verify_keys = format_verify_keys({name: public_key_text(key) for name, key in keys.items()})
    settings = PlatformSettings(
        DATABASE_URL="postgresql://unused/unused", KAFKA_BOOTSTRAP_SERVERS=infrastructure.bootstrap_servers,
        AUTH_SECRET=secrets.token_hex(32), TOPIC_PREFIX=topics.prefix, KAFKA_SESSION_TIMEOUT_MS=6000,
        KAFKA_REBALANCE_TIMEOUT_MS=1000, EVENT_SIGNING_KEY=keys["caseload"], EVENT_VERIFY_KEYS=verify_keys,
        DATA_ENCRYPTION_KEY=generate_key_encryption_key(),
    )
    producer = make_producer(infrastructure.bootstrap_servers)
    await producer.start()
    members, brokers = [], []
    try:
        for _ in range(2):
            members.append(EventConsumer(group=GROUP, topic=topics.name(TRIAGE_DECISIONS),
                                         dead_letter_topic=topics.dead_letter(GROUP), handlers={},
                                         verifier=EnvelopeVerifier(parse_verify_keys(verify_keys)),
                                         producer=producer, settings=settings))
            brokers.append(KafkaBroker(infrastructure.bootstrap_servers, logger=None))
        first, second = members
        assert first.membership() == "not started"
        first.register(brokers[0])
        await brokers[0].start()
        await until(lambda: first.membership() is None)
        assert first.assignment.partitions == frozenset(range(PARTITIONS))

        # A second replica joins: the partitions are shared, none twice, none left out.
        second.register(brokers[1])
        await brokers[1].start()
        await until(lambda: second.membership() is None and len(first.assignment.partitions)
                    + len(second.assignment.partitions) == PARTITIONS and second.assignment.partitions)
        assert first.assignment.partitions.isdisjoint(second.assignment.partitions)
        assert first.assignment.partitions | second.assignment.partitions == frozenset(range(PARTITIONS))
        assert first.membership() is None

        # A stopped subscriber is no longer a member, and says so.
        await brokers[1].stop()
        assert second.membership() == "not started"
        await until(lambda: first.assignment.partitions == frozenset(range(PARTITIONS)))
    finally:
        for broker in brokers:
            await broker.stop()
        await producer.stop()
