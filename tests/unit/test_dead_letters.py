"""Dead letters are read by operators: they keep the record, never its credentials or the person's data."""

from __future__ import annotations

import asyncpg
from sqlalchemy.exc import DBAPIError, IntegrityError

from shared.platform.messaging.consumer import RecordConsumer, _describe, is_outage
from shared.platform.messaging.dead_letter import ConsumedRecord, dead_letter


class Producer:
    def __init__(self) -> None:
        self.sent = []

    async def send_and_wait(self, topic, value, key=None, headers=None):
        self.sent.append((topic, value, key, headers))


async def test_credentials_in_headers_are_redacted_and_the_record_kept():
    producer = Producer()
    record = ConsumedRecord("intake.partner-submissions", 0, 7, b"REF-1", b'{"x": 1}',
                            (("partner-id", b"gp-1"), ("api-key", b"rk_abc_secret"), ("Authorization", b"Bearer t")))
    await dead_letter(producer, "dlt", record, consumer_group="g", reason="r", error_type="Rejected", attempts=1)
    [(_, value, key, headers)] = producer.sent
    kept = dict(headers)
    assert (value, key, kept["partner-id"]) == (b'{"x": 1}', b"REF-1", b"gp-1")
    assert kept["api-key"] == kept["Authorization"] == b"[redacted]"


def test_a_database_error_is_described_by_its_kind_not_its_statement_or_values():
    orig = asyncpg.exceptions.UniqueViolationError("duplicate key value: Key (nhs_number)=(9434765919)")
    error = IntegrityError("INSERT INTO persons (given_name_key) VALUES ($1)", {"given_name_key": "margaret"}, orig)
    described = _describe(error)
    assert "UniqueViolationError" in described
    for leaked in ("9434765919", "margaret", "INSERT"):
        assert leaked not in described
    assert isinstance(error, DBAPIError)


def test_other_errors_keep_their_own_words():
    assert _describe(RuntimeError("database unavailable")) == "RuntimeError: database unavailable"


class Archive:
    """Records what the consumer asked it to keep, and what had reached the topic by then."""

    def __init__(self, producer: Producer) -> None:
        self.kept = []
        self._producer = producer

    async def record(self, record, **details):
        self.kept.append((record, details, len(self._producer.sent)))


def _settings():
    import secrets

    from shared.platform.settings import PlatformSettings
    from tests.support.event_keys import EVENT_KEYS

    return PlatformSettings(DATABASE_URL="postgresql://h/db", KAFKA_BOOTSTRAP_SERVERS="k:9092",
                            AUTH_SECRET=secrets.token_urlsafe(40), CONSUMER_MAX_ATTEMPTS=2,
                            CONSUMER_BACKOFF_INITIAL_MS=1, **EVENT_KEYS)


async def test_a_parked_record_is_kept_in_the_archive_before_it_goes_to_the_topic():
    from shared.platform.messaging.consumer import RecordConsumer

    class Failing(RecordConsumer):
        async def handle(self, record):
            raise RuntimeError("the programme is missing")

    producer = Producer()
    consumer = Failing(group="g", topic="t", dead_letter_topic="g.dead-letter", producer=producer,
                       settings=_settings())
    consumer.archive = archive = Archive(producer)
    record = ConsumedRecord("t", 0, 3, b"k", b"{}", ())
    await consumer.process(record)
    [(kept, details, sent_before)] = archive.kept
    assert kept == record and sent_before == 0
    assert details == {"consumer_group": "g", "reason": "RuntimeError: the programme is missing",
                       "error_type": "RuntimeError", "attempts": 2, "value": b"{}"}
    assert [topic for topic, *_ in producer.sent] == ["g.dead-letter"]


async def test_a_sealed_dead_letter_value_is_what_the_archive_keeps_and_the_topic_carries():
    from shared.platform.messaging.consumer import RecordConsumer

    class SealingFailing(RecordConsumer):
        async def handle(self, record):
            raise RuntimeError("unreadable")

        async def dead_letter_value(self, record):
            return b"sealed:v1:submission-1:AAAA"

    producer = Producer()
    consumer = SealingFailing(group="g", topic="t", dead_letter_topic="g.dead-letter", producer=producer,
                              settings=_settings())
    consumer.archive = archive = Archive(producer)
    await consumer.process(ConsumedRecord("t", 0, 4, b"k", b'{"given_name": "Ottoline"}', ()))
    [(_, details, _)] = archive.kept
    assert details["value"] == b"sealed:v1:submission-1:AAAA"
    assert [value for _, value, *_ in producer.sent] == [b"sealed:v1:submission-1:AAAA"]


def test_a_payload_is_read_as_json_when_it_is_json_and_as_text_otherwise():
    from shared.platform.messaging.dead_letter_archive import readable_payload

    assert readable_payload(b'{"data": {"a": 1}}') == {"data": {"a": 1}}
    assert readable_payload(b"{not json \xff") == "{not json \ufffd"


class Settings:
    topic_prefix = ""
    consumer_max_attempts = 3
    consumer_backoff_initial_ms = 1
    consumer_backoff_max_ms = 2


class Flaky(RecordConsumer):
    """Fails with the given errors in turn, then applies the record."""

    def __init__(self, errors: list[BaseException]) -> None:
        super().__init__(group="g", topic="t", dead_letter_topic="dlt", producer=Producer(), settings=Settings())
        self.errors = errors
        self.calls = 0

    async def handle(self, record: ConsumedRecord) -> bool:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return True


def outage_in_sqlalchemy() -> BaseException:
    """As SQLAlchemy raises a refused connection: its error, with asyncpg's and the socket's beneath."""
    try:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except ConnectionRefusedError as refused:
            raise DBAPIError("SELECT 1", {}, asyncpg.exceptions.CannotConnectNowError("starting up")) from refused
    except DBAPIError as error:
        return error


async def test_a_database_outage_is_waited_out_however_long_and_the_record_applied_not_parked():
    consumer = Flaky([outage_in_sqlalchemy() for _ in range(7)] + [ConnectionRefusedError(111, "refused")] * 2)
    await consumer.process(ConsumedRecord("t", 0, 1, b"k", b"{}", ()))
    assert (consumer.calls, consumer.handled, consumer.dead_lettered) == (10, 1, 0)
    assert consumer._producer.sent == []


async def test_a_record_that_keeps_failing_for_its_own_reasons_is_parked_after_its_attempts():
    consumer = Flaky([outage_in_sqlalchemy(), RuntimeError("bad"), RuntimeError("bad"), RuntimeError("bad")])
    await consumer.process(ConsumedRecord("t", 0, 1, b"k", b"{}", ()))
    assert (consumer.calls, consumer.handled, consumer.dead_lettered) == (4, 0, 1)
    [(topic, _, _, headers)] = consumer._producer.sent
    assert topic == "dlt" and dict(headers)["dlt.reason"] == b"RuntimeError: bad"


def test_what_counts_as_an_outage():
    assert is_outage(outage_in_sqlalchemy())
    assert is_outage(asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"))
    assert not is_outage(IntegrityError("INSERT", {}, asyncpg.exceptions.UniqueViolationError("duplicate key")))
    assert not is_outage(ValueError("not a uuid"))
