"""Keeps the services of `referrals up` running: a service that dies is started again on its own port.

One service crashing must not stop the others: intake keeps taking referrals while caseload
is away, and the outbox and inbox make the restart lose and repeat nothing. A service that
exits is started again after a backoff (1 s, doubling, at most `max_backoff_s`); one that
keeps dying before it is ready `max_failed_starts` times in a row cannot start at all, and
that stops the stack. What happened is written to a JSON file (`supervisor.json` in the data
dir) for `referrals status` to show: each service's restarts and its last exit reason.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import httpx

SUPERVISOR_FILE = "supervisor.json"


class Supervised(Protocol):
    """What the supervisor needs of a process (referrals.launcher.ServiceProcess has it)."""

    name: str
    url: str

    def start(self) -> None: ...
    def returncode(self) -> int | None: ...  # None while it runs
    def pid(self) -> int | None: ...


def exit_reason(code: int) -> str:
    """Popen's return code in words: a negative code is the signal that ended the process."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"


def http_ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class ServiceState:
    """One service as the supervisor sees it; what `referrals status` reads."""

    key: str  # the service's name, or '<name>-<n>' for a replica
    url: str
    state: str = "running"  # running | waiting to restart | starting | failed
    pid: int | None = None
    restarts: int = 0
    last_exit_reason: str | None = None
    last_exit_at: str | None = None
    failed_starts: int = 0  # exits in a row before reaching ready
    restart_at: float | None = field(default=None, repr=False)  # monotonic; while waiting to restart


class ServiceCannotStart(RuntimeError):
    pass


class Supervisor:
    def __init__(self, processes: dict[str, Supervised], state_file: Path | None = None, *,
                 initial_backoff_s: float = 1.0, max_backoff_s: float = 8.0, max_failed_starts: int = 5,
                 ready: Callable[[str], bool] = http_ready, clock: Callable[[], float] = time.monotonic,
                 say: Callable[[str], None] = print) -> None:
        self.processes = processes
        self.state_file = state_file
        self.initial_backoff_s = initial_backoff_s
        self.max_backoff_s = max_backoff_s
        self.max_failed_starts = max_failed_starts
        self.ready = ready
        self.clock = clock
        self.say = say
        self.states = {key: ServiceState(key, p.url, pid=p.pid()) for key, p in processes.items()}
        self.write()

    def backoff_s(self, failed_starts: int) -> float:
        return min(self.initial_backoff_s * 2 ** max(failed_starts - 1, 0), self.max_backoff_s)

    def check(self) -> None:
        """One look at every service: note exits, restart those whose backoff is over, see who is ready.

        Raises ServiceCannotStart when a service died `max_failed_starts` times in a row before it was ready.
        """
        changed = False
        for key, process in self.processes.items():
            state = self.states[key]
            if state.state in ("running", "starting"):
                code = process.returncode()
                if code is not None:
                    changed = True
                    if state.state == "starting":
                        state.failed_starts += 1
                    else:
                        state.failed_starts = 1
                    state.last_exit_reason = exit_reason(code)
                    state.last_exit_at = datetime.now(UTC).isoformat(timespec="seconds")
                    state.pid = None
                    if state.failed_starts >= self.max_failed_starts:
                        state.state = "failed"
                        self.write()
                        raise ServiceCannotStart(
                            f"{key} cannot start: it {state.last_exit_reason} {state.failed_starts} times in a "
                            "row before it was ready")
                    delay = self.backoff_s(state.failed_starts)
                    state.state, state.restart_at = "waiting to restart", self.clock() + delay
                    self.say(f"{key} {state.last_exit_reason}; starting it again in {delay:g}s")
                elif state.state == "starting" and self.ready(state.url):
                    state.state, state.failed_starts, changed = "running", 0, True
                    self.say(f"{key} is back ({state.url})")
            if state.state == "waiting to restart" and self.clock() >= (state.restart_at or 0):
                process.start()
                state.state, state.pid, state.restart_at, changed = "starting", process.pid(), None, True
                state.restarts += 1
        if changed:
            self.write()

    def snapshot(self) -> dict:
        return {"services": {key: {k: v for k, v in asdict(s).items() if k != "restart_at"}
                             for key, s in self.states.items()}}

    def write(self) -> None:
        """Written aside and renamed, so a reader never sees half a file."""
        if self.state_file is None:
            return
        partial = self.state_file.with_name(f".{self.state_file.name}.{os.getpid()}")
        partial.write_text(json.dumps(self.snapshot(), indent=2))
        os.replace(partial, self.state_file)


def read_state(path: Path) -> dict[str, dict]:
    """Each supervised service's state by name, or {} when nothing supervises (or the file is unreadable)."""
    try:
        return dict(json.loads(path.read_text()).get("services", {}))
    except (OSError, ValueError, AttributeError):
        return {}
