"""The outbox relay: publishes committed outbox rows to Kafka, keyed by aggregate id.

One relay per service is active at a time (a PostgreSQL advisory lock), so the
events of one aggregate are published in the order they were written. A row is
marked published only after the broker acknowledged it; a crash in between
publishes it again, which consumers' inboxes absorb (at-least-once).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import json

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.platform import metrics, tracing
from shared.platform.leadership import leadership
from shared.platform.logging import get_logger
from shared.schemas.envelope import Envelope
from shared.schemas.topics import Topics

from .connection import KafkaConnection
from .epoch import resolve_epoch
from .signing import EnvelopeSigner

log = get_logger(__name__)


class OutboxRelay:
    def __init__(
        self,
        *,
        engine: AsyncEngine,
        outbox: sa.Table,
        producer: AIOKafkaProducer,
        topics: Topics,
        signer: EnvelopeSigner,
        kafka: KafkaConnection | str,
        poll_interval_s: float = 0.1,
        batch_size: int = 200,
        epoch_check_interval_s: float = 15.0,
        retention: timedelta = timedelta(days=7),
    ) -> None:
        self._engine = engine
        self._outbox = outbox
        self._producer = producer
        self._topics = topics
        self._signer = signer
        self._kafka = kafka
        self._poll_interval_s = poll_interval_s
        self._batch_size = batch_size
        self._epoch_check_interval_s = epoch_check_interval_s
        self._retention = retention
        self._epoch: str | None = None
        self._stopping = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.published = 0

    @property
    def epoch(self) -> str | None:
        return self._epoch

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self._outbox.schema}")

    async def stop(self) -> None:
        """Finish the batch in hand, then stop."""
        self._stopping.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                async with leadership(self._engine, f"outbox-relay:{self._outbox.schema}") as leading:
                    if not leading:
                        await self._sleep(1.0)
                        continue
                    await self._lead()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox_relay_failed", schema=self._outbox.schema)
                await self._sleep(1.0)

    async def _lead(self) -> None:
        loop = asyncio.get_running_loop()
        next_epoch_check = 0.0
        while not self._stopping.is_set():
            if loop.time() >= next_epoch_check:
                await self._check_epoch()
                await self.purge_published()
                next_epoch_check = loop.time() + self._epoch_check_interval_s
            sent = await self.publish_batch()
            if sent < self._batch_size:
                await self._sleep(self._poll_interval_s)

    async def _check_epoch(self) -> None:
        epoch = await resolve_epoch(self._kafka, self._topics.broker_epoch, self._producer)
        if epoch == self._epoch:
            return
        async with self._engine.begin() as conn:
            # Rows published to another broker incarnation may never have been consumed.
            result = await conn.execute(
                sa.update(self._outbox)
                .where(self._outbox.c.published_epoch.is_not(None), self._outbox.c.published_epoch != epoch)
                .values(published_at=None, published_epoch=None)
            )
        if result.rowcount:
            log.warning("outbox_republishing_after_broker_epoch_change", schema=self._outbox.schema, rows=result.rowcount)
        self._epoch = epoch

    async def purge_published(self) -> int:
        """Delete rows published longer ago than the retention window: the outbox is a way out, not a second
        store of what the events said (personal data among it). Unpublished rows are never touched; within
        the window, a broker that lost its memory is still refilled (see _check_epoch)."""
        o = self._outbox
        async with self._engine.begin() as conn:
            result = await conn.execute(sa.delete(o).where(
                o.c.published_at.is_not(None),
                o.c.published_at < sa.func.now() - sa.text(f"interval '{int(self._retention.total_seconds())} seconds'")))
        if result.rowcount:
            log.info("outbox_purged", schema=o.schema, rows=result.rowcount)
        return result.rowcount

    async def publish_batch(self) -> int:
        o = self._outbox
        async with self._engine.begin() as conn:
            rows = (
                await conn.execute(
                    sa.select(o.c.position, o.c.topic, o.c.message_key, o.c.envelope, o.c.event_type)
                    .where(o.c.published_at.is_(None))
                    .order_by(o.c.position)
                    .limit(self._batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            futures, spans = [], []
            for row in rows:
                # Signed here, as it leaves: the outbox keeps what the transaction wrote, and rows
                # written before signing existed (or republished after an epoch change) are signed too.
                envelope = self._signer.sign(Envelope.model_validate(row.envelope), row.topic).model_dump(mode="json")
                topic = self._topics.name(row.topic)
                # Child of the span the event was written in; the consumer's span will be its child.
                span = tracing.start_publish_span(
                    topic, event_id=envelope["id"], event_type=row.event_type, envelope=envelope
                )
                spans.append(span)
                headers = [
                    ("ce_id", envelope["id"].encode()),
                    ("ce_type", row.event_type.encode()),
                    ("ce_specversion", b"1.0"),
                    ("correlation_id", envelope["correlationid"].encode()),
                    ("content-type", b"application/cloudevents+json"),
                    *tracing.headers_for(span),
                ]
                futures.append(
                    await self._producer.send(
                        topic,
                        json.dumps(envelope, separators=(",", ":")).encode(),
                        key=row.message_key.encode(),
                        headers=headers,
                    )
                )
            try:
                await asyncio.gather(*futures)
            except Exception as exc:
                for span in spans:
                    tracing.mark_failed(span, exc)
                raise
            finally:
                for span in spans:
                    span.end()
            await conn.execute(
                sa.update(o)
                .where(o.c.position.in_([r.position for r in rows]))
                .values(published_at=sa.func.now(), published_epoch=self._epoch)
            )
        self.published += len(rows)
        for row in rows:
            metrics.EVENTS_PUBLISHED.labels(self._outbox.schema, row.event_type).inc()
        return len(rows)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass
