"""Alert rules and the dashboard only use metrics the services really expose; Prometheus scrapes
the services compose runs, on the port they listen on."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

import services.caseload.adapters.gauges  # noqa: F401 - registers caseload's gauges
import services.triage.adapters.gauges  # noqa: F401 - registers triage's gauges
from shared.platform.metrics import REGISTRY

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
METRIC = re.compile(r"\breferrals_[a-z_]+")


def exposed() -> set[str]:
    names = set()
    for family in REGISTRY.collect():
        for sample in family.samples:
            names.add(sample.name)
        names.add(family.name)
    # Series a labelled metric has not emitted yet still have known sample names.
    for collector in list(REGISTRY._collector_to_names):  # noqa: SLF001
        names.update(REGISTRY._collector_to_names[collector])  # noqa: SLF001
    return names


def test_alert_rules_use_only_exposed_metrics():
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    used = {m for group in rules["groups"] for rule in group["rules"] for m in METRIC.findall(rule["expr"])}
    assert used and used <= exposed(), used - exposed()
    names = [r["alert"] for g in rules["groups"] for r in g["rules"]]
    for wanted in ("ConsumerLagGrowing", "EventsDeadLettered", "ReviewsOverdue", "WaitingListLong",
                   "FirstContactBreaches"):
        assert wanted in names


def test_dashboard_panels_use_only_exposed_metrics():
    dashboard = json.loads((DEPLOY / "grafana" / "referrals-dashboard.json").read_text())
    used = {m for p in dashboard["panels"] for t in p["targets"] for m in METRIC.findall(t["expr"])}
    assert used and used <= exposed(), used - exposed()


def test_prometheus_scrapes_each_compose_service_on_its_port():
    compose = yaml.safe_load((DEPLOY.parent / "docker-compose.yml").read_text())
    scrape = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    targets = {t for job in scrape["scrape_configs"] for s in job["static_configs"] for t in s["targets"]}
    expected = set()
    for name in ("intake", "triage", "caseload", "outcomes"):
        env = compose["services"][name]["environment"]
        port = env["HTTP_PORT"] if isinstance(env, dict) else dict(e.split("=", 1) for e in env)["HTTP_PORT"]
        expected.add(f"{name}:{port}")
    assert targets == expected
