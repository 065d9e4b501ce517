"""The faults, each injected at a random moment and then waited out until the system is whole again."""

from __future__ import annotations

import asyncio
import random
import signal
import time
from dataclasses import dataclass

import httpx

from referrals.chaos.stack import ChaosStack
from referrals.launcher import SERVICES

SESSION_TIMEOUT_S = 6  # KAFKA_SESSION_TIMEOUT_MS of the chaos stack
CONSUMING = ("intake", "triage", "caseload", "outcomes")  # services whose consumers do the referrals' work


def fault_kinds(services: tuple[str, ...] = SERVICES) -> list[str]:
    return [f"SIGKILL {name}" for name in services] + [
        "broker restart (empty memory)", "PostgreSQL stop and start", "consumer held past session timeout",
        "network pause to broker"]


@dataclass
class Injected:
    kind: str
    target: str
    recovered_after_s: float


async def ready(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=3) as http:
            return (await http.get(f"{url}/health/ready")).status_code == 200
    except httpx.HTTPError:
        return False


async def whole_again(stack: ChaosStack, timeout_s: float = 180) -> bool:
    """Every service (every replica) running and answering ready."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if stack.failure:
            return False
        states = stack.supervisor.states
        if all(s.state == "running" for s in states.values()):
            answers = await asyncio.gather(*(ready(p.url) for p in stack.processes.values()))
            if all(answers):
                return True
        await asyncio.sleep(0.5)
    return False


async def inject(stack: ChaosStack, kind: str, rng: random.Random) -> str:
    """Does the fault; returns what it was done to."""
    if kind.startswith("SIGKILL "):
        key = rng.choice(stack.keys_of(kind.removeprefix("SIGKILL ")))
        pid = stack.processes[key].pid()
        stack.signal(key, signal.SIGKILL)
        # Seen dead by the supervisor before anything else happens, so that the restart is its doing.
        while stack.supervisor.states[key].pid == pid and stack.failure is None:
            await asyncio.sleep(0.1)
        return key
    if kind.startswith("broker restart"):
        await asyncio.to_thread(stack.restart_broker)
        return "tansu"
    if kind.startswith("PostgreSQL"):
        await asyncio.to_thread(stack.stop_database)
        await asyncio.sleep(rng.uniform(1, 5))
        await asyncio.to_thread(stack.start_database)
        return "postgresql"
    if kind.startswith("consumer held"):
        # Frozen whole (SIGSTOP), its consumers miss their heartbeats and the group rebalances without them.
        key = rng.choice([k for name in CONSUMING for k in stack.keys_of(name)])
        stack.signal(key, signal.SIGSTOP)
        try:
            await asyncio.sleep(SESSION_TIMEOUT_S + rng.uniform(2, 5))
        finally:
            stack.signal(key, signal.SIGCONT)
        return key
    if kind.startswith("network pause"):
        key = rng.choice(list(stack.processes))
        pid = stack.processes[key].pid()
        seconds = rng.uniform(2, 10)
        if pid is not None:
            stack.relay.pause(pid, seconds)
        await asyncio.sleep(seconds)
        return key
    raise ValueError(kind)
