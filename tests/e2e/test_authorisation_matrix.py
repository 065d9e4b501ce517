"""The authorisation matrix, over the wire: every route each running service serves (its app's route table)
× every credential (none, garbage, forged, expired, over-long, wrong issuer, unknown role, a signed-out
session's, a partner's key, each staff role) gets the answer the policy table (shared/platform/policy.py) gives it.

"Let in" means neither 401 nor 403: the route then answers on the request itself (404 for an unknown id,
422 for an empty body), which is what a random id and an empty body are for.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from shared.platform.auth import ISSUER, STAFF_ROLES
from shared.platform.policy import access_for
from tests.support.routes import SERVICES, served_routes

pytestmark = pytest.mark.e2e

WORKER_ROLES = ("volunteer", "connector")
PROGRAMME = "matrix-programme"
PARTNER = "matrix-gp"


def _token(secret: str, *, roles=("admin",), lifetime=timedelta(minutes=10), issued=None, issuer=ISSUER) -> str:
    issued = issued or datetime.now(UTC)
    return jwt.encode({"iss": issuer, "sub": "matrix", "roles": list(roles), "iat": issued,
                       "exp": issued + lifetime}, secret, algorithm="HS256")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _path(template: str, worker_id: str | None) -> str:
    values = {"programme_id": PROGRAMME, "partner_id": PARTNER, "worker_id": worker_id or str(uuid.uuid4())}
    path = template
    while "{" in path:
        name = path[path.index("{") + 1:path.index("}")]
        path = path.replace("{" + name + "}", values.get(name, str(uuid.uuid4())))
    return path


async def _signed_out_admin_token(system) -> str:
    """An admin account's token from identity, signed out, once every service has the revocation."""
    password = secrets.token_urlsafe(18)
    email = f"matrix-{uuid.uuid4().hex[:8]}@staff.example.org"
    async with httpx.AsyncClient(base_url=system.url("identity"), timeout=20) as identity:
        created = await identity.post("/v1/accounts", headers=system.staff_headers("admin"),
                                      json={"name": "Matrix", "email": email, "roles": ["admin"], "password": password})
        assert created.status_code == 201, created.text
        signed_in = await identity.post("/v1/sessions", json={"email": email, "password": password})
        assert signed_in.status_code == 201, signed_in.text
        session = signed_in.json()
        assert (await identity.delete("/v1/sessions/current", headers=_bearer(session["access_token"]))).status_code == 204
    # Waits until each service has recorded it (an event away), so the matrix tests the refusal, not a race.
    for service in SERVICES:
        await system.wait_for(f"SELECT 1 FROM {service}.revoked_sessions WHERE session_id = $1",
                              uuid.UUID(session["session_id"]), timeout_s=30)
    return session["access_token"]


async def test_every_route_and_credential_gets_what_the_policy_table_says(system):
    # The matrix sends hundreds of wrong credentials from one address: the lockout is tested elsewhere.
    system.start(extra_env={"AUTH_MAX_FAILURES": "1000000"})
    key = await system.setup_partner(programmes=(PROGRAMME,), partner_id=PARTNER)
    secret = system.secret
    workers = {role: await system.add_worker(role, "21", programme=PROGRAMME) for role in WORKER_ROLES}
    refused_outright = {
        "no credential": {},
        "garbage bearer": _bearer("not-a-token"),
        "forged (another secret)": _bearer(_token("f" * 40)),
        "expired": _bearer(_token(secret, issued=datetime.now(UTC) - timedelta(hours=2), lifetime=timedelta(hours=1))),
        "over-long lifetime": _bearer(_token(secret, lifetime=timedelta(days=365))),
        "wrong issuer": _bearer(_token(secret, issuer="someone-else")),
        "unknown role": _bearer(_token(secret, roles=("superuser",))),
        "wrong API key": {"X-API-Key": "ccr_nope.nope"},
        # Well signed, by our secret, for an admin: but its session was signed out.
        "revoked (signed out)": _bearer(await _signed_out_admin_token(system)),
    }
    scraper = system.scraper_headers  # the deployment's metrics scrape token: /metrics only
    # A referrer is bound to a partner (the matrix's); every other role to none.
    roles = {role: system.staff_headers(role, subject=f"matrix-{role}", worker_id=workers.get(role),
                                        partner_id=PARTNER if role == "referrer" else None)
             for role in sorted(STAFF_ROLES)}
    wrong: list[str] = []
    checked = 0
    async with httpx.AsyncClient(timeout=20) as http:
        async def call(service, route, headers, worker_id=None) -> int:
            nonlocal checked
            checked += 1
            response = await http.request(route.method, system.url(service) + _path(route.path, worker_id),
                                          headers=headers, json=None if route.method == "GET" else {})
            return response.status_code

        for service in SERVICES:
            for route in served_routes(service):
                access = access_for(service, route.method, route.path)
                where = f"{service} {route.method} {route.path}"
                if access.who == "public":
                    for name, headers in {**refused_outright, "admin": roles["admin"]}.items():
                        if (got := await call(service, route, headers)) in (401, 403):
                            wrong.append(f"{where} [{name}]: {got}, but it is public")
                    continue
                for name, headers in refused_outright.items():
                    if (got := await call(service, route, headers)) != 401:
                        wrong.append(f"{where} [{name}]: {got}, expected 401")
                if access.who == "partner":
                    if (got := await call(service, route, scraper)) != 401:
                        wrong.append(f"{where} [scrape token]: {got}, expected 401 (partners only)")
                    if (got := await call(service, route, {"X-API-Key": key})) in (401, 403):
                        wrong.append(f"{where} [partner key]: {got}, expected to be let in")
                    for role, headers in roles.items():
                        got = await call(service, route, headers)
                        if role in access.roles and got in (401, 403):
                            wrong.append(f"{where} [{role} token]: {got}, expected to be let in (its partner's)")
                        elif role not in access.roles and got != 401:
                            wrong.append(f"{where} [{role} token]: {got}, expected 401 (partners only)")
                    continue
                if (got := await call(service, route, {"X-API-Key": key})) != 401:
                    wrong.append(f"{where} [partner key]: {got}, expected 401 (staff only)")
                got = await call(service, route, scraper)
                if access.scraper and got in (401, 403):
                    wrong.append(f"{where} [scrape token]: {got}, expected to be let in")
                elif not access.scraper and got != 401:
                    wrong.append(f"{where} [scrape token]: {got}, expected 401 (it is no staff token)")
                for role, headers in roles.items():
                    got = await call(service, route, headers, worker_id=workers.get(role))
                    if role in access.roles and got in (401, 403):
                        wrong.append(f"{where} [{role}]: {got}, expected to be let in")
                    elif role not in access.roles and got != 403:
                        wrong.append(f"{where} [{role}]: {got}, expected 403")
    assert wrong == []
    assert checked > 700  # every route × every credential, not a handful


async def test_another_partners_key_learns_nothing_of_a_referral(system):
    system.start()
    key_a = await system.setup_partner(partner_id="matrix-gp-a")
    key_b = await system.setup_partner(partner_id="matrix-gp-b")
    async with httpx.AsyncClient(base_url=system.url("intake"), timeout=10) as http:
        sent = await http.post("/v1/referrals", headers={"X-API-Key": key_a}, json={
            "partner_referral_id": "MATRIX-A-1", "programme_id": "demo",
            "person": {"given_name": "Ada", "family_name": "Apart", "age_years": 70},
            "consent": {"to_referral": True}})
        assert sent.status_code == 201, sent.text
        referral_id = sent.json()["referral_id"]
        assert (await http.get(f"/v1/referrals/{referral_id}", headers={"X-API-Key": key_a})).status_code == 200
        for path in (f"/v1/referrals/{referral_id}", f"/fhir/Task/{referral_id}"):
            seen = await http.get(path, headers={"X-API-Key": key_b})
            assert seen.status_code == 404, f"{path}: {seen.text}"
            assert referral_id not in seen.text
        # B asking by A's own reference finds nothing either: references are looked up within a partner.
        found = await http.get("/v1/referrals", params={"partner_referral_id": "MATRIX-A-1"},
                               headers={"X-API-Key": key_b})
        assert found.status_code == 404 and referral_id not in found.text


async def test_a_referrer_sees_and_sends_as_their_own_partner_only(system):
    system.start("intake")
    await system.setup_partner(partner_id="matrix-gp-a")
    await system.setup_partner(partner_id="matrix-gp-b")
    referrer_a = system.staff_headers("referrer", subject="ref-a", partner_id="matrix-gp-a")
    referrer_b = system.staff_headers("referrer", subject="ref-b", partner_id="matrix-gp-b")
    async with httpx.AsyncClient(base_url=system.url("intake"), timeout=10) as http:
        sent = await http.post("/v1/referrals", headers=referrer_a, json={
            "partner_referral_id": "MATRIX-REF-A-1", "programme_id": "demo",
            "person": {"given_name": "Ada", "family_name": "Apart", "age_years": 70},
            "consent": {"to_referral": True}})
        assert sent.status_code == 201, sent.text
        referral_id = sent.json()["referral_id"]
        mine = await http.get(f"/v1/referrals/{referral_id}", headers=referrer_a)
        assert mine.status_code == 200 and mine.json()["status"] == "received"
        listed = (await http.get("/v1/partner-referrals", headers=referrer_a)).json()
        assert [r["referral_id"] for r in listed] == [referral_id]
        # Partner B's referrer learns nothing of it, by id, by A's reference or in B's list.
        assert (await http.get(f"/v1/referrals/{referral_id}", headers=referrer_b)).status_code == 404
        found = await http.get("/v1/referrals", params={"partner_referral_id": "MATRIX-REF-A-1"}, headers=referrer_b)
        assert found.status_code == 404 and referral_id not in found.text
        assert (await http.get("/v1/partner-referrals", headers=referrer_b)).json() == []
        # Scheme staff are no partner's: an admin's token is no referrer's on these routes.
        assert (await http.get("/v1/partner-referrals", headers=system.staff_headers("admin"))).status_code == 401
