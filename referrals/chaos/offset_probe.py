"""Where a running consumer reads from after the memory-only broker restarts under it, on a bare broker.

    .venv/bin/python -m referrals.chaos.offset_probe

Starts a Tansu broker of its own, creates a one-partition topic, and has a group consumer read and commit
(after each record, as our consumers do) the records of the broker's first life. Then restarts the broker
(empty), creates the topic again, publishes the second life's records and prints which offsets the same,
still running, consumer receives, and the offset the group has committed on the new broker (see
docs/recovery.md, "a broker restart under running services strands events"). Last, what the broker
answers as a partition's end offset after one batch of records.
"""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import TopicPartition

from referrals.embedded import EmbeddedKafka, free_port

TOPIC = "probe.offsets"
PARTITION = TopicPartition(TOPIC, 0)


class Rejoins(ConsumerRebalanceListener):
    """Prints each assignment the group hands the consumer: a rejoin after the restart shows here."""

    def __init__(self) -> None:
        self.count = 0

    async def on_partitions_revoked(self, revoked) -> None:
        pass

    async def on_partitions_assigned(self, assigned) -> None:
        self.count += 1
        print(f"    assignment {self.count}: partitions {sorted(tp.partition for tp in assigned)}", flush=True)


async def create_topic(bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(TOPIC, 1, 1)])
    finally:
        await admin.close()


async def publish(bootstrap: str, count: int, life: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for n in range(count):
            await producer.send_and_wait(TOPIC, f"life {life} record {n}".encode(), partition=0)
    finally:
        await producer.stop()


async def committed_by_group(bootstrap: str) -> int | None:
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id="probe", enable_auto_commit=False)
    await reader.start()
    try:
        return await reader.committed(PARTITION)
    finally:
        await reader.stop()


async def read_until(consumer: AIOKafkaConsumer, seen: list[tuple[int, bytes]], want: int, patience_s: float) -> None:
    deadline = time.monotonic() + patience_s
    while len(seen) < want and time.monotonic() < deadline:
        try:
            batch = await consumer.getmany(timeout_ms=500)
        except Exception as exc:  # the broker is away: report it and keep polling, as a service would
            print(f"    poll failed: {type(exc).__name__}", flush=True)
            await asyncio.sleep(0.5)
            continue
        for records in batch.values():
            for record in records:
                seen.append((record.offset, record.value))
                await consumer.commit({PARTITION: record.offset + 1})


async def probe(first: int, second: int, patience_s: float, late_commit: bool) -> None:
    broker = EmbeddedKafka(free_port())
    broker.start()
    bootstrap = broker.bootstrap_servers
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id="probe", enable_auto_commit=False,
                                auto_offset_reset="earliest", session_timeout_ms=6000)
    consumer.subscribe([TOPIC], listener=Rejoins())
    try:
        await create_topic(bootstrap)
        await publish(bootstrap, first, life=1)
        await consumer.start()
        seen: list[tuple[int, bytes]] = []
        await read_until(consumer, seen, first, patience_s)
        print(f"first life: read offsets {seen[0][0]}..{seen[-1][0]}, committed {await committed_by_group(bootstrap)}, "
              f"position {await consumer.position(PARTITION)}", flush=True)

        broker.process.kill()
        broker.process.wait(10)
        broker.start()
        await create_topic(bootstrap)
        if late_commit:
            # A record handled across the restart is committed afterwards, by the member of the old life.
            try:
                await consumer.commit({PARTITION: first})
                print(f"late commit of the first life's offset {first} to the new broker: accepted", flush=True)
            except Exception as exc:
                print(f"late commit of the first life's offset {first} to the new broker: refused, "
                      f"{type(exc).__name__}", flush=True)
            print(f"             group's committed offset on the new broker: {await committed_by_group(bootstrap)}",
                  flush=True)
        await publish(bootstrap, second, life=2)
        print(f"broker restarted empty; topic created again; {second} records published at offsets 0..{second - 1}",
              flush=True)
        seen = []
        await read_until(consumer, seen, second, patience_s)
        offsets = [offset for offset, _ in seen]
        print(f"second life: the running consumer read {len(seen)} of {second}: offsets "
              f"{(str(offsets[0]) + '..' + str(offsets[-1])) if offsets else 'none'} in {patience_s:.0f} s", flush=True)
        print(f"             group's committed offset on the new broker: {await committed_by_group(bootstrap)}; "
              f"consumer's position: {await consumer.position(PARTITION)}", flush=True)
    finally:
        await consumer.stop()
        broker.stop()


async def end_offset_probe(records: int) -> None:
    """What the broker answers as a partition's end (ListOffsets, latest) when records arrive in one batch."""
    broker = EmbeddedKafka(free_port())
    broker.start()
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers, linger_ms=50)
    reader = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap_servers, enable_auto_commit=False)
    try:
        await producer.start()
        sent = [await producer.send(TOPIC, f"record {n}".encode(), partition=0) for n in range(records)]
        await producer.flush()
        offsets = [(await future).offset for future in sent]
        await reader.start()
        end = (await reader.end_offsets([PARTITION]))[PARTITION]
        print(f"one batch of {records} records at offsets {offsets[0]}..{offsets[-1]}: the broker's end offset is "
              f"{end} (Kafka's would be {offsets[-1] + 1})", flush=True)
    finally:
        await reader.stop()
        await producer.stop()
        broker.stop()


def main() -> int:
    for late_commit in (False, True):
        print(f"--- {'with' if late_commit else 'without'} a late commit", flush=True)
        asyncio.run(probe(first=120, second=30, patience_s=20, late_commit=late_commit))
    print("--- the end offset of a batch", flush=True)
    asyncio.run(end_offset_probe(10))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
