"""Dead letters are read by operators: they keep the record, never its credentials or the person's data."""

from __future__ import annotations

import asyncpg
from sqlalchemy.exc import DBAPIError, IntegrityError

from shared.platform.messaging.consumer import _describe
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
