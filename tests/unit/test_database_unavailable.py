"""While the database cannot be reached (restarting, failing over), a request gets 503 with Retry-After, in
problem details for programs and in words for a person on the public form, and the log has a warning, not a
traceback per request. A fault of ours is still a 500. The connections are real: to a port nothing listens on."""

from __future__ import annotations

from functools import partial
from types import SimpleNamespace

import asyncpg
import pytest
import sqlalchemy as sa
import sqlalchemy.exc
from fastapi import FastAPI
from fastapi.testclient import TestClient

from referrals.embedded import free_port
from services.intake.adapters.unit_of_work import SqlIntakeUnitOfWork
from services.intake.bootstrap import Intake, _admission
from services.intake.entrypoints.self_referral.routes import router as self_referral
from shared.platform.db import make_engine
from shared.platform.http import database_out_of_reach, install_http_plumbing
from shared.platform.openapi import with_unavailable


@pytest.fixture
def client():
    engine = make_engine(f"postgresql://nobody:nothing@127.0.0.1:{free_port()}/nowhere")
    app = FastAPI()
    install_http_plumbing(app)

    @app.get("/v1/things")
    async def things():
        async with engine.connect() as conn:
            return (await conn.execute(sa.text("SELECT 1"))).scalar()

    @app.get("/v1/bug")
    async def bug():
        raise ValueError("a fault of ours")

    @app.get("/v1/duplicate")
    async def duplicate():
        raise sqlalchemy.exc.IntegrityError("INSERT", None, asyncpg.UniqueViolationError("duplicate key"))

    app.include_router(self_referral)
    app.state.ctx = SimpleNamespace(dependencies=Intake(
        uow=partial(SqlIntakeUnitOfWork, engine, None, None), webhooks=None, retention=None,
        admission=_admission(None)))
    return TestClient(app, raise_server_exceptions=False)


def test_a_program_is_told_to_come_back_in_problem_details(client):
    answer = client.get("/v1/things")
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["Retry-After"] == "5"
    assert answer.json()["title"] == "Service unavailable" and "try again" in answer.json()["detail"]


def test_a_person_on_the_form_is_asked_in_words_to_send_it_again(client):
    answer = client.post("/self-referral/demo", data={"given_name": "Ada", "family_name": "Lovell"})
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert answer.headers["content-type"].startswith("text/html")
    assert "could not save your referral just now" in answer.text and "send the form again in 1 minute" in answer.text


def test_a_fault_of_ours_is_still_a_server_error(client):
    assert client.get("/v1/bug").status_code == 500
    assert client.get("/v1/duplicate").status_code == 500  # the database answered: it is not out of reach


@pytest.mark.parametrize(("error", "out_of_reach"), [
    (ConnectionRefusedError(111, "Connect call failed"), True),
    (asyncpg.CannotConnectNowError("the database system is starting up"), True),
    (asyncpg.AdminShutdownError("terminating connection due to administrator command"), True),
    (asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"), True),
    (sqlalchemy.exc.OperationalError("SELECT 1", None, asyncpg.CannotConnectNowError("starting up")), True),
    (sqlalchemy.exc.DBAPIError("SELECT 1", None, Exception("gone"), connection_invalidated=True), True),
    (asyncpg.UniqueViolationError("duplicate key"), False),
    (sqlalchemy.exc.IntegrityError("INSERT", None, asyncpg.UniqueViolationError("duplicate key")), False),
    (ValueError("not a database problem"), False),
])
def test_what_counts_as_the_database_out_of_reach(error, out_of_reach):
    assert database_out_of_reach(error) is out_of_reach


def test_every_route_but_health_documents_the_503_and_the_form_keeps_its_page():
    document = {"paths": {
        "/v1/things": {"get": {"responses": {"200": {"description": "ok"}}}},
        "/health/ready": {"get": {"responses": {"200": {"description": "ok"}}}},
        "/self-referral/{programme_id}": {"post": {"responses": {"503": {"description": "a page"}}}},
    }}
    documented = with_unavailable(document)["paths"]
    assert documented["/v1/things"]["get"]["responses"]["503"]["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    assert "503" not in documented["/health/ready"]["get"]["responses"]
    assert documented["/self-referral/{programme_id}"]["post"]["responses"]["503"] == {"description": "a page"}
