"""The supervisor of `referrals up`: restarts with backoff, gives up on a service that cannot start."""

from __future__ import annotations

import json
import signal

import pytest

from referrals.supervisor import ServiceCannotStart, Supervisor, exit_reason, read_state


class FakeProcess:
    """A service process whose exits and readiness the test decides."""

    def __init__(self, name: str) -> None:
        self.name, self.url = name, f"http://{name}"
        self.code: int | None = None
        self.starts = 0
        self.ready = True

    def start(self) -> None:
        self.starts += 1
        self.code = None

    def returncode(self) -> int | None:
        return self.code

    def pid(self) -> int | None:
        return None if self.code is not None else 1000 + self.starts


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def supervisor_of(*names: str, tmp_path, **options) -> tuple[Supervisor, dict[str, FakeProcess], Clock]:
    processes = {name: FakeProcess(name) for name in names}
    clock = Clock()
    said: list[str] = []
    supervisor = Supervisor(processes, tmp_path / "supervisor.json", ready=lambda url: processes[url[7:]].ready,
                            clock=clock, say=said.append, **options)
    supervisor.said = said
    return supervisor, processes, clock


def test_exit_reasons_name_the_signal_or_the_code():
    assert exit_reason(-signal.SIGKILL) == "killed by SIGKILL"
    assert exit_reason(-signal.SIGSEGV) == "killed by SIGSEGV"
    assert exit_reason(3) == "exited with code 3"


def test_a_killed_service_is_started_again_after_its_backoff_and_the_others_are_left_alone(tmp_path):
    supervisor, processes, clock = supervisor_of("intake", "caseload", tmp_path=tmp_path, initial_backoff_s=1)
    processes["caseload"].code = -signal.SIGKILL
    supervisor.check()
    assert processes["caseload"].starts == 0  # not yet: its backoff has not passed
    state = read_state(tmp_path / "supervisor.json")["caseload"]
    assert (state["state"], state["last_exit_reason"], state["restarts"]) == (
        "waiting to restart", "killed by SIGKILL", 0)

    clock.now = 1.0
    supervisor.check()
    assert processes["caseload"].starts == 1
    assert processes["intake"].starts == 0
    supervisor.check()  # it answers ready
    state = read_state(tmp_path / "supervisor.json")
    assert state["caseload"]["state"] == "running" and state["caseload"]["restarts"] == 1
    assert state["caseload"]["last_exit_reason"] == "killed by SIGKILL"
    assert state["intake"] == {"key": "intake", "url": "http://intake", "state": "running", "pid": 1000,
                               "restarts": 0, "last_exit_reason": None, "last_exit_at": None, "failed_starts": 0}
    assert supervisor.said == ["caseload killed by SIGKILL; starting it again in 1s",
                               "caseload is back (http://caseload)"]


def test_a_service_that_dies_while_starting_waits_longer_each_time(tmp_path):
    supervisor, processes, clock = supervisor_of("triage", tmp_path=tmp_path, initial_backoff_s=1, max_backoff_s=4,
                                                 max_failed_starts=10)
    triage = processes["triage"]
    triage.ready = False
    waits = []
    for _ in range(5):
        triage.code = 1
        supervisor.check()
        restart_at = supervisor.states["triage"].restart_at
        waits.append(restart_at - clock.now)
        clock.now = restart_at
        supervisor.check()
    assert waits == [1, 2, 4, 4, 4]
    assert triage.starts == 5


def test_a_service_that_reaches_ready_starts_its_backoff_afresh(tmp_path):
    supervisor, processes, clock = supervisor_of("triage", tmp_path=tmp_path, initial_backoff_s=1)
    triage = processes["triage"]
    for _ in range(2):
        triage.code = 1
        supervisor.check()
        clock.now = supervisor.states["triage"].restart_at
        triage.ready = False
        supervisor.check()
    triage.ready = True
    supervisor.check()
    triage.code = -signal.SIGTERM
    supervisor.check()
    assert supervisor.states["triage"].restart_at - clock.now == 1


def test_a_service_that_cannot_start_at_all_stops_the_stack(tmp_path):
    supervisor, processes, clock = supervisor_of("outcomes", "intake", tmp_path=tmp_path, max_failed_starts=3)
    outcomes = processes["outcomes"]
    outcomes.ready = False
    outcomes.code = 2
    supervisor.check()
    clock.now += 10
    supervisor.check()
    outcomes.code = 2
    supervisor.check()
    clock.now += 10
    supervisor.check()
    outcomes.code = 2
    with pytest.raises(ServiceCannotStart, match="outcomes cannot start: it exited with code 2 3 times in a row"):
        supervisor.check()
    saved = json.loads((tmp_path / "supervisor.json").read_text())["services"]["outcomes"]
    assert (saved["state"], saved["restarts"]) == ("failed", 2)
