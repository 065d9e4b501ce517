"""Kafka plumbing shared by relay, dead letters and the runtime: producer and topic admin."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.platform.messaging.connection import KafkaConnection, as_connection
from shared.schemas import topics as topic_names
from shared.schemas.topics import Topics


def make_producer(kafka: KafkaConnection | str) -> AIOKafkaProducer:
    # acks=all: an event only counts as published once the broker has it durably.
    return AIOKafkaProducer(**as_connection(kafka).client_options(), acks="all", linger_ms=5)


async def ensure_topics(kafka: KafkaConnection | str, topics: Topics, consumer_groups: list[str]) -> list[str]:
    """Create the event, dead-letter and epoch topics if missing (idempotent)."""
    wanted = [NewTopic(name, topic_names.PARTITIONS, 1) for name in topics.all_event_topics()]
    wanted += [NewTopic(topics.dead_letter(g), 1, 1) for g in consumer_groups]
    wanted.append(NewTopic(topics.broker_epoch, 1, 1, topic_configs={"retention.ms": "-1"}))
    admin = AIOKafkaAdminClient(**as_connection(kafka).client_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t.name not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass  # another replica won the race
        # Metadata reaches clients a moment after creation.
        for _ in range(50):
            if {t.name for t in wanted} <= set(await admin.list_topics()):
                break
            await asyncio.sleep(0.1)
        return [t.name for t in missing]
    finally:
        await admin.close()


async def ensure_topic(kafka: KafkaConnection | str, name: str, partitions: int = topic_names.PARTITIONS) -> None:
    """Create one topic if it does not exist yet (e.g. a partner's own status topic)."""
    admin = AIOKafkaAdminClient(**as_connection(kafka).client_options())
    await admin.start()
    try:
        if name not in set(await admin.list_topics()):
            try:
                await admin.create_topics([NewTopic(name, partitions, 1)])
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()
