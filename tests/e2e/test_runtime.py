"""`referrals up`: the whole system on the embedded pair, stopped and started again.

The embedded broker forgets everything when it stops. After a restart nothing
may be lost (every referral is still there and still moves on) and nothing may
be applied twice (republished events are absorbed by the inboxes).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from referrals.embedded import free_port

pytestmark = pytest.mark.e2e


class ReferralsUp:
    def __init__(self, data_dir: Path, port_base: int) -> None:
        self.data_dir = data_dir
        self.port_base = port_base
        self.process: subprocess.Popen | None = None
        self.output = data_dir.parent / "up.out"

    def start(self) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")}
        demo_file = self.data_dir / "demo.json"
        before = demo_file.stat().st_mtime_ns if demo_file.exists() else None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "referrals.cli", "up", "--demo", "--data-dir", str(self.data_dir),
             "--port-base", str(self.port_base)],
            stdout=open(self.output, "ab"), stderr=subprocess.STDOUT, env=env,  # noqa: SIM115
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output.read_text()
            if demo_file.exists() and demo_file.stat().st_mtime_ns != before and "is running" in self.output.read_text():
                return json.loads(demo_file.read_text())
            time.sleep(0.5)
        raise AssertionError("referrals up did not come up:\n" + self.output.read_text())

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        return self.process.wait(120)


def wait_until(fetch, predicate, timeout_s: float = 60):
    deadline = time.monotonic() + timeout_s
    value = None
    while time.monotonic() < deadline:
        value = fetch()
        if predicate(value):
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out; last value {value}")


def _each_account_signs_in_with_its_password(demo: dict) -> None:
    accounts = demo["credentials"]["accounts"]
    assert {a["name"] for a in accounts} >= {"admin", "coordinator", "manager", "Demo Volunteer", "Demo GP Referrer"}
    for account in accounts:
        signed_in = httpx.post(f"{demo['services']['identity']}/v1/sessions", timeout=20,
                               json={"email": account["email"], "password": account["password"]})
        assert signed_in.status_code == 201, (account["email"], signed_in.text)
        # The session's token acts as the account: a worker's on its own offers, the others on the case list.
        token = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        path = f"/v1/workers/{account['worker_id']}/offers" if account.get("worker_id") else "/v1/cases"
        service = "caseload"
        if account["roles"] == ["referrer"]:  # the demo GP practice's: its referrals, not the scheme's cases
            service, path = "intake", "/v1/partner-referrals"
        answer = httpx.get(f"{demo['services'][service]}{path}", headers=token, timeout=20)
        expected = 403 if account["roles"] == ["manager"] else 200  # managers read reports, not cases
        assert answer.status_code == expected, (account["email"], path, answer.status_code)


def test_referrals_up_restarts_without_losing_or_repeating_anything(tmp_path):
    up = ReferralsUp(tmp_path / "data", free_port())
    demo = up.start()
    running = tmp_path / "data" / "running.json"  # how `referrals status` finds the services
    try:
        # The workspace is in demo.json but not in running.json: it has no /metrics for `referrals status`.
        assert json.loads(running.read_text()) == {"services": {k: v for k, v in demo["services"].items()
                                                                if k != "workspace"}}
        # demo.json holds credentials: its owner's alone, with a token for each demo worker acting as itself.
        assert (tmp_path / "data" / "demo.json").stat().st_mode & 0o777 == 0o600
        accounts = demo["credentials"]["accounts"]
        assert {a["name"] for a in accounts} >= {"admin", "coordinator", "manager", "Demo Volunteer"}
        assert all(a.get("worker_id") for a in accounts if a["roles"][0] in ("connector", "volunteer"))
        listed = httpx.get(f"{demo['services']['caseload']}/v1/workers", timeout=10,
                           headers={"Authorization": f"Bearer {demo['credentials']['staff_tokens']['coordinator']}"})
        assert sorted(w["id"] for w in listed.json()) == sorted(a["worker_id"] for a in accounts if "worker_id" in a)
        assert set(demo["services"]) == {"intake", "triage", "caseload", "outcomes", "identity", "workspace"}
        sign_in_page = httpx.get(f"{demo['services']['workspace']}/", timeout=10, follow_redirects=True)
        assert sign_in_page.status_code == 200 and "<h1" in sign_in_page.text and "Sign in" in sign_in_page.text
        _each_account_signs_in_with_its_password(demo)
        watched = subprocess.run([sys.executable, "-m", "referrals.cli", "status", "--once", "--data-dir",
                                  str(tmp_path / "data")], capture_output=True, text=True, timeout=60)
        assert watched.returncode == 0 and "5 services, all up" in watched.stdout, watched.stdout + watched.stderr
        urls, creds = demo["services"], demo["credentials"]
        partner = {"X-API-Key": creds["partner_api_key"]}
        staff = {"Authorization": f"Bearer {creds['staff_tokens']['coordinator']}"}
        body = {"programme_id": "demo", "person": {"given_name": "Iris", "family_name": "Restart", "age_years": 66},
                "consent": {"to_referral": True}}
        first = httpx.post(f"{urls['intake']}/v1/referrals", headers=partner, json=body, timeout=10)
        assert first.status_code == 201, first.text
        first_id = first.json()["referral_id"]
        status_of = lambda rid: httpx.get(f"{urls['intake']}/v1/referrals/{rid}", headers=partner, timeout=10).json()
        wait_until(lambda: status_of(first_id), lambda s: s["status"] == "assigned")
        workers_before = httpx.get(f"{urls['caseload']}/v1/workers", headers=staff, timeout=10).json()
        # demo.json names the database and where its password is, so anyone can check what is stored.
        password = Path(demo["operator_database_password_file"]).read_text().strip()
        stored = asyncio.run(_fetch(demo["operator_database_url"], password,
                                    "SELECT status FROM intake.referrals WHERE id = $1", uuid.UUID(first_id)))
        assert [r["status"] for r in stored] == ["assigned"]
    finally:
        assert up.stop() == 0
    assert not running.exists()

    demo = up.start()  # same data directory: same database, a brand-new (empty) broker
    try:
        urls, creds = demo["services"], demo["credentials"]
        partner = {"X-API-Key": creds["partner_api_key"]}
        staff = {"Authorization": f"Bearer {demo['credentials']['staff_tokens']['coordinator']}"}
        status_of = lambda rid: httpx.get(f"{urls['intake']}/v1/referrals/{rid}", headers=partner, timeout=10).json()

        _each_account_signs_in_with_its_password(demo)  # the same accounts, with the passwords demo.json holds

        # The earlier events were published again to the new broker and absorbed by the inboxes.
        logs = tmp_path / "data" / "logs"
        wait_until(lambda: (logs / "caseload.log").read_text(), lambda text: '"event_already_handled"' in text)
        assert '"outbox_republishing_after_broker_epoch_change"' in (logs / "intake.log").read_text()

        # Nothing lost, nothing repeated: one case, the same status, the same worker load.
        assert status_of(first_id)["status"] == "assigned"
        assert [s["status"] for s in status_of(first_id)["timeline"]] == ["received", "accepted", "assigned"]
        cases = httpx.get(f"{urls['caseload']}/v1/cases", params={"referral_id": first_id}, headers=staff).json()
        assert len(cases) == 1
        workers_after = httpx.get(f"{urls['caseload']}/v1/workers", headers=staff, timeout=10).json()
        assert sorted((w["id"], w["load_hours"]) for w in workers_after) == sorted(
            (w["id"], w["load_hours"]) for w in workers_before
        )

        # And new referrals flow as before.
        second = httpx.post(
            f"{urls['intake']}/v1/referrals", headers=partner, timeout=10,
            json={**body, "person": {**body["person"], "family_name": "Second"}},
        )
        assert second.status_code == 201
        wait_until(lambda: status_of(second.json()["referral_id"]), lambda s: s["status"] == "assigned")
    finally:
        assert up.stop() == 0


async def _fetch(url: str, password: str, query: str, *args):
    import asyncpg

    conn = await asyncpg.connect(url, password=password)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()
