"""Dead letters: the original record, plus headers saying what went wrong.

The value and key are kept unchanged, so the record can be replayed once the cause is
mended; credentials among its headers are not (a dead-letter topic is read by operators).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer


# Headers that authenticate the sender: a dead letter keeps that they were there, never their value.
CREDENTIAL_HEADERS = frozenset({"api-key", "authorization", "x-api-key"})
REDACTED = b"[redacted]"


@dataclass(frozen=True)
class ConsumedRecord:
    """A record as consumed from Kafka: what handlers see and, if it fails, what is dead-lettered unchanged."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]


async def dead_letter(
    producer: AIOKafkaProducer,
    dlt_topic: str,
    record: ConsumedRecord,
    *,
    consumer_group: str,
    reason: str,
    error_type: str,
    attempts: int,
    value_instead: bytes | None = None,
) -> None:
    """`value_instead`, when given, is sent in place of the record's value (a consumer that seals what it parks)."""
    headers = [(name, REDACTED if name.lower() in CREDENTIAL_HEADERS else value)
               for name, value in record.headers if not name.startswith("dlt.")]
    headers += [
        ("dlt.reason", reason[:4000].encode()),
        ("dlt.error_type", error_type.encode()),
        ("dlt.original_topic", record.topic.encode()),
        ("dlt.original_partition", str(record.partition).encode()),
        ("dlt.original_offset", str(record.offset).encode()),
        ("dlt.consumer_group", consumer_group.encode()),
        ("dlt.attempts", str(attempts).encode()),
        ("dlt.failed_at", datetime.now(UTC).isoformat().encode()),
    ]
    value = record.value if value_instead is None else value_instead
    await producer.send_and_wait(dlt_topic, value, key=record.key, headers=headers)
