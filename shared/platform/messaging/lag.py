"""Consumer lag per group and partition, read without joining the group (so a scrape never rebalances it).

One probe per consumer group, kept open between scrapes: a consumer that names
the group but never subscribes can read the group's committed offsets.
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from shared.platform.messaging.connection import KafkaConnection, as_connection


class GroupLag:
    def __init__(self, kafka: KafkaConnection | str, group_id: str, topic: str) -> None:
        self._kafka = as_connection(kafka)
        self._group_id = group_id
        self._topic = topic
        self._probe: AIOKafkaConsumer | None = None
        self._lock = asyncio.Lock()

    async def read(self) -> dict[int, int]:
        """Partition -> records not yet committed by the group (the end of the partition minus its offset)."""
        async with self._lock:  # scrapes may overlap
            if self._probe is None:
                probe = AIOKafkaConsumer(**self._kafka.client_options(), group_id=self._group_id,
                                         enable_auto_commit=False)
                try:
                    await probe.start()
                except BaseException:  # including a scrape's timeout: leave nothing half open
                    await probe.stop()
                    raise
                self._probe = probe
            try:
                return await self._read(self._probe)
            except Exception:
                await self._close()  # a broken connection is not reused: the next scrape opens a new one
                raise

    async def _read(self, probe: AIOKafkaConsumer) -> dict[int, int]:
        parts = probe.partitions_for_topic(self._topic)
        if not parts:
            await probe._client.force_metadata_update()  # noqa: SLF001 - metadata for a topic we do not read
            parts = probe.partitions_for_topic(self._topic) or set()
        partitions = [TopicPartition(self._topic, p) for p in sorted(parts)]
        if not partitions:
            return {}
        ends = await probe.end_offsets(partitions)
        return {tp.partition: max(ends[tp] - ((await probe.committed(tp)) or 0), 0) for tp in partitions}

    async def stop(self) -> None:
        async with self._lock:
            await self._close()

    async def _close(self) -> None:
        if self._probe is not None:
            probe, self._probe = self._probe, None
            await probe.stop()
