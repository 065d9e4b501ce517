"""Each service's own record of its dead letters: listed, inspected, replayed or discarded from here.

A dead-letter topic is no place to act from: it is read only with a Kafka client, and the embedded
broker forgets it when it stops. So when a consumer parks a record it also writes it here, in the
service's own schema (before the topic, so a record is never acknowledged without its row). Operators
list and replay through the admin API (shared/platform/dead_letter_routes.py) or `referrals dead-letters`.

Replay publishes the original record, unchanged, to its original topic with a `replay-of` header: the
normal consumer handles it, and its inbox applies an event that was already applied no second time, so
replaying twice has one effect. A replay that fails again comes back to the same row. Every action
(replay, discard, reading the payload) is written to `dead_letter_actions`, which is only appended to.

Some records cannot be published again as they were: a partner's submission is authenticated by an API key
that was redacted before the record was kept. Its consumer replays those itself, in process (a `Replayer`
registered for its group): the archive hands it the record as kept, and it decides, as the service, whether
and as whom the record may be handled again. A refusal or a second failure is written to the history too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from sqlalchemy.dialects.postgresql import JSONB, UUID, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.platform.sealing import PREFIX as SEALED_PREFIX
from shared.platform.sealing import KeyDestroyed, KeyEncryptionKey, Sealer
from shared.platform.sealing_sql import SqlDataKeyStore, data_keys_table

from .dead_letter import CREDENTIAL_HEADERS, REDACTED, ConsumedRecord

TABLE = "dead_letters"
ACTIONS_TABLE = "dead_letter_actions"
REPLAY_HEADER = "replay-of"
STATUSES = ("dead", "replayed", "discarded")


def dead_letters_table(metadata: sa.MetaData, schema: str) -> sa.Table:
    return sa.Table(
        TABLE,
        metadata,
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("consumer_group", sa.Text, nullable=False, comment="base group name, without deployment prefix"),
        sa.Column("topic", sa.Text, nullable=False, comment="the topic the record was consumed from, as named"),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False,
                  comment="sha256 of topic, partition, offset and value: one row however often it is parked"),
        sa.Column("message_key", sa.LargeBinary),
        sa.Column("value", sa.LargeBinary, nullable=False, comment="the record as consumed; may hold personal data"),
        sa.Column("headers", JSONB, nullable=False, comment="[[name, base64 value]], credentials redacted"),
        sa.Column("event_id", sa.Text, comment="the CloudEvents id when the record had one"),
        sa.Column("event_type", sa.Text),
        sa.Column("reason", sa.Text, nullable=False, comment="what failed: no personal data"),
        sa.Column("error_type", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text, nullable=False, comment="dead, replayed or discarded"),
        sa.Column("replays", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_replayed_at", sa.DateTime(timezone=True)),
        sa.Column("discard_reason", sa.Text),
        sa.UniqueConstraint("consumer_group", "fingerprint", name=f"uq_{TABLE}_group_fingerprint"),
        sa.Index(f"ix_{TABLE}_status_failed_at", "status", "failed_at"),
        schema=schema,
    )


def dead_letter_actions_table(metadata: sa.MetaData, schema: str) -> sa.Table:
    return sa.Table(
        ACTIONS_TABLE,
        metadata,
        sa.Column("position", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("dead_letter_id", UUID(as_uuid=True), nullable=False),
        sa.Column("action", sa.Text, nullable=False, comment="replayed, discarded, payload_read or failed_again"),
        sa.Column("actor", sa.Text, nullable=False, comment="the staff subject, or the consumer group"),
        sa.Column("note", sa.Text),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Index(f"ix_{ACTIONS_TABLE}_dead_letter", "dead_letter_id"),
        schema=schema,
    )


def create_dead_letter_tables(op, schema: str) -> None:
    """Used by each service's migration that adds the tables. The database refuses to change or delete an
    action once written: the history of who replayed, discarded or read what is evidence."""
    metadata = sa.MetaData()
    for table in (dead_letters_table(metadata, schema), dead_letter_actions_table(metadata, schema)):
        table.create(op.get_bind(), checkfirst=True)
    op.execute(f"""
        CREATE FUNCTION {schema}.dead_letter_actions_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'dead letter actions are append-only' USING ERRCODE = 'insufficient_privilege';
        END $$""")
    op.execute(f"""
        CREATE TRIGGER dead_letter_actions_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
        ON {schema}.{ACTIONS_TABLE} FOR EACH STATEMENT EXECUTE FUNCTION {schema}.dead_letter_actions_are_append_only()""")


def drop_dead_letter_tables(op, schema: str) -> None:
    op.drop_table(ACTIONS_TABLE, schema=schema)
    op.execute(f"DROP FUNCTION {schema}.dead_letter_actions_are_append_only()")
    op.drop_table(TABLE, schema=schema)


def readable_payload(value: bytes) -> Any:
    """The one way a stored record's value is read for a person: JSON if it is JSON, else text.

    Kept alone so that values encrypted per person can be decrypted here, for those allowed, later.
    """
    text = value.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


class NotFound(Exception):
    pass


class Refused(Exception):
    """An action the dead letter's state does not allow (e.g. replaying a discarded one)."""


class FailedAgain(Exception):
    """A record replayed in process that failed again (the reason, with no personal data): it stays dead."""


@dataclass(frozen=True)
class ParkedRecord:
    """A dead letter as kept, for a consumer that replays its own records in process."""

    id: uuid.UUID
    message_key: bytes | None
    headers: tuple[tuple[str, bytes], ...]  # credentials redacted
    value: bytes  # as kept: sealed, when the consumer sealed it
    status: str
    replays: int


# Handles a parked record again; returns a note for the history (no personal data), raises Refused when the
# record may not be replayed, FailedAgain when it was and failed.
Replayer = Callable[[ParkedRecord], Awaitable[str]]


@dataclass(frozen=True)
class Replayed:
    id: uuid.UUID
    topic: str
    replays: int


def sealed_dead_letter_context(schema: str) -> str:
    """The purpose a consumer seals a dead letter's value under, and the archive opens it with."""
    return f"{schema}.dead-letter"


# What a payload read shows for a dead letter sealed for someone since erased.
ERASED = "[erased: the data key this record was sealed under has been destroyed]"


class DeadLetterArchive:
    def __init__(self, engine: AsyncEngine, schema: str, kek: KeyEncryptionKey | None = None,
                 replayers: Mapping[str, Replayer] | None = None) -> None:
        metadata = sa.MetaData()
        self._engine = engine
        self._schema = schema
        # The service's key-encryption key: a dead letter the consumer sealed for a person (intake's partner
        # submissions) is opened for the admin who reads its payload, with the service's own data keys.
        self._kek = kek
        self._replayers = dict(replayers or {})  # consumer group -> the consumer's own replay, in process
        self.table = dead_letters_table(metadata, schema)
        self.actions = dead_letter_actions_table(metadata, schema)

    async def record(self, record: ConsumedRecord, *, consumer_group: str, reason: str, error_type: str,
                     attempts: int, value: bytes | None = None) -> uuid.UUID:
        """Keep a parked record (idempotent: parking the same record again changes nothing). `value`, when
        given, is kept in place of the record's own: what the consumer sealed for the person."""
        t, now = self.table, datetime.now(UTC)
        replay_of = _replay_of(record.headers)
        async with self._engine.begin() as conn:
            if replay_of is not None:
                # A replay that failed again: the same dead letter, dead again, with the new reason.
                row = (await conn.execute(
                    sa.update(t).where(t.c.id == replay_of, t.c.consumer_group == consumer_group)
                    .values(status="dead", reason=reason, error_type=error_type, attempts=attempts, failed_at=now)
                    .returning(t.c.id))).first()
                if row is not None:
                    await self._audit(conn, replay_of, "failed_again", consumer_group, error_type)
                    return replay_of
            kept = [(n, REDACTED if n.lower() in CREDENTIAL_HEADERS else v) for n, v in record.headers
                    if not n.startswith("dlt.") and n != REPLAY_HEADER]
            event_id, event_type = _event_identity(record)
            new_id = uuid.uuid4()
            row = (await conn.execute(
                insert(t).values(
                    id=new_id, consumer_group=consumer_group, topic=record.topic, partition=record.partition,
                    offset=record.offset, fingerprint=_fingerprint(record), message_key=record.key,
                    value=record.value if value is None else value, headers=[[n, base64.b64encode(v).decode()] for n, v in kept],
                    event_id=event_id, event_type=event_type, reason=reason[:4000], error_type=error_type[:200],
                    attempts=attempts, failed_at=now, status="dead",
                ).on_conflict_do_nothing(constraint=f"uq_{TABLE}_group_fingerprint").returning(t.c.id))).first()
            return row.id if row is not None else new_id

    async def find(self, *, status: str | None = None, consumer_group: str | None = None,
                   limit: int = 100) -> list[dict]:
        t = self.table
        query = sa.select(*_summary_columns(t)).order_by(t.c.failed_at, t.c.id).limit(limit)
        if status:
            query = query.where(t.c.status == status)
        if consumer_group:
            query = query.where(t.c.consumer_group == consumer_group)
        async with self._engine.connect() as conn:
            return [dict(r._mapping) for r in await conn.execute(query)]

    async def show(self, dead_letter_id: uuid.UUID) -> dict:
        """What failed and what was done about it; never the payload (see `payload`)."""
        t, a = self.table, self.actions
        async with self._engine.connect() as conn:
            row = (await conn.execute(
                sa.select(*_summary_columns(t), t.c.partition, t.c.offset, t.c.message_key, t.c.headers,
                          t.c.discard_reason).where(t.c.id == dead_letter_id))).first()
            if row is None:
                raise NotFound(f"no dead letter {dead_letter_id}")
            history = await conn.execute(
                sa.select(a.c.action, a.c.actor, a.c.note, a.c.at).where(a.c.dead_letter_id == dead_letter_id)
                .order_by(a.c.position))
        shown = dict(row._mapping)
        shown["message_key"] = row.message_key.decode(errors="replace") if row.message_key is not None else None
        shown["headers"] = [name for name, _ in row.headers]  # names only: values can identify a partner's record
        return shown | {"history": [dict(h._mapping) for h in history]}

    async def payload(self, dead_letter_id: uuid.UUID, actor: str) -> Any:
        """The record's value, read for `actor`; the read is written to the actions log first."""
        t = self.table
        async with self._engine.begin() as conn:
            row = (await conn.execute(sa.select(t.c.value).where(t.c.id == dead_letter_id))).first()
            if row is None:
                raise NotFound(f"no dead letter {dead_letter_id}")
            await self._audit(conn, dead_letter_id, "payload_read", actor, None)
            value = row.value
            if self._kek is not None and value.startswith(SEALED_PREFIX.encode()):
                keys = SqlDataKeyStore(conn, data_keys_table(sa.MetaData(), self._schema))
                try:
                    value = await Sealer(self._kek, keys).open_bytes(
                        value.decode(), context=sealed_dead_letter_context(self._schema))
                except KeyDestroyed:
                    return ERASED
        return readable_payload(value)

    async def replay(self, producer: AIOKafkaProducer, dead_letter_id: uuid.UUID, actor: str) -> Replayed:
        """Publish the original record again to its topic; its consumer's inbox keeps the effect single.

        A group with a replayer of its own is replayed in process instead, while this row is locked (two
        replays of one record run one after the other, so the second sees the first's effect)."""
        t = self.table
        refused: Refused | None = None
        async with self._engine.begin() as conn:
            row = (await conn.execute(sa.select(t).where(t.c.id == dead_letter_id).with_for_update())).first()
            if row is None:
                raise NotFound(f"no dead letter {dead_letter_id}")
            if row.status == "discarded":
                raise Refused(f"dead letter {dead_letter_id} was discarded: it is not replayed")
            headers = [(n, base64.b64decode(v)) for n, v in row.headers]
            replayer = self._replayers.get(row.consumer_group)
            if replayer is not None:
                refused = await self._replay_in_process(conn, row, headers, replayer, actor)
            else:
                headers.append((REPLAY_HEADER, str(row.id).encode()))
                # Published inside the transaction: if the broker refuses, the row stays as it was.
                await producer.send_and_wait(row.topic, row.value, key=row.message_key, headers=headers)
                await self._replayed(conn, row.id, actor, None)
        if refused is not None:  # raised once its history is committed
            raise refused
        return Replayed(row.id, row.topic, row.replays + 1)

    async def _replay_in_process(self, conn, row, headers: list[tuple[str, bytes]], replayer: Replayer,
                                 actor: str) -> Refused | None:
        parked = ParkedRecord(row.id, row.message_key, tuple(headers), row.value, row.status, row.replays)
        try:
            note = await replayer(parked)
        except Refused as exc:
            await self._audit(conn, row.id, "replay_refused", actor, str(exc)[:4000])
            return exc
        except FailedAgain as exc:
            t, reason = self.table, str(exc)[:4000]
            await self._replayed(conn, row.id, actor, None)
            await conn.execute(sa.update(t).where(t.c.id == row.id).values(status="dead", reason=reason))
            await self._audit(conn, row.id, "failed_again", row.consumer_group, reason)
            return Refused(f"dead letter {row.id} was replayed and failed again: {reason}")
        await self._replayed(conn, row.id, actor, note[:4000])
        return None

    async def _replayed(self, conn, dead_letter_id: uuid.UUID, actor: str, note: str | None) -> None:
        t = self.table
        await conn.execute(sa.update(t).where(t.c.id == dead_letter_id).values(
            status="replayed", replays=t.c.replays + 1, last_replayed_at=datetime.now(UTC)))
        await self._audit(conn, dead_letter_id, "replayed", actor, note)

    async def replay_all(self, producer: AIOKafkaProducer, actor: str, *, consumer_group: str | None = None,
                         limit: int = 1000) -> list[Replayed]:
        """Those replayed; one refused (or failed again) stays dead, with why in its history."""
        waiting = await self.find(status="dead", consumer_group=consumer_group, limit=limit)
        replayed = []
        for row in waiting:
            try:
                replayed.append(await self.replay(producer, row["id"], actor))
            except (Refused, NotFound):  # refused, or discarded or gone since it was listed
                continue
        return replayed

    async def discard(self, dead_letter_id: uuid.UUID, actor: str, reason: str) -> None:
        t = self.table
        async with self._engine.begin() as conn:
            row = (await conn.execute(
                sa.update(t).where(t.c.id == dead_letter_id).values(status="discarded", discard_reason=reason)
                .returning(t.c.id))).first()
            if row is None:
                raise NotFound(f"no dead letter {dead_letter_id}")
            await self._audit(conn, dead_letter_id, "discarded", actor, reason)

    async def _audit(self, conn, dead_letter_id: uuid.UUID, action: str, actor: str, note: str | None) -> None:
        await conn.execute(sa.insert(self.actions).values(
            dead_letter_id=dead_letter_id, action=action, actor=actor[:200], note=note, at=datetime.now(UTC)))


def _summary_columns(t: sa.Table) -> list:
    return [t.c.id, t.c.consumer_group, t.c.topic, t.c.event_id, t.c.event_type, t.c.reason, t.c.error_type,
            t.c.attempts, t.c.failed_at, t.c.status, t.c.replays, t.c.last_replayed_at]


def _fingerprint(record: ConsumedRecord) -> str:
    digest = hashlib.sha256(f"{record.topic}\0{record.partition}\0{record.offset}\0".encode())
    digest.update(record.value)
    return digest.hexdigest()


def _replay_of(headers: tuple[tuple[str, bytes], ...]) -> uuid.UUID | None:
    for name, value in headers:
        if name == REPLAY_HEADER:
            try:
                return uuid.UUID(value.decode())
            except ValueError:
                return None
    return None


def _event_identity(record: ConsumedRecord) -> tuple[str | None, str | None]:
    """The event's id and type from its envelope, when the record is one of our events."""
    headers = dict(record.headers)
    event_type = headers.get("ce_type")
    try:
        envelope = json.loads(record.value)
    except (ValueError, RecursionError):
        envelope = None
    event_id = envelope.get("id") if isinstance(envelope, dict) else None
    if event_type is None and isinstance(envelope, dict):
        event_type = envelope.get("type")
    text = lambda v: (v.decode(errors="replace") if isinstance(v, bytes) else str(v))[:200] if v else None  # noqa: E731
    return text(event_id), text(event_type)
