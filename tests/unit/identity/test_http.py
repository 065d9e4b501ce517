"""Identity's routes over HTTP against fakes: the admin API answers only the admin, sign-in refusals all
read alike and a guessing loop is locked out (429, Retry-After); sign-out needs a token with a session."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from services.identity.entrypoints.http import router
from services.identity.service_layer.handlers import Identity
from shared.platform.auth import issue_staff_token, route_access, verify_staff_token
from shared.platform.http import install_http_plumbing
from shared.platform.throttle import FailedAttempts
from tests.unit.identity.fakes import FakeIdentityUnitOfWork, PlainHasher

SECRET = "q" * 40
MAX_FAILURES = 4


class NothingRevoked:
    async def is_revoked(self, session_id: uuid.UUID) -> bool:
        return False


@pytest.fixture
def uow() -> FakeIdentityUnitOfWork:
    return FakeIdentityUnitOfWork()


@pytest.fixture
def client(uow) -> TestClient:
    app = FastAPI(dependencies=[Depends(route_access)])
    install_http_plumbing(app)
    app.include_router(router)
    app.state.settings = SimpleNamespace(auth_secret=SECRET)
    app.state.service_name = "identity"
    app.state.failed_attempts = FailedAttempts(max_failures=MAX_FAILURES, window_s=60, lockout_s=120)
    app.state.revoked_sessions = NothingRevoked()
    app.state.ctx = SimpleNamespace(dependencies=Identity(uow=uow, hasher=PlainHasher(), token_secret=lambda: SECRET))
    return TestClient(app)


def _as(*roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_staff_token(SECRET, 'someone', list(roles))}"}


def _create(client: TestClient, email="cara@example.org", roles=("coordinator",)):
    return client.post("/v1/accounts", headers=_as("admin"),
                       json={"name": "Cara", "email": email, "roles": list(roles), "password": "a long passphrase"})


def test_only_the_admin_creates_and_reads_accounts_and_the_hash_never_leaves(client):
    assert _create(client).status_code == 201
    assert client.post("/v1/accounts", headers=_as("coordinator"), json={}).status_code == 403
    listed = client.get("/v1/accounts", headers=_as("admin"))
    assert [a["email"] for a in listed.json()] == ["cara@example.org"]
    assert "passphrase" not in listed.text and "h:" not in listed.text
    assert _create(client, email="CARA@example.org").status_code == 409
    assert client.get(f"/v1/accounts/{uuid.uuid4()}", headers=_as("admin")).status_code == 404


def test_a_short_password_or_unknown_role_is_422(client):
    short = client.post("/v1/accounts", headers=_as("admin"),
                        json={"name": "C", "email": "c@example.org", "roles": ["admin"], "password": "short"})
    assert short.status_code == 422
    assert _create(client, roles=("root",)).status_code == 422


def test_sign_in_gives_a_bearer_token_and_refusals_read_the_same_whatever_was_wrong(client):
    _create(client)
    signed_in = client.post("/v1/sessions", json={"email": "cara@example.org", "password": "a long passphrase"})
    assert signed_in.status_code == 201
    assert verify_staff_token(SECRET, signed_in.json()["access_token"]).roles == {"coordinator"}
    wrong = client.post("/v1/sessions", json={"email": "cara@example.org", "password": "not it at all"})
    unknown = client.post("/v1/sessions", json={"email": "nobody@example.org", "password": "a long passphrase"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_a_guessing_loop_is_locked_out_with_retry_after_and_then_even_the_right_password_waits(client):
    _create(client)
    answers = [client.post("/v1/sessions", json={"email": "cara@example.org", "password": f"guess {n}"})
               for n in range(MAX_FAILURES)]
    assert [a.status_code for a in answers] == [401] * (MAX_FAILURES - 1) + [429]
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 120
    right = client.post("/v1/sessions", json={"email": "cara@example.org", "password": "a long passphrase"})
    assert right.status_code == 429


def test_sign_out_ends_a_signed_in_session_and_a_minted_token_has_none_to_end(client, uow):
    _create(client)
    token = client.post("/v1/sessions", json={"email": "cara@example.org", "password": "a long passphrase"})
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert client.delete("/v1/sessions/current", headers=bearer).status_code == 204
    assert [s.revoked_reason for s in uow.sessions.by_id.values()] == ["signed_out"]
    assert client.delete("/v1/sessions/current", headers=_as("admin")).status_code == 404
    assert client.delete("/v1/sessions/current").status_code == 401


def test_oidc_sign_in_is_404_where_no_issuer_is_configured(client):
    assert client.post("/v1/sessions/oidc", json={"token": "x.y.z"}).status_code == 404


def test_disabling_through_the_api_revokes_the_accounts_sessions(client, uow):
    account = _create(client).json()
    client.post("/v1/sessions", json={"email": "cara@example.org", "password": "a long passphrase"})
    changed = client.patch(f"/v1/accounts/{account['id']}", headers=_as("admin"), json={"disabled": True})
    assert changed.status_code == 200 and changed.json()["disabled"] is True
    assert [s.revoked_reason for s in uow.sessions.by_id.values()] == ["account_disabled"]
    reset = client.post(f"/v1/accounts/{account['id']}/password", headers=_as("admin"),
                        json={"password": "another long passphrase"})
    assert reset.status_code == 204
