"""Readiness asks the real dependencies: a broker that stops, or a database that is not there, makes it say no."""

from __future__ import annotations

import asyncio

import pytest

from shared.platform.db import make_engine
from shared.platform.health import broker_problem, database_problem
from shared.platform.messaging.kafka import make_producer
from referrals.embedded import EmbeddedKafka, free_port

pytestmark = pytest.mark.integration


async def test_the_broker_check_notices_a_broker_that_has_gone(tmp_path):
    # A broker of this test's own (the real Tansu binary), so stopping it disturbs no other test.
    broker = EmbeddedKafka(free_port(), log_path=tmp_path / "broker.log")
    broker.start()
    producer = make_producer(broker.bootstrap_servers)
    try:
        await producer.start()
        assert await broker_problem(producer) is None
        broker.stop()
        # The producer still has its metadata cached; the check must not be fooled by it.
        problem = await broker_problem(producer, timeout_s=3)
        assert problem is not None
    finally:
        broker.stop()
        await asyncio.wait_for(producer.stop(), timeout=10)


async def test_the_database_check_answers_for_the_real_database_only(infrastructure):
    engine = make_engine(await infrastructure.create_database("ready"))
    missing = make_engine(f"postgresql://nobody:nothing@127.0.0.1:{free_port()}/nowhere")
    try:
        assert await database_problem(engine) is None
        assert await database_problem(missing) in ("ConnectionRefusedError", "OSError", "TimeoutError")
    finally:
        await engine.dispose()
        await missing.dispose()
