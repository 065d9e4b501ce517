"""The whole system for the fault suite: embedded PostgreSQL, Tansu behind a pausing relay, and every
service (some with replicas) under the supervisor of `referrals up`, in a data directory of its own."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from referrals import dbroles
from referrals.chaos.proxy import PausingRelay
from referrals.embedded import EmbeddedKafka, EmbeddedPostgres, free_port
from referrals.launcher import SERVICES, ServiceProcess, event_key_env
from referrals.supervisor import ServiceCannotStart, Supervisor
from shared.platform.messaging.kafka import ensure_topics
from shared.platform.messaging.signing import generate_private_key
from shared.platform.sealing import generate_key_encryption_key
from shared.schemas.topics import CONSUMER_GROUPS, Topics

DATABASE = "referrals"


def replica_key(name: str, n: int) -> str:
    return name if n == 1 else f"{name}-{n}"


@dataclass
class ChaosStack:
    data_dir: Path
    replicas: dict[str, int]  # service -> how many instances (1 if not named)
    say: Callable[[str], None] = print
    pg: EmbeddedPostgres | None = None
    kafka: EmbeddedKafka | None = None
    relay: PausingRelay | None = None
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    supervisor: Supervisor | None = None
    env: dict[str, str] = field(default_factory=dict)
    topics: Topics = field(default_factory=Topics)
    failure: str | None = None  # set when a service could not start at all
    _watching: threading.Event = field(default_factory=threading.Event)
    _watcher: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.relay.listen_port}"

    @property
    def database_url(self) -> str:
        return self.pg.url_for(DATABASE)

    def url(self, name: str) -> str:
        return self.processes[name].url

    def keys_of(self, name: str) -> list[str]:
        return [key for key in self.processes if key == name or key.startswith(f"{name}-")]

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.pg = EmbeddedPostgres(self.data_dir / "postgres" / "data", free_port())
        self.pg.start()
        self.pg.create_database(DATABASE)
        service_urls = asyncio.run(dbroles.provision(self.database_url, self.pg.password)) or {}
        relay_port = free_port()
        self.kafka = EmbeddedKafka(free_port(), log_path=self.data_dir / "broker.log",
                                   advertised=f"127.0.0.1:{relay_port}")
        self.kafka.start()
        self.relay = PausingRelay(relay_port, self.kafka.port)
        self.relay.start()
        asyncio.run(ensure_topics(self.bootstrap_servers, self.topics, list(CONSUMER_GROUPS)))
        self.env = {
            "DATABASE_URL": self.database_url,
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "AUTH_SECRET": secrets.token_urlsafe(40),
            "METRICS_SCRAPE_TOKEN": secrets.token_urlsafe(40),
            "TOPIC_PREFIX": "",
            "KAFKA_SESSION_TIMEOUT_MS": "6000",
            "KAFKA_REBALANCE_TIMEOUT_MS": "1000",
            "CONSUMER_BACKOFF_INITIAL_MS": "100",
            "GRACEFUL_TIMEOUT_S": "10",
            # Every person on the form comes from this one address here: the rate per address is for
            # strangers, not for the many people the traffic plays.
            "SELF_REFERRALS_PER_MINUTE_PER_ADDRESS": "100000",
            "SELF_REFERRAL_BURST_PER_ADDRESS": "1000",
        }
        # Kept: the audit opens intake's sealed registry with intake's key, as an operator would.
        self.data_encryption_keys = {name: generate_key_encryption_key() for name in SERVICES}
        keys = event_key_env({name: generate_private_key() for name in SERVICES}, self.data_encryption_keys)
        logs = self.data_dir / "logs"
        for name in SERVICES:
            own = {**keys[name], **({"DATABASE_URL": service_urls[name]} if name in service_urls else {})}
            for n in range(1, self.replicas.get(name, 1) + 1):
                key = replica_key(name, n)
                self.processes[key] = ServiceProcess(name, free_port(), {**self.env, **own}, logs / f"{key}.log")
        for process in self.processes.values():
            process.start()
        for process in self.processes.values():
            process.wait_ready(180)
        # Patient with restarts: a service started while PostgreSQL or the broker is away may die a few times.
        self.supervisor = Supervisor(self.processes, self.data_dir / "supervisor.json", max_backoff_s=4,
                                     max_failed_starts=12, say=self.say)
        self._watcher = threading.Thread(target=self._watch, name="supervisor", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        while not self._watching.wait(0.5):
            try:
                with self._lock:
                    self.supervisor.check()
            except ServiceCannotStart as exc:
                self.failure = str(exc)
                return

    def restarts(self) -> int:
        return sum(state.restarts for state in self.supervisor.states.values())

    # --- what the faults do to it -------------------------------------------------------------

    def restart_broker(self) -> None:
        """The broker dies and comes back on its port with empty memory; the operator recreates the topics."""
        self.kafka.process.kill()
        self.kafka.process.wait(10)
        self.kafka.start()
        asyncio.run(asyncio.wait_for(ensure_topics(self.bootstrap_servers, self.topics, list(CONSUMER_GROUPS)), 60))

    def stop_database(self) -> None:
        self.pg.stop()

    def start_database(self) -> None:
        self.pg.start()

    def signal(self, key: str, sig: int) -> bool:
        pid = self.processes[key].pid()
        if pid is None or self.processes[key].returncode() is not None:
            return False
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return False
        return True

    def stop(self) -> None:
        self._watching.set()
        if self._watcher is not None:
            self._watcher.join(10)
        for key, process in reversed(list(self.processes.items())):
            self.signal(key, signal.SIGCONT)  # a process held by a fault must hear SIGTERM
            process.stop(20)
        for stop in (self.relay and self.relay.stop, self.kafka and self.kafka.stop, self.pg and self.pg.stop):
            if stop:
                try:
                    stop()
                except Exception as exc:  # noqa: BLE001 - keep stopping the rest
                    self.say(f"while stopping: {exc}")
