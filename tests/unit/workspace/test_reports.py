"""The outcome report page against fake services: filters passed on, workers named, the chart labelled,
the CSV passed through, and the page kept from roles that do not report."""

from __future__ import annotations

import re

import httpx

from services.workspace.domain.charts import Series, grouped_bars
from tests.unit.workspace.support import FakeServices, signed_in

ALICE, BOB = "0b0f0000-0000-4000-8000-0000000000a1", "0b0f0000-0000-4000-8000-0000000000b1"


def _group(group, paired, start, end):
    return {"group": group, "paired": paired, "improved": paired, "same": 0, "worse": 0, "improved_pct": 100.0,
            "mean_start": start, "mean_end": end, "mean_change": end - start}


def _fake() -> FakeServices:
    fake = FakeServices()
    fake.roles, fake.worker_id = ["manager"], None
    fake.on("GET", "caseload", r"/v1/workers", [{"id": ALICE, "name": "Alice Connector"},
                                                {"id": BOB, "name": "Bob Volunteer"}])

    def report(request: httpx.Request, match):
        if request.url.params.get("format") == "csv":
            return httpx.Response(200, text="group,paired\nall,2\n", headers={"content-type": "text/csv"})
        worker = request.url.params.get("worker_id")
        groups = {ALICE: [_group(None, 2, 7.5, 4.0)], BOB: []}.get(worker, [_group(None, 2, 7.5, 4.0)])
        return httpx.Response(200, json={"instrument": "ucla3", "instrument_name": "UCLA-3", "better": "lower",
                                         "groups": groups})

    fake.on("GET", "outcomes", r"/v1/reports/outcomes", report)
    return fake


def test_the_report_shows_a_labelled_chart_and_the_table_behind_it():
    fake = _fake()
    page = signed_in(fake).get("/reports?instrument=ucla3&closed_from=2026-01-01")
    assert page.status_code == 200
    svg = re.search(r"<svg.*?</svg>", page.text, re.S).group(0)
    assert 'role="img"' in svg and "<title" in svg and ">7.5<" in svg and ">4<" in svg and "Mean score" in svg
    assert "Download these figures (CSV)" in page.text
    [asked] = [c for c in fake.calls if c.url.path == "/v1/reports/outcomes"]
    assert asked.url.params["closed_from"] == "2026-01-01T00:00:00+00:00"


def test_broken_down_by_worker_the_rows_are_named_not_numbered():
    fake = _fake()
    page = signed_in(fake).get("/reports?breakdown=worker")
    assert "Alice Connector" in page.text and ALICE not in page.text.split("<table")[1]
    assert "Bob Volunteer" not in page.text.split("<table")[1]  # no pairs: no row


def test_bad_filters_are_named_and_nothing_is_asked_of_outcomes():
    fake = _fake()
    page = signed_in(fake).get("/reports?instrument=iq&closed_to=31/03/2026")
    assert page.status_code == 422 and 'href="#instrument"' in page.text and 'href="#closed_to"' in page.text
    assert not [c for c in fake.calls if c.url.host == "outcomes"]


def test_the_csv_is_outcomes_own():
    response = signed_in(_fake()).get("/reports/outcomes.csv?instrument=ucla3")
    assert response.status_code == 200 and response.text == "group,paired\nall,2\n"
    assert response.headers["content-disposition"].startswith("attachment")


def test_a_connector_cannot_open_reports():
    fake = _fake()
    fake.roles, fake.worker_id = ["connector"], ALICE
    assert signed_in(fake).get("/reports").status_code == 403


def test_a_chart_writes_every_value_and_tick_as_text():
    svg = grouped_bars("T", "D", [("Everyone", [8.0, 5.0]), ("Over 75", [None, 3.0])],
                       [Series("Start", "a"), Series("End", "b")], "Score")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert {"8", "5", "3", "Everyone", "Over 75", "Start", "End", "Score", "Start: no data"} <= set(texts)
    assert {"0", "2.5", "5", "7.5", "10"} <= set(texts)  # the axis: ticks up to a round maximum


def test_completeness_names_each_worker():
    fake = _fake()
    fake.on("GET", "outcomes", r"/v1/reports/completeness", {"instrument": "ucla3", "missing_reasons": [], "rows": [
        {"level": "all", "programme_id": None, "worker_id": None, "closed_cases": 4, "with_baseline": 3,
         "with_baseline_pct": 75.0, "with_end": 2, "with_end_pct": 50.0, "with_follow_up": 0, "with_follow_up_pct": 0.0},
        {"level": "worker", "programme_id": "demo", "worker_id": ALICE, "closed_cases": 4, "with_baseline": 3,
         "with_baseline_pct": 75.0, "with_end": 2, "with_end_pct": 50.0, "with_follow_up": 0,
         "with_follow_up_pct": 0.0}]})
    page = signed_in(fake).get("/reports/completeness")
    assert page.status_code == 200 and "Everyone" in page.text and "Alice Connector" in page.text
    assert ALICE not in page.text and "2 (50.0%)" in page.text


def test_the_funnel_lists_its_counts_and_lists():
    fake = _fake()
    fake.on("GET", "outcomes", r"/v1/reports/funnel", {"programme_id": None, "referrals": 12, "accepted": 9,
                                                        "unmet_needs": [{"need": "befriending in Somali", "count": 2}]})
    page = signed_in(fake).get("/reports/funnel")
    assert page.status_code == 200 and "Referrals" in page.text and ">12<" in page.text
    assert "befriending in Somali" in page.text
