"""The policy table (shared/platform/policy.py) covers every route every service serves, and only those;
each route's declared credential agrees with its row; and a route left out of the table is refused."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from shared.platform.auth import STAFF_ROLES, StaffPrincipal, issue_staff_token, require_staff, route_access
from shared.platform.policy import POLICY, access_for
from shared.platform.throttle import FailedAttempts
from tests.support.routes import SERVICES, ServedRoute, routes_of_app, served_routes

SECRET = "p" * 40


def missing_rows(routes: list[ServedRoute]) -> list[str]:
    return [f"{r.service} {r.method} {r.path}" for r in routes if access_for(r.service, r.method, r.path) is None]


@pytest.mark.parametrize("service", SERVICES)
def test_every_served_route_has_a_row_and_every_row_a_route(service):
    routes = served_routes(service)
    assert len(routes) > 12  # the platform's own routes plus the service's
    assert missing_rows(routes) == []
    served = {(r.method, r.path) for r in routes}
    assert sorted(set(POLICY[service]) - served) == []  # no stale rows for routes that are gone


@pytest.mark.parametrize("service", SERVICES)
def test_each_route_declares_the_credential_its_row_names(service):
    for route in served_routes(service):
        access = access_for(service, route.method, route.path)
        expected = {"public": "none", "partner": "partner", "staff": "staff"}[access.who]
        assert route.guard == expected, f"{service} {route.method} {route.path}: row says {access.who}"
        if access.who == "staff":
            assert access.roles and access.roles <= STAFF_ROLES, route.path


def test_worker_roles_never_administer_and_transfer_is_a_coordinators():
    admin_rows = [row for rows in POLICY.values() for (method, path), row in rows.items()
                  if path.startswith(("/v1/partners", "/v1/programmes", "/v1/rulesets")) and method != "GET"]
    assert admin_rows and all(not (row.roles & {"volunteer", "connector"}) for row in admin_rows)
    assert POLICY["caseload"][("POST", "/v1/cases/{case_id}/transfer")].roles == {"admin", "coordinator"}


def test_accounts_are_the_admins_alone_and_anyone_signed_in_may_sign_out():
    account_rows = {key: row for key, row in POLICY["identity"].items() if key[1].startswith("/v1/accounts")}
    assert len(account_rows) == 5 and all(row.roles == {"admin"} for row in account_rows.values())
    assert POLICY["identity"][("DELETE", "/v1/sessions/current")].roles == STAFF_ROLES
    assert {POLICY["identity"][("POST", p)].who for p in ("/v1/sessions", "/v1/sessions/oidc")} == {"public"}


def _app_with_an_unlisted_route() -> FastAPI:
    app = FastAPI(dependencies=[Depends(route_access)], docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = SimpleNamespace(auth_secret=SECRET)
    app.state.failed_attempts = FailedAttempts(max_failures=100)
    app.state.service_name = "caseload"

    @app.get("/v1/cases")
    async def listed(_: StaffPrincipal = Depends(require_staff())) -> dict:
        return {"listed": True}

    @app.get("/v1/cases-everyone-forgot")
    async def unlisted() -> dict:
        return {"leaked": True}

    return app


def test_a_route_without_a_row_is_found_by_the_check_and_refused_when_called():
    app = _app_with_an_unlisted_route()
    assert missing_rows(list(routes_of_app("caseload", app))) == ["caseload GET /v1/cases-everyone-forgot"]
    client = TestClient(app)
    token = issue_staff_token(SECRET, "a-1", ["admin"])
    refused = client.get("/v1/cases-everyone-forgot", headers={"Authorization": f"Bearer {token}"})
    assert (refused.status_code, refused.json()) == (403, {"detail": "no access policy covers this route"})
    assert client.get("/v1/cases", headers={"Authorization": f"Bearer {token}"}).json() == {"listed": True}


def test_the_roles_come_from_the_table_not_the_route():
    client = TestClient(_app_with_an_unlisted_route())
    manager = issue_staff_token(SECRET, "m-1", ["manager"])  # not a case reader in the table
    auditor = issue_staff_token(SECRET, "u-1", ["auditor"])  # a case reader in the table
    assert client.get("/v1/cases", headers={"Authorization": f"Bearer {manager}"}).status_code == 403
    assert client.get("/v1/cases", headers={"Authorization": f"Bearer {auditor}"}).status_code == 200


def test_metrics_are_for_operators_and_the_scraper_and_nothing_else_takes_the_scrape_token():
    scraper_rows = {(service, method, path) for service, rows in POLICY.items()
                    for (method, path), row in rows.items() if row.scraper}
    assert scraper_rows == {(service, "GET", "/metrics") for service in POLICY}
    assert all(POLICY[service][("GET", "/metrics")].roles == {"admin", "operator"} for service in POLICY)


def _app_with_metrics(scrape_token: str | None) -> TestClient:
    app = FastAPI(dependencies=[Depends(route_access)], docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = SimpleNamespace(auth_secret=SECRET, metrics_scrape_token=scrape_token)
    app.state.failed_attempts = FailedAttempts(max_failures=100)
    app.state.service_name = "caseload"

    @app.get("/metrics")
    async def metrics(who: StaffPrincipal = Depends(require_staff())) -> dict:
        return {"who": who.subject}

    @app.get("/v1/cases")
    async def cases(_: StaffPrincipal = Depends(require_staff())) -> dict:
        return {"listed": True}

    return TestClient(app)


def test_the_scrape_token_opens_metrics_only():
    token = "m" + "etrics-scrape-token-0123456789abcdefXYZ"
    client = _app_with_metrics(token)
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/metrics", headers=bearer).json() == {"who": "metrics-scraper"}
    assert client.get("/v1/cases", headers=bearer).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {token[:-1]}x"}).status_code == 401
    assert client.get("/metrics").status_code == 401
    operator = issue_staff_token(SECRET, "o-1", ["operator"])
    assert client.get("/metrics", headers={"Authorization": f"Bearer {operator}"}).json() == {"who": "o-1"}
    manager = issue_staff_token(SECRET, "m-1", ["manager"])
    assert client.get("/metrics", headers={"Authorization": f"Bearer {manager}"}).status_code == 403


def test_without_a_scrape_token_configured_an_empty_bearer_is_no_key():
    client = _app_with_metrics(None)
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer None"}).status_code == 401
