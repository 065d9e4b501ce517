"""Rejected submissions and unmet needs pages against fake services: what is asked of intake and outcomes,
the reasons and channels in plain words, the empty states, the charts, the CSV and who may open each."""

from __future__ import annotations

import html as html_text
import re

import httpx

from services.workspace.domain.rejections import field_name, plain_reasons
from services.workspace.service_layer.following_up import readable
from tests.unit.workspace.support import FakeServices, csrf_of, signed_in

SUBMISSION = "5b0f0000-0000-4000-8000-000000000001"
REFUSED = {"id": SUBMISSION, "received_at": "2026-12-05T09:30:00+00:00", "channel": "partner_api",
           "partner_id": "gp-surgery", "batch_id": None,
           "reasons": [{"field": "person.date_of_birth", "problem": "Field required"},
                       {"field": "consent.to_referral", "problem": "Value error, the person must agree to be referred"}]}


def _fake(roles=("coordinator",), refused=(REFUSED,), unmet=None) -> FakeServices:
    fake = FakeServices()
    fake.roles, fake.worker_id = list(roles), None
    fake.on("GET", "intake", r"/v1/rejected-submissions", list(refused))
    fake.on("GET", "intake", rf"/v1/rejected-submissions/{SUBMISSION}",
            {**REFUSED, "erased": False, "body": '{"programme_id": "demo", "person": {"given_name": "Rose"}}'})

    def report(request: httpx.Request, match):
        if request.url.params.get("format") == "csv":
            return httpx.Response(200, text="kind,area,times,cases\nbefriending in somali,E8,3,2\n",
                                  headers={"content-type": "text/csv"})
        return httpx.Response(200, json=unmet or {"times": 0, "cases": 0, "by_kind": [], "by_area": [],
                                                  "by_kind_and_area": []})

    fake.on("GET", "outcomes", r"/v1/reports/unmet-needs", report)
    return fake


def _text(html: str) -> str:
    return html_text.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_a_body_that_is_not_json_is_shown_as_sent():
    assert readable("name,dob\nRose,Smarch") == "name,dob\nRose,Smarch" and readable(None) is None


def test_reasons_read_as_sentences():
    assert field_name("person.date_of_birth") == "person: date of birth"
    assert field_name("items.0.nhs_number") == "items number 1: nhs number"
    assert plain_reasons([{"field": "person.date_of_birth", "problem": "Field required"},
                          {"field": "<record>", "problem": "could not be handled; dead-lettered"},
                          {"field": "", "problem": "Value error, the body is not JSON"},
                          {"field": "a field we did not expect", "problem": "Extra inputs are not permitted"}]) == [
        "person: date of birth is missing", "the message: could not be handled; dead-lettered", "the body is not JSON",
        "it has a field we do not accept (its name is not shown: it could name a person)"]


def test_a_coordinator_sees_each_refusal_with_its_channel_and_reasons_in_plain_words():
    fake = _fake()
    client = signed_in(fake)
    assert 'href="/rejected-submissions"' in client.get("/").text
    page = client.get("/rejected-submissions", params={"partner_id": "gp-surgery"})
    text = _text(page.text)
    assert page.status_code == 200
    assert "person: date of birth is missing" in text and "consent: to referral: the person must agree" in text
    assert "Partner's system (API)" in text and "2026-12-05 09:30" in text
    assert f'href="/rejected-submissions/{SUBMISSION}"' in page.text
    [asked] = [c for c in fake.calls if c.url.path == "/v1/rejected-submissions"]
    assert (asked.url.params["partner_id"], asked.url.params["waiting"]) == ("gp-surgery", "true")
    assert "Partner told what to change" in text  # the button to mark it followed up


def test_a_coordinator_marks_one_followed_up_and_may_see_those_already_done():
    fake = _fake(refused=(REFUSED, {**REFUSED, "id": "5b0f0000-0000-4000-8000-000000000002",
                                    "followed_up": "no_action_needed", "followed_up_by": "cora",
                                    "followed_up_at": "2026-12-05T10:00:00+00:00"}))
    fake.on("POST", "intake", rf"/v1/rejected-submissions/{SUBMISSION}/follow-up", {**REFUSED, "followed_up": "partner_told"})
    client = signed_in(fake)
    page = client.get("/rejected-submissions", params={"show": "all"})
    assert "waiting" not in [c for c in fake.calls if c.url.path == "/v1/rejected-submissions"][-1].url.params
    assert "Nothing to do 2026-12-05 10:00" in _text(page.text)
    assert client.post(f"/rejected-submissions/{SUBMISSION}/follow-up",
                       data={"csrf_token": "forged", "outcome": "partner_told"}).status_code == 403
    done = client.post(f"/rejected-submissions/{SUBMISSION}/follow-up",
                       data={"csrf_token": csrf_of(page.text), "outcome": "partner_told"})
    assert done.status_code == 303 and done.headers["location"].startswith("/rejected-submissions?saved=")
    assert fake.bodies("POST", f"/v1/rejected-submissions/{SUBMISSION}/follow-up") == [{"outcome": "partner_told"}]
    assert client.post(f"/rejected-submissions/{SUBMISSION}/follow-up",
                       data={"csrf_token": csrf_of(page.text), "outcome": "rang them"}).status_code == 404


def test_with_none_the_page_says_so():
    text = _text(signed_in(_fake(refused=())).get("/rejected-submissions").text)
    assert "No rejected submissions waiting." in text


def test_a_coordinator_opens_one_as_sent_and_an_operator_may_list_but_not_open():
    page = signed_in(_fake()).get(f"/rejected-submissions/{SUBMISSION}")
    assert page.status_code == 200 and "&#34;given_name&#34;: &#34;Rose&#34;" in page.text
    assert '\n  &#34;programme_id&#34;: &#34;demo&#34;,\n' in page.text  # laid out one field a line
    operator = _fake(roles=("operator",))
    client = signed_in(operator)
    listed = client.get("/rejected-submissions")
    assert listed.status_code == 200 and f'href="/rejected-submissions/{SUBMISSION}"' not in listed.text
    assert "Partner told what to change" not in listed.text  # operators do not follow them up
    assert client.get(f"/rejected-submissions/{SUBMISSION}").status_code == 403
    assert client.post(f"/rejected-submissions/{SUBMISSION}/follow-up",
                       data={"csrf_token": csrf_of(listed.text), "outcome": "partner_told"}).status_code == 403
    assert not [c for c in operator.calls if c.url.path == f"/v1/rejected-submissions/{SUBMISSION}"]


def test_a_connector_is_kept_out_of_both_pages():
    fake = _fake(roles=("connector",))
    client = signed_in(fake)
    assert client.get("/rejected-submissions").status_code == 403
    assert client.get("/reports/unmet-needs").status_code == 403
    assert not [c for c in fake.calls if c.url.host in ("intake", "outcomes")]


UNMET = {"times": 5, "cases": 4, "filters": {},
         "by_kind": [{"kind": "befriending in somali", "times": 4, "cases": 3},
                     {"kind": "men's shed", "times": 1, "cases": 1}],
         "by_area": [{"area": "E8", "times": 4, "cases": 3}, {"area": "not known", "times": 1, "cases": 1}],
         "by_kind_and_area": [{"kind": "befriending in somali", "area": "E8", "times": 4, "cases": 3},
                              {"kind": "men's shed", "area": "not known", "times": 1, "cases": 1}]}


def test_unmet_needs_shows_two_labelled_charts_the_tables_and_passes_the_filters_on():
    fake = _fake(roles=("manager",), unmet=UNMET)
    client = signed_in(fake)
    page = client.get("/reports/unmet-needs", params={"programme_id": "demo", "recorded_from": "2026-01-01"})
    assert page.status_code == 200
    assert page.text.count('role="img"') == 2
    assert 'id="kind-chart-title"' in page.text and 'id="area-chart-title"' in page.text
    assert "<title>Times recorded: 4</title>" in page.text and "<title>Cases: 3</title>" in page.text
    text = _text(page.text)
    assert "5 unmet needs recorded in 4 cases." in text and "men's shed" in text
    [asked] = [c for c in fake.calls if c.url.path == "/v1/reports/unmet-needs"]
    assert (asked.url.params["programme_id"], asked.url.params["recorded_from"]) == ("demo", "2026-01-01T00:00:00+00:00")
    assert 'href="/reports/unmet-needs.csv?programme_id=demo&amp;recorded_from=2026-01-01"' in page.text


def test_unmet_needs_empty_bad_dates_and_csv():
    fake = _fake(roles=("coordinator",))
    client = signed_in(fake)
    assert "No unmet needs have been recorded" in client.get("/reports/unmet-needs").text
    bad = client.get("/reports/unmet-needs", params={"recorded_to": "March"})
    assert bad.status_code == 422 and "Enter a date like 2026-03-31" in bad.text
    assert len([c for c in fake.calls if c.url.path == "/v1/reports/unmet-needs"]) == 1
    csv = client.get("/reports/unmet-needs.csv")
    assert csv.status_code == 200 and csv.text.startswith("kind,area,times,cases")
    assert csv.headers["content-disposition"] == 'attachment; filename="unmet-needs.csv"'
