"""Runs each service as its own process and waits until it is ready."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

SERVICES = ("intake", "triage", "caseload", "outcomes", "identity")
# The staff workspace (services/workspace): web pages with no database, topics or event keys of their own,
# calling the services above over HTTP; so it starts after them, told where each one is.
WORKSPACE = "workspace"


def workspace_env(urls: dict[str, str]) -> dict[str, str]:
    """Where the workspace finds each service: INTAKE_URL, TRIAGE_URL, ... (services/workspace/settings.py)."""
    return {f"{name.upper()}_URL": url for name, url in urls.items() if name in SERVICES}


def event_key_env(private_keys: dict[str, str],
                  data_encryption_keys: dict[str, str] | None = None) -> dict[str, dict[str, str]]:
    """Each service's own keys: its event signing key, everyone's public keys, and its own
    key-encryption key for personal data (DATA_ENCRYPTION_KEY).

    A service never gets another's private keys, so it can neither sign for a topic it does not own nor
    open what another service sealed.
    """
    from shared.platform.messaging.signing import format_verify_keys, public_key_text

    verify = format_verify_keys({name: public_key_text(key) for name, key in private_keys.items()})
    data_encryption_keys = data_encryption_keys or {}
    return {name: {"EVENT_SIGNING_KEY": key, "EVENT_VERIFY_KEYS": verify,
                   **({"DATA_ENCRYPTION_KEY": data_encryption_keys[name]} if name in data_encryption_keys else {})}
            for name, key in private_keys.items()}


@dataclass
class ServiceProcess:
    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, **self.env, "HTTP_PORT": str(self.port), "HTTP_HOST": "127.0.0.1"}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"services.{self.name}"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_ready(self, timeout_s: float = 90) -> None:
        deadline = time.monotonic() + timeout_s
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with code {self.process.returncode}; see {self.log_path}"
                )
            try:
                response = httpx.get(f"{self.url}/health/ready", timeout=2)
                if response.status_code == 200:
                    return
                last = response.text
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            time.sleep(0.25)
        raise TimeoutError(f"{self.name} not ready after {timeout_s}s ({last}); see {self.log_path}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def returncode(self) -> int | None:
        """None while it runs (or before it started); else how it ended (negative: the signal's number)."""
        return None if self.process is None else self.process.poll()

    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def stop(self, timeout_s: float = 30) -> int | None:
        """SIGTERM: the service finishes in-flight work, commits offsets and exits."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


def start_services(
    env: dict[str, str], ports: dict[str, int], log_dir: Path, names: tuple[str, ...] = SERVICES,
    service_env: dict[str, dict[str, str]] | None = None,
) -> list[ServiceProcess]:
    """`service_env` adds to (or overrides) `env` for one service: its own signing key, its own DATABASE_URL."""
    service_env = service_env or {}
    processes = [ServiceProcess(n, ports[n], {**env, **service_env.get(n, {})}, log_dir / f"{n}.log")
                 for n in names]
    for p in processes:
        p.start()
    try:
        for p in processes:
            p.wait_ready()
    except Exception:
        for p in processes:
            p.stop(5)
        raise
    return processes
