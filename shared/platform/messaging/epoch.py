"""The broker epoch: which incarnation of the broker's storage we are talking to.

The embedded broker keeps messages in memory only, so after a restart it has
forgotten every event and every committed offset. The first record of the
single-partition epoch topic holds an id written by whoever found the topic
empty; if that id differs from the one an outbox row was published under, the
row may never have been consumed and the relay publishes it again. Consumers'
inboxes make the second delivery harmless. On a durable Kafka the epoch never
changes, so nothing is republished.
"""

from __future__ import annotations

import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition

from shared.platform.messaging.connection import KafkaConnection, as_connection


async def read_epoch(kafka: KafkaConnection | str, topic: str, timeout_ms: int = 1500) -> str | None:
    consumer = AIOKafkaConsumer(**as_connection(kafka).client_options(), enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        batch = await consumer.getmany(tp, timeout_ms=timeout_ms, max_records=1)
        for records in batch.values():
            for record in records:
                return record.value.decode()
        return None
    finally:
        await consumer.stop()


async def resolve_epoch(kafka: KafkaConnection | str, topic: str, producer: AIOKafkaProducer) -> str:
    current = await read_epoch(kafka, topic)
    if current is not None:
        return current
    await producer.send_and_wait(topic, uuid.uuid4().hex.encode(), key=b"epoch", partition=0)
    # Two writers may race; the record at offset 0 wins for everyone.
    current = await read_epoch(kafka, topic, timeout_ms=5000)
    if current is None:
        raise RuntimeError("broker epoch topic is still empty after writing to it")
    return current
