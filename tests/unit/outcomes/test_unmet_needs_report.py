"""Unmet needs by kind and area: the report splits the views' grouping-set rows into its levels, is held to
the account's programmes, and comes as JSON or CSV."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.outcomes.bootstrap import OutcomesDependencies
from services.outcomes.entrypoints.http import router
from services.outcomes.service_layer import reports
from services.outcomes.service_layer.scope import OutsideProgrammes
from shared.platform.auth import issue_staff_token
from tests.unit.outcomes.fakes import FakeOutcomesUnitOfWork, FakeViews

SECRET = "s" * 40
# As the views give them: (kind, area) rows, then kind alone, area alone, and the total.
ROWS = [
    {"kind": "befriending in somali", "area": "E8", "times": 3, "cases": 2},
    {"kind": "befriending in somali", "area": "N16", "times": 1, "cases": 1},
    {"kind": "=cmd|' /c calc'!a1", "area": "not known", "times": 1, "cases": 1},
    {"kind": "befriending in somali", "area": None, "times": 4, "cases": 3},
    {"kind": "=cmd|' /c calc'!a1", "area": None, "times": 1, "cases": 1},
    {"kind": None, "area": "E8", "times": 3, "cases": 2},
    {"kind": None, "area": "N16", "times": 1, "cases": 1},
    {"kind": None, "area": "not known", "times": 1, "cases": 1},
    {"kind": None, "area": None, "times": 5, "cases": 4},
]


async def test_the_report_gives_each_level_with_times_and_cases():
    views = FakeViews(unmet_needs=ROWS)
    report = await reports.unmet_needs(views, "demo", datetime(2026, 1, 1, tzinfo=UTC), None)
    assert (report["times"], report["cases"]) == (5, 4)
    assert report["by_kind"][0] == {"kind": "befriending in somali", "times": 4, "cases": 3}
    assert [a["area"] for a in report["by_area"]] == ["E8", "N16", "not known"]
    assert report["by_kind_and_area"][1] == {"kind": "befriending in somali", "area": "N16", "times": 1, "cases": 1}
    assert report["filters"] == {"programme_id": "demo", "recorded_from": "2026-01-01T00:00:00+00:00",
                                 "recorded_to": None}
    assert views.asked == [("unmet_needs", {"programme_id": "demo", "recorded_from": datetime(2026, 1, 1, tzinfo=UTC),
                                            "recorded_to": None})]


async def test_with_nothing_recorded_the_report_is_empty_and_zero():
    report = await reports.unmet_needs(FakeViews(), "demo")
    assert (report["times"], report["cases"], report["by_kind"], report["by_area"]) == (0, 0, [], [])


async def test_a_scoped_account_reads_its_own_programmes_only():
    views = FakeViews(unmet_needs=ROWS)
    with pytest.raises(OutsideProgrammes):
        await reports.unmet_needs(views, "elsewhere", programmes=frozenset({"demo"}))
    await reports.unmet_needs(views, None, programmes=frozenset({"demo"}))
    assert views.asked == [("unmet_needs", {"programme_id": "demo", "recorded_from": None, "recorded_to": None})]


def _client(token_programmes=None) -> TestClient:
    app = FastAPI()
    app.include_router(router)
    app.state.settings = SimpleNamespace(auth_secret=SECRET)
    app.state.service_name = "outcomes"
    app.state.ctx = SimpleNamespace(dependencies=OutcomesDependencies(uow=FakeOutcomesUnitOfWork(),
                                                                      views=FakeViews(unmet_needs=ROWS)))
    client = TestClient(app)
    token = issue_staff_token(SECRET, "coordinator-1", ["coordinator"], programmes=token_programmes)
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def test_the_route_answers_json_and_csv_with_no_formula_cell():
    client = _client()
    assert client.get("/v1/reports/unmet-needs").json()["by_kind"][0]["kind"] == "befriending in somali"
    csv = client.get("/v1/reports/unmet-needs", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[:2] == ["kind,area,times,cases", "befriending in somali,E8,3,2"]
    assert lines[3].startswith("'=cmd")


def test_another_programme_is_403_and_a_bad_date_422():
    client = _client(["demo"])
    assert client.get("/v1/reports/unmet-needs", params={"programme_id": "north"}).status_code == 403
    assert client.get("/v1/reports/unmet-needs", params={"recorded_from": "last week"}).status_code == 422
