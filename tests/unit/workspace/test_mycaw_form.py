"""MYCaW's form: one or two concerns in the person's words, each scored 0-6, and wellbeing 0-6; checked as the
instrument requires, with each problem linked from the error summary; sent as caseload takes it; shown on the case."""

from __future__ import annotations

import re

import httpx

from services.workspace.domain.instruments import INSTRUMENTS, described, read_measure
from tests.unit.workspace.support import FakeServices, csrf_of, signed_in

CASE = "0b0f0000-0000-4000-8000-0000000000c1"
MYCAW = INSTRUMENTS["mycaw"]
BASELINE = {"instrument": "mycaw", "timepoint": "baseline", "items": [5, 3, 4],
            "concerns": ["Feeling alone at weekends", "Money worries"]}


def test_two_concerns_each_scored_with_wellbeing_are_sent_in_the_instruments_order():
    measure, errors = read_measure(MYCAW, "baseline", {
        "collected": "yes", "concern_1": " Feeling alone at weekends ", "concern_1_score": "5",
        "concern_2": "Money worries", "concern_2_score": "3", "item_1": "4"})
    assert errors == {}
    assert measure == BASELINE


def test_one_concern_is_enough_and_the_second_is_left_out():
    measure, errors = read_measure(MYCAW, "baseline", {
        "collected": "yes", "concern_1": "Getting out of the house", "concern_1_score": "6", "item_1": "0"})
    assert errors == {}
    assert measure == {"instrument": "mycaw", "timepoint": "baseline", "items": [6, 0],
                       "concerns": ["Getting out of the house"]}


def test_each_problem_is_named_against_its_own_field():
    _, errors = read_measure(MYCAW, "baseline", {
        "collected": "yes", "concern_2_score": "2", "item_1": "7"})
    assert set(errors) == {"concern_1", "concern_2", "item_1"}  # a score with no concern is a missing concern
    _, errors = read_measure(MYCAW, "end", {"collected": "yes", "concern_1": "Lonely", "concern_1_score": "9",
                                           "concern_2": "x" * 301, "concern_2_score": "1", "item_1": "3"})
    assert set(errors) == {"concern_1_score", "concern_2"}
    _, errors = read_measure(MYCAW, "baseline", {"collected": "yes", "concern_1": "Lonely", "item_1": "3"})
    assert set(errors) == {"concern_1_score"}


def test_not_collected_takes_a_reason_instead_of_concerns():
    measure, errors = read_measure(MYCAW, "end", {"collected": "no", "not_collected_reason": "Did not want to"})
    assert errors == {} and measure == {"instrument": "mycaw", "timepoint": "end",
                                        "not_collected_reason": "Did not want to"}


def test_a_recorded_mycaw_is_described_with_each_concern_and_score():
    assert described(BASELINE) == ("MYCAW, baseline: “Feeling alone at weekends” 5 of 6; “Money worries” 3 of 6; "
                                   "wellbeing 4 of 6")


def _fake(measures: list[dict]) -> FakeServices:
    fake = FakeServices()
    fake.on("GET", "caseload", rf"/v1/cases/{CASE}", {"id": CASE, "status": "assigned", "goals": {}, "signposts": {},
                                                     "measures": measures, "measures_due": []})
    fake.on("GET", "caseload", rf"/v1/cases/{CASE}/events", [])
    fake.on("GET", "intake", rf"/v1/cases/{CASE}/person", {"given_name": "Ada", "family_name": "Example"})
    fake.on("POST", "caseload", rf"/v1/cases/{CASE}/measures",
            lambda request, match: httpx.Response(201, json={"ok": True}))
    return fake


def test_the_form_refuses_with_the_error_summary_then_records_and_the_case_shows_it():
    fake = _fake([])
    client = signed_in(fake)
    assert "Record Measure Yourself Concerns and Wellbeing (MYCaW)" in client.get(f"/cases/{CASE}").text
    form = client.get(f"/cases/{CASE}/measures/mycaw?timepoint=baseline")
    assert form.status_code == 200 and 'name="concern_1"' in form.text and 'name="concern_2_score"' in form.text
    refused = client.post(f"/cases/{CASE}/measures/mycaw", data={
        "csrf_token": csrf_of(form.text), "timepoint": "baseline", "collected": "yes", "concern_1_score": "4"})
    assert refused.status_code == 422 and refused.text.count("<title>Error:") == 1
    targets = re.findall(r'<li><a href="#([^"]+)">', refused.text)
    assert set(targets) == {"concern_1", "item_1"}
    assert all(f'id="{target}"' in refused.text for target in targets)
    assert not fake.bodies("POST", f"/v1/cases/{CASE}/measures")

    saved = client.post(f"/cases/{CASE}/measures/mycaw", data={
        "csrf_token": csrf_of(form.text), "timepoint": "baseline", "collected": "yes",
        "concern_1": "Feeling alone at weekends", "concern_1_score": "5", "concern_2": "Money worries",
        "concern_2_score": "3", "item_1": "4"})
    assert saved.status_code == 303
    assert fake.bodies("POST", f"/v1/cases/{CASE}/measures") == [BASELINE]

    # Caseload now holds it (with the concerns opened for this reader): the case lists it, concerns and scores.
    fake.on("GET", "caseload", rf"/v1/cases/{CASE}", {"id": CASE, "status": "assigned", "goals": {},
                                                     "signposts": {}, "measures": [BASELINE], "measures_due": []})
    case = client.get(f"/cases/{CASE}").text
    assert "“Feeling alone at weekends” 5 of 6; “Money worries” 3 of 6; wellbeing 4 of 6" in case


def test_at_the_end_the_baseline_concerns_start_filled_in():
    client = signed_in(_fake([BASELINE]))
    form = client.get(f"/cases/{CASE}/measures/mycaw?timepoint=end").text
    assert 'value="Feeling alone at weekends"' in form and 'value="Money worries"' in form
    fresh = client.get(f"/cases/{CASE}/measures/mycaw?timepoint=baseline").text
    assert 'value="Feeling alone at weekends"' not in fresh
