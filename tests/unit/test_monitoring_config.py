"""Alert rules and the dashboard only use metrics the services really expose; Prometheus scrapes
the services compose runs, on the port they listen on."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client import Gauge

import services.caseload.adapters.gauges  # noqa: F401 - registers caseload's gauges
import services.intake.adapters.gauges  # noqa: F401 - registers intake's gauges
import services.triage.adapters.gauges  # noqa: F401 - registers triage's gauges
from shared.platform.metrics import REGISTRY
from tests.support.promql import instant_gauge_reads, metrics_in

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_the_promql_check_finds_metrics_and_rejects_nonsense():
    assert metrics_in("sum by (c) (rate(a_total[5m])) / on(c) b > 2 * 3") == {"a_total", "b"}
    with pytest.raises(ValueError):
        metrics_in("sum by (consumer (referrals_consumer_lag")


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
    used = {m for group in rules["groups"] for rule in group["rules"] for m in metrics_in(str(rule["expr"]))}
    assert used and used <= exposed(), used - exposed()
    names = [r["alert"] for g in rules["groups"] for r in g["rules"]]
    for wanted in ("ConsumerLagGrowing", "EventsDeadLettered", "ReviewsOverdue", "WaitingListLong",
                   "FirstContactBreaches", "ReferralsAwaitingTriage", "WebhookDeliveriesFailing"):
        assert wanted in names


def test_dashboard_panels_use_only_exposed_metrics():
    dashboard = json.loads((DEPLOY / "grafana" / "referrals-dashboard.json").read_text())
    used = {m for p in dashboard["panels"] for t in p["targets"] for m in metrics_in(t["expr"])}
    assert used and used <= exposed(), used - exposed()


def test_prometheus_scrapes_each_compose_service_on_its_port():
    compose = yaml.safe_load((DEPLOY.parent / "docker-compose.yml").read_text())
    scrape = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    targets = {t for job in scrape["scrape_configs"] for s in job["static_configs"] for t in s["targets"]}
    expected = set()
    for name in ("intake", "triage", "caseload", "outcomes", "identity"):
        env = compose["services"][name]["environment"]
        port = env["HTTP_PORT"] if isinstance(env, dict) else dict(e.split("=", 1) for e in env)["HTTP_PORT"]
        expected.add(f"{name}:{port}")
    assert targets == expected


def labels_of(metric: str) -> set[str]:
    base = re.sub(r"_(total|bucket|count|sum|created)$", "", metric)
    for collector, names in REGISTRY._collector_to_names.items():  # noqa: SLF001
        if metric in names or base in names:
            return set(getattr(collector, "_labelnames", ()))
    return set()


def test_alert_rules_are_well_formed_like_promtool_checks():
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    seen = set()
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
            assert rule["alert"] not in seen
            seen.add(rule["alert"])
            assert re.fullmatch(r"\d+[smhdw]", str(rule.get("for", "0s"))), rule["alert"]
            assert rule["labels"]["severity"] in {"info", "warning", "critical"}
            available = set().union(*(labels_of(m) for m in metrics_in(str(rule["expr"]))))
            for text in rule["annotations"].values():
                assert text.count("{{") == text.count("}}"), rule["alert"]
                # An annotation may only name labels the alerting series can have.
                assert set(re.findall(r"\$labels\.(\w+)", text)) <= available, (rule["alert"], available)


def database_gauges() -> set[str]:
    """Gauges every replica of a service reads from the same database (or broker): the same figure."""
    import services.caseload.adapters.gauges as caseload
    import services.intake.adapters.gauges as intake
    import services.triage.adapters.gauges as triage
    from shared.platform import metrics

    names = set()
    for module in (caseload, intake, triage):
        names |= {g._name for g in vars(module).values() if isinstance(g, Gauge)}  # noqa: SLF001
    names |= {metrics.OUTBOX_BACKLOG._name, metrics.OUTBOX_OLDEST._name, metrics.CONSUMER_LAG._name}  # noqa: SLF001
    return names


def test_replicas_reporting_the_same_database_figure_are_not_added_up():
    """With several replicas each service reports its queues once per replica: queries take one (max), never the sum."""
    gauges = database_gauges()
    assert {"referrals_waiting_list_depth", "referrals_consumer_lag", "referrals_awaiting_triage"} <= gauges
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    dashboard = json.loads((DEPLOY / "grafana" / "referrals-dashboard.json").read_text())
    exprs = [str(r["expr"]) for g in rules["groups"] for r in g["rules"]]
    exprs += [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    reads = [(expr, read) for expr in exprs for read in instant_gauge_reads(expr, gauges)]
    assert len(reads) > 15
    for expr, (metric, operator, dropped) in reads:
        assert operator == "max" and {"instance", "pod"} <= set(dropped), f"{metric} in {expr!r}"


def test_the_replica_check_sees_a_sum_across_replicas():
    [(metric, operator, dropped)] = instant_gauge_reads("sum by (programme) (referrals_waiting_list_depth) > 3",
                                                        {"referrals_waiting_list_depth"})
    assert (metric, operator, dropped) == ("referrals_waiting_list_depth", "sum", [])
    assert instant_gauge_reads("delta(referrals_consumer_lag[10m])", {"referrals_consumer_lag"}) == []


def test_dashboard_queues_follow_the_programme_chosen_at_the_top():
    dashboard = json.loads((DEPLOY / "grafana" / "referrals-dashboard.json").read_text())
    [variable] = [v for v in dashboard["templating"]["list"] if v["name"] == "programme"]
    assert metrics_in(variable["definition"].removeprefix("label_values(").split(",")[0]) <= exposed()
    by_programme = {name for collector, names in REGISTRY._collector_to_names.items()  # noqa: SLF001
                    if "programme" in getattr(collector, "_labelnames", ()) for name in names}
    filtered = 0
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            for metric in metrics_in(target["expr"]) & by_programme:
                assert re.search(rf'{metric}\{{programme=~"\$programme"\}}', target["expr"]), target["expr"]
                filtered += 1
    assert filtered >= 10


def test_prometheus_presents_the_scrape_token_metrics_ask_for():
    scrape = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    for job in scrape["scrape_configs"]:
        assert job["authorization"]["type"] == "Bearer"
        assert job["authorization"]["credentials_file"].startswith("/etc/prometheus/secrets/")
