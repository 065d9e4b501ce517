"""Outcomes' routes translate HTTP to report calls and the service layer's errors to status codes,
taking the views from the bootstrap's dependencies (here fakes); no database."""

from __future__ import annotations

import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.outcomes.bootstrap import OutcomesDependencies
from services.outcomes.entrypoints.http import router
from shared.platform.auth import issue_staff_token
from tests.unit.outcomes.fakes import FakeOutcomesUnitOfWork, FakeViews

SECRET = "s" * 40
CASE = uuid.uuid4()


@pytest.fixture
def views() -> FakeViews:
    return FakeViews(measures={CASE: [
        {"instrument": "ucla3", "timepoint": "baseline", "score": Decimal("7"), "category": "lonely"},
        {"instrument": "ucla3", "timepoint": "end", "score": Decimal("7"), "category": "lonely"}]})


@pytest.fixture
def client(views) -> TestClient:
    app = FastAPI()
    app.include_router(router)
    app.state.settings = SimpleNamespace(auth_secret=SECRET)
    app.state.service_name = "outcomes"
    app.state.ctx = SimpleNamespace(dependencies=OutcomesDependencies(uow=FakeOutcomesUnitOfWork(), views=views))
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {issue_staff_token(SECRET, 'manager-1', ['manager'])}"
    return client


def test_a_case_without_measures_is_404_and_one_with_them_shows_its_change(client):
    missing = client.get(f"/v1/outcomes/cases/{uuid.uuid4()}")
    assert (missing.status_code, missing.json()) == (404, {"detail": "no measures recorded for that case"})

    found = client.get(f"/v1/outcomes/cases/{CASE}")
    assert found.status_code == 200
    assert [(c["instrument"], c["change"], c["direction"]) for c in found.json()["changes"]] == [("ucla3", 0.0, "same")]


def test_an_unknown_instrument_is_422_naming_the_known_ones(client):
    # The document lists the instruments (an enum), so the refusal is the request's validation, naming them.
    for route in ("/v1/reports/outcomes", "/v1/reports/completeness"):
        refused = client.get(route, params={"instrument": "gad7"})
        assert refused.status_code == 422
        [problem] = refused.json()["detail"]
        assert problem["loc"] == ["query", "instrument"]
        assert all(f"'{known}'" in problem["msg"] for known in ("ucla3", "ons_loneliness", "swemwbs", "mycaw"))


def test_reports_come_as_json_csv_or_svg(client, views):
    assert client.get("/v1/reports/outcomes", params={"programme_id": "demo"}).json()["groups"] == []
    assert views.asked[-1][1]["programme_id"] == "demo"
    csv = client.get("/v1/reports/outcomes", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.headers["content-disposition"] == 'attachment; filename="ucla3-report.csv"'
    assert client.get("/v1/reports/outcomes", params={"format": "svg"}).headers["content-type"] == "image/svg+xml"


def test_the_loneliness_headline_funnel_and_completeness_answer(client):
    assert client.get("/v1/reports/loneliness").json() == {
        "programme_id": None, "instrument": "ucla3", "paired": 0, "improved": 0, "same": 0, "worse": 0,
        "mean_change": None}
    assert client.get("/v1/reports/funnel", params={"programme_id": "demo"}).json()["programme_id"] == "demo"
    assert client.get("/v1/reports/completeness").json() == {"instrument": "ucla3", "rows": [],
                                                               "missing_reasons": []}


def test_without_a_staff_token_nothing_is_read(client, views):
    del client.headers["Authorization"]
    assert client.get("/v1/reports/funnel").status_code == 401
    assert views.asked == []
