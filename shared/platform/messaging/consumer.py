"""Consumers: explicit group and ack policy, bounded retries with backoff, dead letters.

`RecordConsumer` handles raw records (e.g. partners' submissions); `EventConsumer`
handles our own events, validated against their contracts. Handlers must be
idempotent through the inbox (see `inbox.claim`). The offset is committed only
after the handler's transaction committed, or after the record went to the
dead-letter topic: nothing is acknowledged that was neither applied nor parked.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import structlog
from opentelemetry import trace
from aiokafka import AIOKafkaProducer, ConsumerRebalanceListener
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
from asyncpg.exceptions import (
    AdminShutdownError,
    CannotConnectNowError,
    ConnectionDoesNotExistError,
    PostgresConnectionError,
)
from sqlalchemy.exc import DBAPIError, DisconnectionError

from shared.platform import metrics, tracing
from shared.platform.faults import delay_point, failure_point, fault_point
from shared.platform.logging import get_logger
from shared.platform.input_limits import DEFAULT_BODY_LIMIT, MAX_JSON_DEPTH, json_depth_exceeds
from shared.platform.settings import PlatformSettings
from shared.schemas.envelope import Envelope, EventPayload
from shared.schemas.registry import UnknownEventType, parse_data
from shared.schemas.topics import Topics

from .dead_letter import ConsumedRecord, dead_letter
from .dead_letter_archive import DeadLetterArchive, Replayer
from .signing import EnvelopeVerifier, ForgedEnvelope

log = get_logger(__name__)

Handler = Callable[[Envelope, EventPayload], Awaitable[None]]
# Our events are a few kilobytes: a record far larger is not one of ours, and is refused before it is parsed.
MAX_EVENT_BYTES = DEFAULT_BODY_LIMIT
# The header the relay writes with each event's type: monitoring and tracing read it before the body.
TYPE_HEADER = "ce_type"


# A connection to the database or broker failed (refused, reset, timed out, shut down by the server).
OUTAGES = (OSError, PostgresConnectionError, CannotConnectNowError, AdminShutdownError, ConnectionDoesNotExistError,
           DisconnectionError, KafkaConnectionError, KafkaTimeoutError)


class Rejected(Exception):
    """A record that can never succeed: dead-letter it at once with this reason, no retry."""



class RecordConsumer:
    # Set by a consumer whose parked records cannot be published again as they were (intake's partner
    # submissions: the partner's API key was redacted); the archive then replays them through it, in process.
    replay_parked: Replayer | None = None

    def __init__(
        self,
        *,
        group: str,
        topic: str,
        dead_letter_topic: str,
        producer: AIOKafkaProducer,
        settings: PlatformSettings,
    ) -> None:
        self.group = group
        self.topic = topic
        self.dead_letter_topic = dead_letter_topic
        self._producer = producer
        self._settings = settings
        self.handled = 0
        self.dead_lettered = 0
        self.assignment = _Assignment()
        self._subscriber = None
        # Where parked records are kept to be listed and replayed (set by the runner; none in unit tests).
        self.archive: DeadLetterArchive | None = None

    def register(self, broker: KafkaBroker) -> None:
        s = self._settings
        subscriber = broker.subscriber(
            self.topic,
            # Groups are scoped like topics: deployments (and test runs) sharing a cluster never share a group.
            group_id=f"{s.topic_prefix}{self.group}",
            # Commit after our own code returned; if even the dead-letter publish fails, the
            # record is not committed (nack seeks back) and will be tried again.
            ack_policy=AckPolicy.NACK_ON_ERROR,
            auto_offset_reset="earliest",
            session_timeout_ms=s.kafka_session_timeout_ms,
            heartbeat_interval_ms=s.kafka_heartbeat_interval_ms,
            rebalance_timeout_ms=s.kafka_rebalance_timeout_ms,
            max_workers=1,
            # Bounded prefetch: one record is handled at a time, and no more is fetched than this.
            fetch_max_bytes=s.kafka_fetch_max_bytes,
            max_partition_fetch_bytes=s.kafka_max_partition_fetch_bytes,
            listener=self.assignment,
            # Our handlers read the raw bytes themselves. FastStream's own decoder would try the
            # body as JSON first, and a body nested deep enough raises RecursionError there, before
            # any handler runs: the record was nacked and retried forever, holding its partition.
            decoder=_undecoded,
        )
        subscriber(self._on_record)
        self._subscriber = subscriber

    def membership(self) -> str | None:
        """None when this consumer is in its group and reading; otherwise what is wrong (for readiness)."""
        if self._subscriber is None or getattr(self._subscriber, "consumer", None) is None:
            return "not started"
        if any(task.done() for task in getattr(self._subscriber, "tasks", ())):
            return "consume loop stopped"
        if not self.assignment.joined:
            return "not yet assigned partitions"
        return None

    async def _on_record(self, message: KafkaMessage) -> None:
        raw = message.raw_message
        await self.process(
            ConsumedRecord(
                topic=raw.topic,
                partition=raw.partition,
                offset=raw.offset,
                key=raw.key,
                value=raw.value or b"",
                headers=tuple(raw.headers or ()),
            )
        )

    async def handle(self, record: ConsumedRecord) -> bool:
        """Apply the record; return False if it was not for this consumer. Raise Rejected to park it."""
        raise NotImplementedError

    async def process(self, record: ConsumedRecord) -> None:
        structlog.contextvars.bind_contextvars(consumer=self.group, partition=record.partition, offset=record.offset)
        try:
            with tracing.consuming(record.topic, group=self.group, partition=record.partition, offset=record.offset,
                                   headers=record.headers, event_type=_type_of(record)):
                await self._handle_with_retries(record)
            fault_point(f"{self.group}.after-handle")
        finally:
            structlog.contextvars.unbind_contextvars(
                "consumer", "partition", "offset", "correlation_id", "event_id", "event_type"
            )

    async def _handle_with_retries(self, record: ConsumedRecord) -> None:
        s = self._settings
        delay = s.consumer_backoff_initial_ms / 1000
        attempt = 0
        while attempt < s.consumer_max_attempts:
            attempt += 1
            started = time.perf_counter()
            try:
                if await self.handle(record):
                    self.handled += 1
                    elapsed = time.perf_counter() - started
                    metrics.HANDLER_SECONDS.labels(self.group).observe(elapsed)
                    metrics.EVENTS_CONSUMED.labels(self.group, _type_of(record), "handled").inc()
                    log.info("event_handled", attempt=attempt, duration_ms=round(elapsed * 1000, 1))
                else:
                    metrics.EVENTS_CONSUMED.labels(self.group, _type_of(record), "not_for_this_consumer").inc()
                return
            except Rejected as exc:
                await self._park(record, reason=str(exc), error=exc, attempts=attempt)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if is_outage(exc):
                    # The database (or broker) is away, not the record at fault: parking it would lose a good
                    # event to a restart. Wait it out, holding the partition; the attempt does not count.
                    attempt -= 1
                    metrics.RETRIES.labels(self.group).inc()
                    log.warning("event_handler_waiting_for_outage", error_type=type(exc).__name__)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, s.consumer_backoff_max_ms / 1000)
                    continue
                if attempt == s.consumer_max_attempts:
                    await self._park(record, reason=_describe(exc), error=exc, attempts=attempt)
                    return
                metrics.RETRIES.labels(self.group).inc()
                log.warning("event_handler_retrying", attempt=attempt, error_type=type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, s.consumer_backoff_max_ms / 1000)

    async def dead_letter_value(self, record: ConsumedRecord) -> bytes:
        """What the dead letter carries as its value: the record's own, unless a consumer seals it."""
        return record.value

    async def _park(self, record: ConsumedRecord, *, reason: str, error: BaseException, attempts: int) -> None:
        # Sealed once, and the same sealed value kept in both places: the archive row is as unreadable after
        # an erasure as the dead-letter topic's copy.
        value = await self.dead_letter_value(record)
        if self.archive is not None:
            # First: should the topic publish fail, the record is redelivered and the row is not doubled.
            await self.archive.record(record, consumer_group=self.group, reason=reason,
                                      error_type=type(error.__cause__ or error).__name__, attempts=attempts,
                                      value=value)
        await dead_letter(
            self._producer,
            self.dead_letter_topic,
            record,
            consumer_group=self.group,
            reason=reason,
            error_type=type(error.__cause__ or error).__name__,
            attempts=attempts,
            value_instead=value,
        )
        self.dead_lettered += 1
        tracing.mark_failed(trace.get_current_span(), error)
        metrics.DEAD_LETTERED.labels(self.group, type(error.__cause__ or error).__name__).inc()
        metrics.EVENTS_CONSUMED.labels(self.group, _type_of(record), "dead_lettered").inc()
        log.error("event_dead_lettered", error_type=type(error).__name__, attempts=attempts)


class _Assignment(ConsumerRebalanceListener):
    """Remembers the partitions the group gave this member (an empty set is a valid assignment:
    more replicas than partitions). Joined once is what readiness asks; a rebalance later is routine."""

    def __init__(self) -> None:
        self.joined = False
        self.partitions: frozenset[int] = frozenset()

    async def on_partitions_revoked(self, revoked) -> None:
        self.partitions = frozenset()

    async def on_partitions_assigned(self, assigned) -> None:
        self.joined = True
        self.partitions = frozenset(tp.partition for tp in assigned)
        log.info("partitions_assigned", partitions=sorted(self.partitions))


class EventConsumer(RecordConsumer):
    """Consumes our own events: envelope and payload validated against their contracts, and the
    envelope's signature checked against the topic's owner before any handler sees it."""

    def __init__(self, *, handlers: dict[str, Handler], verifier: EnvelopeVerifier | None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.handlers = handlers
        # None only where consumers are built to be described, not run (the API docs): register()
        # and handle() refuse to work without one, so nothing is ever consumed unverified.
        self._verifier = verifier

    def register(self, broker: KafkaBroker) -> None:
        if self._verifier is None:
            raise RuntimeError(f"{self.group}: an event consumer needs the services' public keys to run")
        super().register(broker)

    async def handle(self, record: ConsumedRecord) -> bool:
        if len(record.value) > MAX_EVENT_BYTES:
            raise Rejected(f"event too large: {len(record.value)} bytes, at most {MAX_EVENT_BYTES}")
        if json_depth_exceeds(record.value, MAX_JSON_DEPTH):
            raise Rejected(f"malformed event: JSON nested deeper than {MAX_JSON_DEPTH} levels")
        try:
            envelope = Envelope.model_validate_json(record.value)
        except ValidationError as exc:
            raise Rejected(f"malformed event: {_describe(exc)}") from exc
        if self._verifier is None:
            raise RuntimeError(f"{self.group}: no verifier, the event cannot be trusted")
        try:
            # Before the payload is read and before any handler, for every type (even ones this
            # consumer ignores): a forged record is parked where operators see it, named as forged,
            # and never touches the inbox or a table. No retry: it would fail the same way.
            self._verifier.verify(envelope, Topics(self._settings.topic_prefix).base(record.topic))
        except ForgedEnvelope as exc:
            raise Rejected(str(exc)) from exc
        try:
            payload = parse_data(envelope)
        except (UnknownEventType, ValueError) as exc:
            raise Rejected(f"malformed event: {_describe(exc)}") from exc
        _check_transport(record, envelope)
        structlog.contextvars.bind_contextvars(
            correlation_id=str(envelope.correlationid), event_id=str(envelope.id), event_type=envelope.type
        )
        span = trace.get_current_span()
        span.set_attribute("referrals.correlation_id", str(envelope.correlationid))
        span.set_attribute("cloudevents.event_id", str(envelope.id))
        span.set_attribute("cloudevents.event_subject", envelope.subject)
        handler = self.handlers.get(envelope.type)
        if handler is None:
            # A topic carries every event type of its aggregate; this consumer needs only some.
            return False
        log.info("event_received")
        await delay_point(f"{self.group}.before-handle")
        failure_point(f"{self.group}.handler")
        await handler(envelope, payload)
        return True


def _check_transport(record: ConsumedRecord, envelope: Envelope) -> None:
    """What travels beside the signed envelope must agree with it: the key is the event's subject (so one
    aggregate's events stay in order on one partition) and the type header is the event's type (what
    monitoring and tracing count it as). Neither is signed, so a record that disagrees was not written by
    our relay: it is parked, not guessed at. The values are not echoed: a key can be anything."""
    if record.key is None:
        raise Rejected("wrong key: the record has no key; an event's key is its subject (the aggregate's id)")
    if record.key != envelope.subject.encode():
        raise Rejected("wrong key: the record's key is not its event's subject (the aggregate's id)")
    types = [value for name, value in record.headers if name == TYPE_HEADER]
    if not types:
        raise Rejected(f"missing header: {TYPE_HEADER} (the event's type)")
    if types != [envelope.type.encode()]:
        raise Rejected(f"wrong header: {TYPE_HEADER} is not the event's type")


async def _undecoded(message) -> bytes:
    return message.body


def _type_of(record: ConsumedRecord) -> str:
    """The CloudEvents type from the record's headers, without parsing the body."""
    for key, value in record.headers:
        if key == "ce_type":
            return value.decode(errors="replace")[:100]
    return "unknown"


def is_outage(exc: BaseException) -> bool:
    """True when the error says a connection to the database or broker failed, not that the record is bad.

    Follows the chain of causes: SQLAlchemy wraps asyncpg's errors, which wrap the socket's.
    """
    seen = set()
    error: BaseException | None = exc
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, OUTAGES):
            return True
        error = getattr(error, "orig", None) or error.__cause__ or error.__context__
    return False


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        # Field locations and messages only: never echo the input values (personal data).
        return "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in exc.errors(include_input=False)
        )
    if isinstance(exc, DBAPIError):
        # The database's message and the statement's parameters can hold what was sent (names,
        # postcodes): only the kind of failure and its SQLSTATE go into the reason.
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        return f"{type(exc.orig).__name__} (database error{f' {code}' if code else ''})"
    return f"{type(exc).__name__}: {exc}"[:2000]
