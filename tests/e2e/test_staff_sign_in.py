"""Staff sign in to identity and use the token everywhere; signing out, or disabling the account, makes every
service refuse that token (identity.session_revoked, shared/platform/sessions.py); a guessing loop is locked
out; and a token of the organisation's OpenID Connect issuer (a local one, started here) signs in too.

The services run as processes (tests/support/system.py) with the local issuer configured (OIDC_ISSUER).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid

import httpx
import pytest

from tests.support.oidc_issuer import LocalOidcIssuer
from tests.support.system import new_system

pytestmark = pytest.mark.e2e

# A route of each service that the admin role may call and that answers 200 on an empty system, so
# "accepted" and "refused" are told apart by the status alone.
ADMIN_ROUTE = {
    "intake": "/v1/match-reviews",
    "triage": "/v1/reviews",
    "caseload": "/v1/cases",
    "outcomes": "/v1/reports/funnel",
    "identity": "/v1/accounts",
}


@pytest.fixture(scope="module")
async def issuer():
    with LocalOidcIssuer() as running:
        yield running


@pytest.fixture(scope="module")
async def signed(infrastructure, tmp_path_factory, issuer):
    """Every service, identity configured to accept the local issuer's tokens."""
    system = await new_system(infrastructure, tmp_path_factory.mktemp("sign-in") / "logs")
    system.start(extra_env={"OIDC_ISSUER": issuer.issuer, "OIDC_AUDIENCE": issuer.audience})
    yield system
    for process in system.processes.values():
        process.stop(15)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _new_account(system, roles: list[str], **more) -> dict:
    """An account made through the admin API (with a minted admin token), and the password it was given."""
    password = secrets.token_urlsafe(18)
    email = f"{uuid.uuid4().hex[:10]}@staff.example.org"
    async with httpx.AsyncClient(base_url=system.url("identity"), timeout=20) as http:
        created = await http.post("/v1/accounts", headers=system.staff_headers("admin"),
                                  json={"name": "Test Staff", "email": email, "roles": roles, "password": password,
                                        **more})
    assert created.status_code == 201, created.text
    assert "password" not in created.text and "hash" not in created.text  # neither leaves the service
    return created.json() | {"password": password}


async def _sign_in(system, email: str, password: str, client: httpx.AsyncClient | None = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=system.url("identity"), timeout=20) as own:
        return await (client or own).post(system.url("identity") + "/v1/sessions",
                                          json={"email": email, "password": password})


async def _statuses(system, headers: dict[str, str]) -> dict[str, int]:
    async with httpx.AsyncClient(timeout=20) as http:
        return {service: (await http.get(system.url(service) + path, headers=headers)).status_code
                for service, path in ADMIN_ROUTE.items()}


async def _until_refused_everywhere(system, headers: dict[str, str], timeout_s: float = 30) -> dict[str, int]:
    """Wait (polling) until every service answers 401; the revocation travels as an event to each."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    statuses = await _statuses(system, headers)
    while set(statuses.values()) != {401} and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.2)
        statuses = await _statuses(system, headers)
    return statuses


async def test_a_signed_in_token_works_everywhere_until_signed_out_then_every_service_refuses_it(signed):
    account = await _new_account(signed, ["admin"])
    # The email is matched however it is typed.
    response = await _sign_in(signed, f"  {account['email'].upper()} ", account["password"])
    assert response.status_code == 201, response.text
    session = response.json()
    assert session["token_type"] == "bearer" and 0 < session["expires_in"] <= 3600
    token = _bearer(session["access_token"])
    assert await _statuses(signed, token) == dict.fromkeys(ADMIN_ROUTE, 200)

    async with httpx.AsyncClient(base_url=signed.url("identity"), timeout=20) as http:
        assert (await http.delete("/v1/sessions/current", headers=token)).status_code == 204

    assert await _until_refused_everywhere(signed, token) == dict.fromkeys(ADMIN_ROUTE, 401)
    # Each service recorded the revocation in its own schema, through its own consumer group.
    for service in ADMIN_ROUTE:
        rows = await signed.sql(f"SELECT session_id FROM {service}.revoked_sessions WHERE session_id = $1",
                                uuid.UUID(session["session_id"]))
        assert len(rows) == 1, service
    # Only that session ended: signing in again gives a token that works.
    again = await _sign_in(signed, account["email"], account["password"])
    assert again.status_code == 201
    assert await _statuses(signed, _bearer(again.json()["access_token"])) == dict.fromkeys(ADMIN_ROUTE, 200)


async def test_a_worker_signs_in_as_its_worker_profile_and_disabling_the_account_refuses_its_token(signed):
    worker_id = await signed.add_worker("connector", "21", auto_accept=False)
    account = await _new_account(signed, ["connector"], worker_id=worker_id, programmes=["demo"])
    token = _bearer((await _sign_in(signed, account["email"], account["password"])).json()["access_token"])
    async with httpx.AsyncClient(base_url=signed.url("caseload"), timeout=20) as caseload:
        # The token acts as the account's worker profile: its own offers, not another worker's.
        assert (await caseload.get(f"/v1/workers/{worker_id}/offers", headers=token)).status_code == 200
        other = await caseload.get(f"/v1/workers/{uuid.uuid4()}/offers", headers=token)
        assert other.status_code in (403, 404), other.text

        async with httpx.AsyncClient(base_url=signed.url("identity"), timeout=20) as identity:
            disabled = await identity.patch(f"/v1/accounts/{account['id']}", headers=signed.staff_headers("admin"),
                                            json={"disabled": True})
            assert disabled.status_code == 200 and disabled.json()["disabled"] is True

        deadline = asyncio.get_running_loop().time() + 30
        status = 200
        while status != 401 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.2)
            status = (await caseload.get(f"/v1/workers/{worker_id}/offers", headers=token)).status_code
        assert status == 401
    # A disabled account cannot sign in again, with the right password or not.
    assert (await _sign_in(signed, account["email"], account["password"])).status_code == 401


async def test_a_guessing_loop_is_locked_out_within_ten_attempts_and_no_password_is_logged(signed):
    account = await _new_account(signed, ["coordinator"])
    guesses = [f"wrong-{secrets.token_hex(8)}" for _ in range(10)]
    # From an address of its own on the loopback network, so the lockout of this address leaves the
    # other tests' sign-ins (from 127.0.0.1) alone.
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with httpx.AsyncClient(transport=transport, timeout=20) as http:
        statuses = []
        for guess in guesses:
            response = await _sign_in(signed, account["email"], guess, client=http)
            statuses.append(response.status_code)
            if response.status_code == 429:
                break
        assert statuses[-1] == 429 and set(statuses[:-1]) == {401}, statuses
        assert int(response.headers["Retry-After"]) > 0
        # Locked out: the right password is not even tried now.
        assert (await _sign_in(signed, account["email"], account["password"], client=http)).status_code == 429
    # The account itself is locked out too, from any address.
    assert (await _sign_in(signed, account["email"], account["password"])).status_code == 429
    log = "\n".join(signed.log_lines("identity"))
    assert "sign_in_refused" in log
    assert not any(guess in log for guess in guesses) and account["password"] not in log


async def test_a_token_of_the_configured_oidc_issuer_signs_in_to_the_account_with_its_email(signed, issuer):
    account = await _new_account(signed, ["coordinator"])
    # From an address of its own: the refusals below count against it, not against the other tests' 127.0.0.1.
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.3")
    async with httpx.AsyncClient(base_url=signed.url("identity"), timeout=20, transport=transport) as http:
        # The identity provider's roles mean nothing here: the account's are what the token carries.
        token = issuer.mint(f"idp-{uuid.uuid4()}", ["admin"], email=account["email"])
        response = await http.post("/v1/sessions/oidc", json={"token": token})
        assert response.status_code == 201, response.text
        ours = _bearer(response.json()["access_token"])
        statuses = await _statuses(signed, ours)
        assert statuses["caseload"] == 200 and statuses["identity"] == 403  # a coordinator, not an admin

        refused = {
            "no account with that email": issuer.mint("someone", email=f"{uuid.uuid4().hex}@elsewhere.example"),
            "no email": issuer.mint("someone"),
            "an email the provider has not verified": issuer.mint("someone", email=account["email"],
                                                                  email_verified=False),
            "another client's token": issuer.mint("someone", email=account["email"], aud="another-client"),
            "expired": issuer.mint("someone", email=account["email"], exp_in=-600),
            "our own staff token": ours["Authorization"].removeprefix("Bearer "),
        }
        for why, bad in refused.items():
            answer = await http.post("/v1/sessions/oidc", json={"token": bad})
            assert answer.status_code == 401, f"{why}: {answer.status_code} {answer.text}"

        # Signing out of an OIDC sign-in ends it everywhere, as a password sign-in's does.
        assert (await http.delete("/v1/sessions/current", headers=ours)).status_code == 204
    assert await _until_refused_everywhere(signed, ours) == dict.fromkeys(ADMIN_ROUTE, 401)


async def test_the_account_command_manages_accounts_of_the_running_system(signed, tmp_path, capsys, monkeypatch):
    from referrals import cli

    # Found as `referrals up` leaves them: running.json and the secret in the data directory.
    data = tmp_path / "data"
    data.mkdir()
    (data / "running.json").write_text(json.dumps({"services": {"identity": signed.url("identity")}}))
    (data / "auth_secret").write_text(signed.secret)
    monkeypatch.delenv("AUTH_SECRET", raising=False)
    email = f"cli-{uuid.uuid4().hex[:8]}@staff.example.org"

    def run(*argv: str) -> tuple[int, str]:
        code = cli.main(["account", "--data-dir", str(data), *argv])
        return code, capsys.readouterr().out

    code, out = run("create", "--name", "Cli Person", "--email", email, "--role", "coordinator",
                    "--programme", "demo")
    assert code == 0, out
    [password] = [line.removeprefix("password: ") for line in out.splitlines() if line.startswith("password: ")]
    assert (await _sign_in(signed, email, password)).status_code == 201
    code, out = run("list")
    assert code == 0 and any(line.startswith(email) and "enabled" in line and "coordinator" in line
                             for line in out.splitlines()), out

    code, out = run("set-password", email)
    [new_password] = [line.removeprefix("password: ") for line in out.splitlines() if line.startswith("password: ")]
    assert code == 0 and new_password != password
    assert (await _sign_in(signed, email, password)).status_code == 401
    signed_in = await _sign_in(signed, email, new_password)
    assert signed_in.status_code == 201
    token = _bearer(signed_in.json()["access_token"])

    assert run("disable", email)[0] == 0
    assert (await _sign_in(signed, email, new_password)).status_code == 401
    assert (await _until_refused_everywhere(signed, token))["caseload"] == 401
    assert run("enable", email)[0] == 0
    assert (await _sign_in(signed, email, new_password)).status_code == 201
    assert run("disable", "nobody@nowhere.example")[0] == 1
