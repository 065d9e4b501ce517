"""Every service exposes Prometheus metrics, with the pipeline's and the queues' figures."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import httpx
import pytest
import yaml

from shared.schemas.topics import PARTITIONS
from tests.support.promql import metrics_in

pytestmark = pytest.mark.e2e
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def alerting_and_dashboard_metrics() -> set[str]:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    exprs = [str(rule["expr"]) for group in rules["groups"] for rule in group["rules"]]
    dashboard = json.loads((DEPLOY / "grafana" / "referrals-dashboard.json").read_text())
    exprs += [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    names = set().union(*(metrics_in(e) for e in exprs))
    assert len(names) > 10
    return names


def value(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            if all(f'{k}="{v}"' in line for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return None


async def test_metrics_show_events_queues_and_lag(shared_system):
    system = shared_system
    programme = "brc-community-connectors"  # its low-complexity cases go to volunteers, 0.5 hours each
    key = await system.setup_partner(programmes=(programme,), partner_id="metrics-partner")
    await system.add_worker("volunteer", "0.5", programme=programme, site="Dalston", travel_districts=["E8"])
    async with httpx.AsyncClient(timeout=20) as http:
        for i in range(3):  # enough for the worker's room to run out: someone waits
            sent = await http.post(f"{system.url('intake')}/v1/referrals", headers={"X-API-Key": key}, json={
                "partner_referral_id": f"M-{i}", "programme_id": programme, "consent": {"to_referral": True},
                "person": {"given_name": ["Ann", "Bob", "Cy"][i], "family_name": ["Xu", "Yates", "Zola"][i],
                           "age_years": 60 + i, "postcode": "E8 1DY"}})
            assert sent.status_code == 201
        await system.wait_for("SELECT 1 FROM intake.referrals WHERE partner_id = 'metrics-partner' "
                              "AND status IN ('assigned', 'waiting')", predicate=lambda r: len(r) == 3)
        await asyncio.sleep(1)  # let the relays and consumers settle
        scraped = {}
        for service in ("intake", "triage", "caseload", "outcomes"):
            response = await http.get(f"{system.url(service)}/metrics", headers=system.scraper_headers)
            assert response.status_code == 200
            scraped[service] = response.text
    triage = scraped["triage"]
    handled = value(triage, "referrals_events_consumed_total", consumer="triage.intake.referrals",
                    event_type="referral.received", outcome="handled")
    assert handled is not None and handled >= 3
    assert value(triage, "referrals_event_handler_seconds_count", consumer="triage.intake.referrals") >= 3
    assert value(scraped["intake"], "referrals_events_published_total", service="intake",
                 event_type="referral.received") >= 3
    for service in ("intake", "triage", "caseload"):
        assert value(scraped[service], "referrals_outbox_backlog", service=service) == 0
    caseload = scraped["caseload"]
    # Waiting for the site whose workers cover their postcode district.
    assert value(caseload, "referrals_waiting_list_depth", programme=programme, site="Dalston") == 2
    assert value(caseload, "referrals_waiting_list_oldest_wait_seconds", programme=programme) > 0
    assert value(caseload, "referrals_capacity_hours_contracted", programme=programme, site="Dalston") == 0.5
    assert value(caseload, "referrals_capacity_hours_used", programme=programme, site="Dalston") == 0.5
    lags = [float(line.rsplit(" ", 1)[1]) for line in caseload.splitlines()
            if line.startswith('referrals_consumer_lag{consumer="caseload.triage.decisions"')]
    assert len(lags) == PARTITIONS and sum(lags) == 0  # every partition, all caught up
    assert re.search(r"^# TYPE referrals_review_queue_depth gauge", triage, re.M)

    # Every metric an alert rule or dashboard panel names is one these running services expose.
    families = {m for text in scraped.values() for m in re.findall(r"^# TYPE (\S+) ", text, re.M)}
    for used in alerting_and_dashboard_metrics():
        assert re.sub(r"_(bucket|count|sum)$", "", used) in families, f"{used} is not exposed by any service"

    # The one assigned case has had no first contact yet.
    assert value(caseload, "referrals_awaiting_first_contact", programme=programme) == 1
    assert value(caseload, "referrals_awaiting_first_contact_oldest_age_seconds", programme=programme) > 0

    # Intake's queues: nothing waits for triage once every referral is decided.
    intake = scraped["intake"]
    assert value(intake, "referrals_awaiting_triage", programme=programme) in (None, 0)
    assert value(intake, "referrals_match_reviews_open") == 0

    # The volunteer closes their case: their half hour frees up, the longest waiter is assigned,
    # and the waiting-list gauge falls from 2 to 1.
    [case] = await system.sql(
        "SELECT id, worker_id FROM caseload.cases WHERE programme_id = $1 AND status = 'assigned'", programme)
    volunteer = system.staff_headers("volunteer", subject="metrics-volunteer", worker_id=str(case["worker_id"]))
    async with httpx.AsyncClient(timeout=20) as http:
        case_url = f"{system.url('caseload')}/v1/cases/{case['id']}"
        contact = await http.post(f"{case_url}/contacts", headers=volunteer, json={"kind": "phone", "minutes": 30})
        assert contact.status_code == 201, contact.text
        closed = await http.post(f"{case_url}/close", headers=volunteer, json={"reason": "planned_end"})
        assert closed.status_code == 200, closed.text
        await system.wait_for("SELECT 1 FROM caseload.cases WHERE programme_id = $1 AND status = 'assigned'",
                              programme, predicate=lambda rows: len(rows) == 1)
        caseload = (await http.get(f"{system.url('caseload')}/metrics", headers=system.scraper_headers)).text
        assert value(caseload, "referrals_waiting_list_depth", programme=programme, site="Dalston") == 1
        # The newly assigned person is contacted: nobody is left awaiting a first contact.
        [next_case] = await system.sql(
            "SELECT id FROM caseload.cases WHERE programme_id = $1 AND status = 'assigned'", programme)
        assert next_case["id"] != case["id"]
        assert value(caseload, "referrals_awaiting_first_contact", programme=programme) == 1
        contact = await http.post(f"{system.url('caseload')}/v1/cases/{next_case['id']}/contacts", headers=volunteer,
                                  json={"kind": "phone", "minutes": 10})
        assert contact.status_code == 201, contact.text
        caseload = (await http.get(f"{system.url('caseload')}/metrics", headers=system.scraper_headers)).text
    assert value(caseload, "referrals_awaiting_first_contact", programme=programme) == 0
    assert value(caseload, "referrals_capacity_hours_used", programme=programme, site="Dalston") == 0.5
