"""`referrals up` keeps going when a service dies: the supervisor starts it again on its port."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import httpx
import pytest

from referrals.embedded import free_port
from referrals.launcher import SERVICES
from tests.e2e.test_runtime import ReferralsUp, wait_until

pytestmark = pytest.mark.e2e


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_killed_service_is_back_on_its_port_and_a_referral_sent_meanwhile_is_assigned(tmp_path):
    data = tmp_path / "data"
    up = ReferralsUp(data, free_port())
    demo = up.start()
    supervised = lambda: json.loads((data / "supervisor.json").read_text())["services"]  # noqa: E731
    urls, creds = demo["services"], demo["credentials"]
    partner = {"X-API-Key": creds["partner_api_key"]}
    status_of = lambda rid: httpx.get(f"{urls['intake']}/v1/referrals/{rid}", headers=partner,  # noqa: E731
                                      timeout=10).json()

    def refer(family_name: str) -> str:
        sent = httpx.post(f"{urls['intake']}/v1/referrals", headers=partner, timeout=20, json={
            "programme_id": "demo", "consent": {"to_referral": True},
            "person": {"given_name": "Orla", "family_name": family_name, "age_years": 70}})
        assert sent.status_code == 201, sent.text
        return sent.json()["referral_id"]

    try:
        for name in SERVICES:
            before = supervised()
            others = {key: state["pid"] for key, state in before.items() if key != name}
            os.kill(before[name]["pid"], signal.SIGKILL)
            # Intake takes referrals while any other service is away; intake's own outage is the partner's to wait out.
            during = refer(f"During-{name}") if name != "intake" else None
            wait_until(lambda: ready(urls[name]), bool, timeout_s=30)  # a bound, not a speed assertion
            referral = during or refer(f"After-{name}")
            wait_until(lambda: status_of(referral)["status"], lambda s: s == "assigned", timeout_s=90)

            after = wait_until(supervised, lambda s: s[name]["state"] == "running" and s[name]["restarts"] == 1)
            assert after[name]["last_exit_reason"] == "killed by SIGKILL"
            assert after[name]["url"] == urls[name]  # the same port
            assert {key: state["pid"] for key, state in after.items() if key != name} == others  # left alone
            assert up.process.poll() is None

        watched = subprocess.run([sys.executable, "-m", "referrals.cli", "status", "--once", "--json", "--data-dir",
                                  str(data)], capture_output=True, text=True, timeout=60)
        assert watched.returncode == 0, watched.stdout + watched.stderr
        views = {v["name"]: v for v in json.loads(watched.stdout)["services"]}
        assert {name: (v["up"], v["restarts"], v["last_exit_reason"]) for name, v in views.items()} == {
            name: (True, 1, "killed by SIGKILL") for name in SERVICES}
        shown = subprocess.run([sys.executable, "-m", "referrals.cli", "status", "--once", "--data-dir", str(data)],
                               capture_output=True, text=True, timeout=60).stdout
        assert shown.count("  restarts 1  last exit: killed by SIGKILL at ") == len(SERVICES), shown
    finally:
        assert up.stop() == 0
    assert not (data / "supervisor.json").exists()
    assert "Stopping." not in up.output.read_text()  # no service's death stopped the stack
