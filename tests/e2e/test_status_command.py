"""`referrals status` shows the queues the running services report on /metrics."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from referrals.embedded import free_port
from referrals.launcher import SERVICES
from shared.schemas.topics import PARTITIONS

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PROGRAMME = "brc-community-connectors"  # its low-complexity cases go to volunteers, 0.5 hours each


def status_command(system, *args: str, extra: tuple[str, ...] = ()) -> list[str]:
    services = [f"--service={name}={system.url(name)}" for name in SERVICES]
    return [sys.executable, "-m", "referrals.cli", "status", *args, *services, *extra]


def scraper_env(system) -> dict[str, str]:
    """`referrals status` presents the deployment's scrape token, as an operator's shell would have it."""
    return {**os.environ, "METRICS_SCRAPE_TOKEN": system.env["METRICS_SCRAPE_TOKEN"]}


def run_status(system, *args: str, extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run(status_command(system, *args, extra=extra), cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env=scraper_env(system))


async def settled(system, *args: str, ready) -> subprocess.CompletedProcess:
    """Runs the command until its output satisfies `ready` (relays and consumers catch up), else the last run."""
    deadline = time.monotonic() + 20
    while True:
        result = await asyncio.to_thread(run_status, system, *args)
        if ready(result) or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.5)


async def test_status_shows_the_waiting_list_capacity_and_outbox_and_a_down_service(shared_system):
    system = shared_system
    key = await system.setup_partner(programmes=(PROGRAMME,), partner_id="status-partner")
    await system.add_worker("volunteer", "0.5", programme=PROGRAMME, site="Dalston")
    async with httpx.AsyncClient(timeout=20) as http:
        for i in range(3):  # one fits the volunteer's half hour; two wait
            sent = await http.post(f"{system.url('intake')}/v1/referrals", headers={"X-API-Key": key}, json={
                "partner_referral_id": f"S-{i}", "programme_id": PROGRAMME, "consent": {"to_referral": True},
                "person": {"given_name": ["Dee", "Eli", "Fay"][i], "family_name": ["Ames", "Birch", "Cole"][i],
                           "age_years": 70 + i}})
            assert sent.status_code == 201, sent.text
    await system.wait_for("SELECT 1 FROM intake.referrals WHERE partner_id = 'status-partner' "
                          "AND status IN ('assigned', 'waiting')", predicate=lambda r: len(r) == 3)

    def outbox_lines(text: str) -> dict[str, str]:
        return {name: line for name in ("intake", "triage", "caseload") for line in text.splitlines()
                if re.match(rf"^\s+{name}\s+backlog ", line)}

    text = await settled(system, "--once", ready=lambda r: all(
        "backlog 0 " in line for line in outbox_lines(r.stdout).values()) and len(outbox_lines(r.stdout)) == 3)
    assert text.returncode == 0, text.stdout + text.stderr
    out = text.stdout
    for name in SERVICES:
        assert f"{name}  {system.url(name)}  up" in out
    assert re.search(rf"^\s+{PROGRAMME}( @ \S+)?\s+depth 2\s+longest wait \d+[smhd]", out, re.M), out
    assert re.search(rf"^\s+{PROGRAMME} @ Dalston\s+0\.5 of 0\.5 hours used \(100%\)", out, re.M), out
    assert set(outbox_lines(out)) == {"intake", "triage", "caseload"}, out
    assert all(" backlog 0 " in line for line in outbox_lines(out).values()), out
    assert re.search(r"^\s+caseload\.triage\.decisions\s+lag 0\s+consumed [1-9]", out, re.M), out
    assert re.search(r"^\s+review queue", out, re.M), out  # triage's queue is shown even when nobody waits in it

    as_json = await asyncio.to_thread(run_status, system, "--once", "--json")
    assert as_json.returncode == 0, as_json.stderr
    services = {s["name"]: s for s in json.loads(as_json.stdout)["services"]}
    assert set(services) == set(SERVICES) and all(s["up"] for s in services.values())
    assert all(s["not_ready"] == [] for s in services.values())  # each answered /health/ready with 200
    assert "NOT READY" not in out
    caseload = services["caseload"]
    [waiting] = [w for w in caseload["waiting_list"] if w["programme"] == PROGRAMME]  # one site, if labelled
    assert waiting["depth"] == 2 and waiting["longest_wait_seconds"] > 0
    [capacity] = [c for c in caseload["capacity"] if c["programme"] == PROGRAMME]
    assert (capacity["site"], capacity["used_hours"], capacity["contracted_hours"]) == ("Dalston", 0.5, 0.5)
    assert caseload["outbox"] == [{"service": "caseload", "backlog": 0, "oldest_age_seconds": 0.0}]
    [decisions] = [c for c in caseload["consumers"] if c["group"] == "caseload.triage.decisions"]
    assert decisions["lag"] == 0 and decisions["partitions"] == PARTITIONS and decisions["consumed"]["handled"] >= 3

    ghost = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    with_down = await asyncio.to_thread(run_status, system, "--once", extra=(f"--service=ghost={ghost}",))
    assert with_down.returncode == 1, with_down.stdout + with_down.stderr
    assert re.search(rf"^ghost  {re.escape(ghost)}  DOWN  \(ConnectError: .+\)$", with_down.stdout, re.M)
    assert f"{len(SERVICES) + 1} services, 1 DOWN" in with_down.stdout  # every service and the ghost
    assert f"caseload  {system.url('caseload')}  up" in with_down.stdout  # the others still show
    assert re.search(rf"^\s+{PROGRAMME}( @ \S+)?\s+depth 2\s", with_down.stdout, re.M)


async def test_live_mode_redraws_until_ctrl_c(shared_system):
    # Ctrl-C as a terminal sends it: with SIGINT's default action, even where the test runner itself was
    # started in the background (which sets SIGINT to ignored, and a child inherits that).
    process = subprocess.Popen(status_command(shared_system, "--interval", "0.5"), cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=scraper_env(shared_system),
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    output = bytearray()

    def read() -> None:
        while chunk := process.stdout.read1(4096):
            output.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 30
        while output.count(b"Ctrl-C stops") < 2 and time.monotonic() < deadline and process.poll() is None:
            await asyncio.sleep(0.2)
        frames = bytes(output).decode().split("\x1b[H\x1b[2J")
        complete = [f for f in frames[1:] if "Ctrl-C stops" in f]
        assert len(complete) >= 2, bytes(output).decode()
        for frame in complete[:2]:
            assert frame.startswith("referrals status  ") and f"{len(SERVICES)} services, all up" in frame
            assert f"caseload  {shared_system.url('caseload')}  up" in frame
            assert "every 0.5s; Ctrl-C stops" in frame
    finally:
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        code = process.wait(60)  # a scrape in flight may finish first, slowly on a loaded machine
        reader.join(5)
    errors = process.stderr.read().decode()
    assert code == 0, errors
    assert "Traceback" not in errors


async def test_without_the_scrape_token_status_says_what_it_needs(shared_system, tmp_path):
    environment = {k: v for k, v in os.environ.items() if k != "METRICS_SCRAPE_TOKEN"}
    # An empty data directory: no token that `referrals up` generated is found there either.
    result = await asyncio.to_thread(
        subprocess.run, status_command(shared_system, "--once", extra=(f"--data-dir={tmp_path}",)), cwd=ROOT,
        capture_output=True, text=True, timeout=60, env=environment)
    assert result.returncode == 1, result.stdout + result.stderr
    for name in SERVICES:
        assert f"{name}  {shared_system.url(name)}  DOWN  (HTTP 401 from /metrics: give METRICS_SCRAPE_TOKEN" \
            in result.stdout, result.stdout
