"""The five services as real processes, on their own database and topics, for one test."""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.platform.auth import issue_staff_token
from shared.platform.messaging.kafka import ensure_topics
from referrals import dbroles
from referrals.embedded import free_port
from referrals.launcher import SERVICES, WORKSPACE, ServiceProcess, event_key_env, workspace_env
from shared.platform.messaging.signing import EnvelopeSigner, generate_private_key
from shared.platform.sealing import generate_key_encryption_key
from shared.schemas.topics import CONSUMER_GROUPS, Topics

from .infrastructure import Infrastructure


@dataclass
class System:
    infra: Infrastructure
    database_url: str
    topics: Topics
    env: dict[str, str]
    log_dir: Path
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    # Each service's own event signing key, made for this system alone.
    signing_keys: dict[str, str] = field(default_factory=lambda: {n: generate_private_key() for n in SERVICES})
    # Each service's own key-encryption key for personal data (shared/platform/sealing.py).
    data_encryption_keys: dict[str, str] = field(
        default_factory=lambda: {n: generate_key_encryption_key() for n in SERVICES})

    def signer(self, service: str) -> EnvelopeSigner:
        """Signs as `service` would: for tests that publish a service's events themselves."""
        return EnvelopeSigner(service, self.signing_keys[service])
    # Each service's own DATABASE_URL (its own role); empty when the server's user may not create roles.
    service_database_urls: dict[str, str] = field(default_factory=dict)

    @property
    def secret(self) -> str:
        return self.env["AUTH_SECRET"]

    @property
    def scraper_headers(self) -> dict[str, str]:
        """What Prometheus presents at /metrics: the deployment's scrape token."""
        return {"Authorization": f"Bearer {self.env['METRICS_SCRAPE_TOKEN']}"}

    def url(self, service: str) -> str:
        return self.processes[service].url

    def staff_headers(self, *roles: str, subject: str = "test-staff", worker_id: str | None = None,
                      programmes: list[str] | None = None, sites: list[str] | None = None,
                      partner_id: str | None = None) -> dict[str, str]:
        """A staff token; a volunteer's or connector's acts as `worker_id` (its own cases only); one naming
        `programmes` works in those only."""
        token = issue_staff_token(self.secret, subject, list(roles), worker_id=worker_id, programmes=programmes,
                                  sites=sites, partner_id=partner_id)
        return {"Authorization": f"Bearer {token}"}

    def start(self, *names: str, extra_env: dict[str, str] | None = None, replica: int | None = None) -> None:
        """Start services; `replica=n` starts another instance of each, known as '<name>-<n>'."""
        names = names or SERVICES
        started = []
        for name in names:
            key = f"{name}-{replica}" if replica else name
            own = {"DATABASE_URL": self.service_database_urls[name]} if name in self.service_database_urls else {}
            env = {**self.env, **event_key_env(self.signing_keys, self.data_encryption_keys)[name], **own, **(extra_env or {})}
            process = ServiceProcess(name, free_port(), env, self.log_dir / f"{key}.log")
            process.start()
            self.processes[key] = process
            started.append(process)
        for process in started:
            process.wait_ready()

    def start_workspace(self) -> str:
        """The staff workspace, calling this system's services (started first); its URL."""
        env = {**self.env, **workspace_env({name: self.url(name) for name in SERVICES}),
               "WORKSPACE_COOKIE_SECURE": "false"}  # the tests' plain http
        process = ServiceProcess(WORKSPACE, free_port(), env, self.log_dir / f"{WORKSPACE}.log")
        process.start()
        self.processes[WORKSPACE] = process
        process.wait_ready()
        return process.url

    def stop(self, *names: str) -> None:
        for name in names or list(self.processes):
            self.processes[name].stop()

    def log_lines(self, service: str) -> list[str]:
        path = self.log_dir / f"{service}.log"
        return path.read_text().splitlines() if path.exists() else []

    async def sql(self, query: str, *args):
        """As the server's admin user: tests may read across the services' schemas."""
        conn = await asyncpg.connect(self.database_url)
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()

    async def wait_for(self, query: str, *args, predicate=lambda rows: bool(rows), timeout_s: float = 60):
        deadline = asyncio.get_running_loop().time() + timeout_s
        rows = []
        while asyncio.get_running_loop().time() < deadline:
            rows = await self.sql(query, *args)
            if predicate(rows):
                return rows
            await asyncio.sleep(0.2)
        raise AssertionError(f"timed out waiting for {query!r}; last rows: {rows}")

    async def setup_partner(self, programmes=("demo",), partner_id: str = "test-gp", attests_consent: bool = False) -> str:
        admin = self.staff_headers("admin")
        async with httpx.AsyncClient(base_url=self.url("intake"), timeout=10) as client:
            for programme in programmes:
                await client.put(f"/v1/programmes/{programme}", headers=admin, json={"name": f"Programme {programme}"})
            created = await client.post(
                "/v1/partners", headers=admin,
                json={"id": partner_id, "name": "Test GP", "allowed_programmes": list(programmes),
                      "attests_consent": attests_consent},
            )
            assert created.status_code == 201, created.text
            key = await client.post(f"/v1/partners/{partner_id}/api-keys", headers=admin)
            assert key.status_code == 201, key.text
            return key.json()["api_key"]

    async def add_worker(self, role: str = "connector", capacity: str = "21", programme: str = "demo",
                         auto_accept: bool = True, **profile) -> str:
        """A worker; by default one who takes offers at once (tests of offers turn that off)."""
        async with httpx.AsyncClient(base_url=self.url("caseload"), timeout=10) as client:
            response = await client.post(
                "/v1/workers", headers=self.staff_headers("coordinator"),
                json={"name": f"{role} {uuid.uuid4().hex[:4]}", "role": role, "programme_id": programme,
                      "capacity_hours": capacity, "auto_accept_offers": auto_accept, **profile},
            )
            assert response.status_code == 201, response.text
            return response.json()["id"]

    async def read_topic(self, topic: str, *, min_records: int = 0, timeout_s: float = 20) -> list:
        """Every record on a topic, read from the beginning without a consumer group."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.infra.bootstrap_servers, enable_auto_commit=False, group_id=None,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            partitions = await _partitions(consumer, topic)
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            end = await consumer.end_offsets(partitions)
            records = []
            deadline = asyncio.get_running_loop().time() + timeout_s
            while asyncio.get_running_loop().time() < deadline:
                batch = await consumer.getmany(timeout_ms=500)
                for items in batch.values():
                    records.extend(items)
                done = all([await consumer.position(tp) >= end[tp] for tp in partitions])
                if done and len(records) >= min_records:
                    break
                if done:
                    end = await consumer.end_offsets(partitions)
            return records
        finally:
            await consumer.stop()

    async def events_on(self, topic: str, **kwargs) -> list[dict]:
        return [json.loads(r.value) | {"_key": r.key.decode() if r.key else None}
                for r in await self.read_topic(topic, **kwargs)]

    async def produce_raw(self, topic: str, value: bytes, key: bytes | None = None, headers=None) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.infra.bootstrap_servers)
        await producer.start()
        try:
            await producer.send_and_wait(topic, value, key=key, headers=headers)
        finally:
            await producer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str):
    from aiokafka.structs import TopicPartition

    for _ in range(50):
        parts = consumer.partitions_for_topic(topic)
        if parts:
            return [TopicPartition(topic, p) for p in sorted(parts)]
        await consumer._client.force_metadata_update()  # noqa: SLF001 - metadata for a topic we did not subscribe to
        await asyncio.sleep(0.1)
    raise AssertionError(f"topic {topic} not found")


async def new_system(infra: Infrastructure, log_dir: Path) -> System:
    database_url = await infra.create_database()
    service_urls = await dbroles.provision(database_url, infra.role_password)
    topics = Topics(prefix=f"t{uuid.uuid4().hex[:10]}.")
    await ensure_topics(infra.bootstrap_servers, topics, list(CONSUMER_GROUPS))
    env = {
        # The admin's: each service started by System.start gets its own role's instead, when there are roles.
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
        "TOPIC_PREFIX": topics.prefix,
        "AUTH_SECRET": secrets.token_urlsafe(40),
        "METRICS_SCRAPE_TOKEN": secrets.token_urlsafe(40),
        "LOG_LEVEL": "INFO",
        "CONSUMER_MAX_ATTEMPTS": "3",
        "CONSUMER_BACKOFF_INITIAL_MS": "50",
        "GRACEFUL_TIMEOUT_S": "10",
    }
    if infra.embedded_broker:
        env |= {"KAFKA_SESSION_TIMEOUT_MS": "6000", "KAFKA_REBALANCE_TIMEOUT_MS": "1000"}
    return System(infra, database_url.replace("+asyncpg", ""), topics, env, log_dir,
                  service_database_urls=service_urls or {})
