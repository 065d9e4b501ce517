"""What an event consumer refuses before any handler runs (shared/platform/messaging/consumer.py): records
too large or too deep, and records whose key or type header disagree with the signed envelope. Each is a
`Rejected` (parked at once, no retry) whose reason says what is wrong; a record that agrees reaches its
handler. Signed with the library's own keys; no broker."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

import pytest

from shared.platform.messaging.consumer import EventConsumer, Rejected
from shared.platform.messaging.dead_letter import ConsumedRecord
from shared.platform.messaging.signing import (
    EnvelopeSigner,
    EnvelopeVerifier,
    format_verify_keys,
    generate_private_key,
    parse_verify_keys,
    public_key_text,
)
from shared.platform.sealing import generate_key_encryption_key
from shared.platform.settings import PlatformSettings
from shared.schemas.envelope import new_envelope
from shared.schemas.events.session import SessionRevoked
from shared.schemas.topics import SESSIONS

IDENTITY_KEY = generate_private_key()
VERIFY_KEYS = format_verify_keys({"identity": public_key_text(IDENTITY_KEY)})
SETTINGS = PlatformSettings(DATABASE_URL="postgresql://u@db/referrals", KAFKA_BOOTSTRAP_SERVERS="kafka:9092",
                            AUTH_SECRET=secrets.token_hex(32), EVENT_SIGNING_KEY=IDENTITY_KEY, EVENT_VERIFY_KEYS=VERIFY_KEYS,
                            DATA_ENCRYPTION_KEY=generate_key_encryption_key())


def consumer(handled: list) -> EventConsumer:
    async def on_revoked(envelope, payload) -> None:
        handled.append(payload)

    return EventConsumer(
        handlers={"identity.session_revoked": on_revoked},
        verifier=EnvelopeVerifier(parse_verify_keys(VERIFY_KEYS)),
        group="triage.identity.sessions", topic=SESSIONS, dead_letter_topic=f"{SESSIONS}.dead-letter",
        producer=None, settings=SETTINGS,
    )


def revocation_bytes(**extra_data) -> tuple[bytes, bytes]:
    """A signed identity.session_revoked as identity's relay writes it: (key, value)."""
    account_id = uuid.uuid4()
    now = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    event = SessionRevoked(session_id=uuid.uuid4(), account_id=account_id, expires_at=now, reason="signed_out",
                           revoked_at=now)
    envelope = new_envelope(event, source="/services/identity", subject=str(account_id), correlation_id=uuid.uuid4())
    signed = EnvelopeSigner("identity", IDENTITY_KEY).sign(envelope, SESSIONS)
    return str(account_id).encode(), signed.model_dump_json().encode()


def record(value: bytes, key: bytes | None, headers=(("ce_type", b"identity.session_revoked"),)) -> ConsumedRecord:
    return ConsumedRecord(SESSIONS, 0, 0, key, value, tuple(headers))


async def refused(value: bytes, key: bytes | None, **kwargs) -> str:
    handled: list = []
    with pytest.raises(Rejected) as refusal:
        await consumer(handled).handle(record(value, key, **kwargs))
    assert handled == []
    return str(refusal.value)


async def test_a_record_that_agrees_with_its_signed_envelope_reaches_the_handler():
    handled: list = []
    key, value = revocation_bytes()
    assert await consumer(handled).handle(record(value, key)) is True
    assert [str(p.account_id).encode() for p in handled] == [key]


async def test_a_record_keyed_by_anything_but_its_subject_is_refused():
    key, value = revocation_bytes()
    assert await refused(value, b"someone-else") == (
        "wrong key: the record's key is not its event's subject (the aggregate's id)")
    assert (await refused(value, None)).startswith("wrong key: the record has no key")


async def test_a_record_without_its_type_header_or_with_another_type_in_it_is_refused():
    key, value = revocation_bytes()
    assert await refused(value, key, headers=()) == "missing header: ce_type (the event's type)"
    assert await refused(value, key, headers=[("ce_type", b"case.closed")]) == (
        "wrong header: ce_type is not the event's type")


async def test_a_record_over_the_size_limit_is_refused_before_it_is_parsed():
    key, _ = revocation_bytes()
    huge = b'{"a": "' + b"x" * 300_000 + b'"}'
    assert await refused(huge, key) == f"event too large: {len(huge)} bytes, at most {256 * 1024}"


async def test_a_record_nested_deeper_than_any_event_is_refused_before_it_is_parsed():
    key, _ = revocation_bytes()
    assert await refused(b"[" * 1000 + b"]" * 1000, key) == "malformed event: JSON nested deeper than 32 levels"
