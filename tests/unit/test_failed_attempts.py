"""Guessing credentials is slowed, then locked out: counted per address and per key, never the secret."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from shared.platform.auth import StaffPrincipal, issue_staff_token, require_staff
from shared.platform.throttle import FailedAttempts

SECRET = "s" * 32


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_tenth_failure_within_the_window_locks_out_for_the_lockout():
    clock = Clock()
    attempts = FailedAttempts(max_failures=10, window_s=60, lockout_s=300, clock=clock)
    key = [("address", "203.0.113.7")]
    assert [attempts.failed(key) for _ in range(9)] == [None] * 9
    assert attempts.failed(key) == 300
    clock.now += 120
    assert attempts.retry_after(key) == 180
    clock.now += 181
    assert attempts.retry_after(key) is None


def test_failures_spread_beyond_the_window_do_not_add_up():
    clock = Clock()
    attempts = FailedAttempts(max_failures=3, window_s=60, lockout_s=300, clock=clock)
    key = [("api_key_id", "abc")]
    for _ in range(5):
        assert attempts.failed(key) is None
        clock.now += 31  # two failures a minute at most
    assert attempts.retry_after(key) is None


def test_a_locked_key_is_refused_from_any_address():
    attempts = FailedAttempts(max_failures=2)
    attempts.failed([("address", "a"), ("api_key_id", "k")])
    attempts.failed([("address", "b"), ("api_key_id", "k")])
    assert attempts.retry_after([("address", "c"), ("api_key_id", "k")]) is not None
    assert attempts.retry_after([("address", "c")]) is None


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    app.state.settings = type("Settings", (), {"auth_secret": SECRET})()
    app.state.failed_attempts = FailedAttempts(max_failures=10)
    # A route the policy table knows (caseload's case list, which connectors may read).
    app.state.service_name = "caseload"

    @app.get("/v1/cases")
    async def cases(_: StaffPrincipal = Depends(require_staff())) -> dict:
        return {"ok": True}

    return TestClient(app)


def test_a_brute_force_loop_gets_429_within_ten_attempts_and_then_even_a_good_token_waits(client):
    statuses = [client.get("/v1/cases", headers={"Authorization": f"Bearer guess-{n}"}).status_code for n in range(12)]
    assert statuses[:9] == [401] * 9 and statuses[9] == 429 and statuses[10:] == [429, 429]
    good = issue_staff_token(SECRET, "c-1", ["connector"], ttl=timedelta(minutes=5))
    refused = client.get("/v1/cases", headers={"Authorization": f"Bearer {good}"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def test_no_credential_at_all_is_a_plain_401_and_not_counted(client):
    assert {client.get("/v1/cases").status_code for _ in range(20)} == {401}
    good = issue_staff_token(SECRET, "c-1", ["connector"], ttl=timedelta(minutes=5))
    assert client.get("/v1/cases", headers={"Authorization": f"Bearer {good}"}).status_code == 200


def test_the_log_names_the_address_never_the_token(client):
    with capture_logs() as logs:
        client.get("/v1/cases", headers={"Authorization": "Bearer secret-guess-xyz"})
    [refused] = [entry for entry in logs if entry["event"] == "staff_token_refused"]
    assert refused["client_address"] == "testclient" and refused["locked_out"] is False
    assert "secret-guess-xyz" not in repr(logs)
