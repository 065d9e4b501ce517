"""Why events are stranded when the memory-only broker restarts under running consumers, on a bare broker.

    .venv/bin/python -m referrals.chaos.rejoin_probe

Starts a Tansu broker of its own on a free loopback port, creates a topic with our 6 partitions and a
consumer group on it, restarts the broker, lets the consumer come back before the topic is created again
(as running services do), then creates it as `ensure_topics` would. Prints, over time, the partitions the
topic has by the consumer's metadata and those the group assigned it (see docs/recovery.md).
"""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from referrals.embedded import EmbeddedKafka, free_port
from shared.schemas.topics import PARTITIONS

TOPIC = "probe.events"


async def create_topic(bootstrap: str) -> str:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existed = TOPIC in await admin.list_topics()
        await admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)])
        [described] = await admin.describe_topics([TOPIC])
        return f"existed before: {existed}; after creating it with {PARTITIONS}: {len(described['partitions'])} partitions"
    finally:
        await admin.close()


async def probe(metadata_max_age_ms: int) -> None:
    broker = EmbeddedKafka(free_port())
    broker.start()
    consumer = AIOKafkaConsumer(TOPIC, bootstrap_servers=broker.bootstrap_servers, group_id="probe",
                                metadata_max_age_ms=metadata_max_age_ms, session_timeout_ms=6000)
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers)
    try:
        print(await create_topic(broker.bootstrap_servers), flush=True)
        await consumer.start()
        await producer.start()
        await producer.partitions_for(TOPIC)  # a relay's producer: it has the topic's metadata before the restart
        while len(consumer.assignment()) < PARTITIONS:
            await asyncio.sleep(0.2)

        def show(label: str) -> None:
            print(f"{label:>24}: metadata {sorted(consumer.partitions_for_topic(TOPIC) or [])}, "
                  f"assigned {sorted(tp.partition for tp in consumer.assignment())}", flush=True)

        show("before the restart")
        broker.process.kill()
        broker.process.wait(10)
        broker.start()
        restarted = time.monotonic()
        await asyncio.sleep(6)  # the consumer is back first
        show(f"{time.monotonic() - restarted:.0f} s after the restart")
        print(await create_topic(broker.bootstrap_servers), flush=True)
        # The producer still knows 6 partitions: a key that hashes to the last one goes there, and is accepted.
        sent = await producer.send_and_wait(TOPIC, b"an event", partition=PARTITIONS - 1)
        print(f"{'':>24}  a producer with the old metadata published to partition {sent.partition}", flush=True)
        for _ in range(8):
            await asyncio.sleep(metadata_max_age_ms / 1000)
            show(f"{time.monotonic() - restarted:.0f} s after the restart")
    finally:
        await producer.stop()
        await consumer.stop()
        broker.stop()


def main() -> int:
    # Metadata refreshed every 3 s (aiokafka's default is 5 minutes) so that the probe sees it change.
    asyncio.run(probe(3000))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
