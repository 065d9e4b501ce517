"""`referrals status`: Prometheus text in, the queues people watch out (hand-written samples)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from referrals import cli
from referrals.embedded import free_port
from referrals.status import as_json, build_view, down, human_age, parse, render, render_service, with_supervision

CASELOAD = """\
# HELP referrals_waiting_list_depth People waiting for a worker
# TYPE referrals_waiting_list_depth gauge
referrals_waiting_list_depth{programme="brc-community-connectors"} 2.0
referrals_waiting_list_depth{programme="demo"} 0.0
# HELP referrals_waiting_list_oldest_wait_seconds Longest current wait
# TYPE referrals_waiting_list_oldest_wait_seconds gauge
referrals_waiting_list_oldest_wait_seconds{programme="brc-community-connectors"} 3900.0
referrals_waiting_list_oldest_wait_seconds{programme="demo"} 0.0
# HELP referrals_offers_open Offers waiting for an answer
# TYPE referrals_offers_open gauge
referrals_offers_open{programme="demo"} 1.0
# HELP referrals_offers_expired Offers that lapsed unanswered (all time)
# TYPE referrals_offers_expired gauge
referrals_offers_expired{programme="demo"} 4.0
# HELP referrals_first_contact_breaches_open Assigned cases past their first-contact deadline with no contact yet
# TYPE referrals_first_contact_breaches_open gauge
referrals_first_contact_breaches_open{programme="demo"} 3.0
# HELP referrals_capacity_hours_used Weekly hours booked on open cases
# TYPE referrals_capacity_hours_used gauge
referrals_capacity_hours_used{programme="brc-community-connectors",site="Dalston"} 0.5
referrals_capacity_hours_used{programme="demo",site="unspecified"} 6.0
# HELP referrals_capacity_hours_contracted Weekly casework hours of active workers
# TYPE referrals_capacity_hours_contracted gauge
referrals_capacity_hours_contracted{programme="brc-community-connectors",site="Dalston"} 0.5
referrals_capacity_hours_contracted{programme="demo",site="unspecified"} 63.0
# HELP referrals_outbox_backlog Outbox rows not yet published
# TYPE referrals_outbox_backlog gauge
referrals_outbox_backlog{service="caseload"} 7.0
# HELP referrals_outbox_oldest_age_seconds Age of the oldest unpublished outbox row
# TYPE referrals_outbox_oldest_age_seconds gauge
referrals_outbox_oldest_age_seconds{service="caseload"} 273600.0
# HELP referrals_consumer_lag Records on a partition not yet committed by the group
# TYPE referrals_consumer_lag gauge
referrals_consumer_lag{consumer="caseload.triage.decisions",partition="0"} 2.0
referrals_consumer_lag{consumer="caseload.triage.decisions",partition="1"} 0.0
referrals_consumer_lag{consumer="caseload.triage.decisions",partition="2"} 5.0
referrals_consumer_lag{consumer="caseload.triage.decisions",partition="3"} 1.0
# HELP referrals_events_consumed_total Records handled by a consumer, by outcome
# TYPE referrals_events_consumed_total counter
referrals_events_consumed_total{consumer="caseload.triage.decisions",event_type="triage.decided",outcome="handled"} 10.0
referrals_events_consumed_total{consumer="caseload.triage.decisions",event_type="triage.redirected",outcome="handled"} 2.0
referrals_events_consumed_total{consumer="caseload.triage.decisions",event_type="triage.decided",outcome="dead_lettered"} 1.0
referrals_events_consumed_created{consumer="caseload.triage.decisions",event_type="triage.decided",outcome="handled"} 1.7e+09
# HELP referrals_event_retries_total Handler attempts that failed and were retried
# TYPE referrals_event_retries_total counter
referrals_event_retries_total{consumer="caseload.triage.decisions"} 4.0
# HELP referrals_events_dead_lettered_total Records parked on a dead-letter topic
# TYPE referrals_events_dead_lettered_total counter
referrals_events_dead_lettered_total{consumer="caseload.triage.decisions",error_type="ValidationError"} 1.0
# HELP referrals_events_published_total Events the outbox relay published
# TYPE referrals_events_published_total counter
referrals_events_published_total{service="caseload",event_type="case.opened"} 9.0
referrals_events_published_total{service="caseload",event_type="case.assigned"} 8.0
"""

TRIAGE = """\
# HELP referrals_review_queue_depth Referrals waiting for a person to decide
# TYPE referrals_review_queue_depth gauge
referrals_review_queue_depth{programme="hackney-connect"} 3.0
# HELP referrals_review_queue_oldest_age_seconds Age of the oldest undecided review
# TYPE referrals_review_queue_oldest_age_seconds gauge
referrals_review_queue_oldest_age_seconds{programme="hackney-connect"} 750.0
# HELP referrals_review_queue_overdue Reviews past their due time
# TYPE referrals_review_queue_overdue gauge
referrals_review_queue_overdue{programme="hackney-connect"} 1.0
# HELP referrals_outbox_backlog Outbox rows not yet published
# TYPE referrals_outbox_backlog gauge
referrals_outbox_backlog{service="triage"} 0.0
"""

AT = datetime(2024, 5, 1, 12, 0, 3, tzinfo=timezone.utc)


def line_with(lines: list[str], *fragments: str) -> str:
    found = [line for line in lines if all(f in line for f in fragments)]
    assert len(found) == 1, (fragments, lines)
    return found[0]


def test_human_ages():
    assert human_age(0) == "0s"
    assert human_age(42.9) == "42s"
    assert human_age(720) == "12m"
    assert human_age(3900) == "1h 5m"
    assert human_age(7200) == "2h"
    assert human_age(273600) == "3d 4h"


def test_waiting_list_shows_depth_and_longest_wait():
    lines = render_service(build_view("caseload", "http://c", parse(CASELOAD)))
    waiting = line_with(lines, "brc-community-connectors", "depth")
    assert "depth 2" in waiting and "longest wait 1h 5m" in waiting
    assert "depth 0" in line_with(lines, "demo", "longest wait")


def test_waiting_list_by_site_when_the_site_is_labelled():
    text = """\
# TYPE referrals_waiting_list_depth gauge
referrals_waiting_list_depth{programme="demo",site="Dalston"} 4.0
referrals_waiting_list_depth{programme="demo",site="unspecified"} 1.0
# TYPE referrals_waiting_list_oldest_wait_seconds gauge
referrals_waiting_list_oldest_wait_seconds{programme="demo",site="Dalston"} 90000.0
referrals_waiting_list_oldest_wait_seconds{programme="demo",site="unspecified"} 59.0
"""
    lines = render_service(build_view("caseload", "http://c", parse(text)))
    assert "depth 4  longest wait 1d 1h" in line_with(lines, "demo @ Dalston")
    assert "depth 1  longest wait 59s" in line_with(lines, "demo @ unspecified")


def test_caseload_queues_offers_breaches_capacity_and_outbox():
    view = build_view("caseload", "http://c", parse(CASELOAD))
    lines = render_service(view)
    assert lines[0] == "caseload  http://c  up"
    assert "open 1  expired 4" in line_with(lines, "demo", "open")
    assert line_with(lines, "first-contact breaches") == "  first-contact breaches"
    assert lines[lines.index("  first-contact breaches") + 1].split() == ["demo", "3"]
    assert "0.5 of 0.5 hours used (100%)" in line_with(lines, "brc-community-connectors @ Dalston")
    assert "6 of 63 hours used (10%)" in line_with(lines, "demo @ unspecified")
    assert "backlog 7  oldest 3d 4h" in line_with(lines, "backlog")
    assert line_with(lines, "published") == "  published: 17 events"
    assert view.review_queue is None  # caseload has no review queue: the section is left out
    assert not any("review queue" in line for line in lines)


def test_consumer_lag_is_summed_over_partitions_with_the_worst_named():
    view = build_view("caseload", "http://c", parse(CASELOAD))
    [consumer] = view.consumers
    assert (consumer.lag, consumer.partitions) == (8, 4)
    assert (consumer.worst_partition, consumer.worst_partition_lag) == ("2", 5)
    assert consumer.consumed == {"handled": 12, "dead_lettered": 1}
    assert consumer.retries == 4
    assert consumer.dead_lettered == {"ValidationError": 1}
    line = line_with(render_service(view), "caseload.triage.decisions")
    assert "lag 8 (worst partition 2: 5)" in line
    assert "consumed 13  retries 4  dead-lettered 1" in line


def test_triage_review_queue_and_empty_sections():
    lines = render_service(build_view("triage", "http://t", parse(TRIAGE)))
    assert "depth 3  oldest 12m  overdue 1" in line_with(lines, "hackney-connect")
    assert "backlog 0  oldest 0s" in line_with(lines, "backlog")
    assert "  consumers: none" in lines
    assert not any("waiting list" in line for line in lines)


def test_a_queue_that_is_declared_but_empty_says_so():
    text = "# HELP referrals_waiting_list_depth People waiting\n# TYPE referrals_waiting_list_depth gauge\n"
    view = build_view("caseload", "http://c", parse(text))
    assert view.waiting_list == []
    assert "  waiting list: nobody waiting" in render_service(view)


def test_a_down_service_is_shown_down_and_the_others_still_show():
    views = [build_view("triage", "http://t", parse(TRIAGE)),
             down("outcomes", "http://o", "ConnectError: [Errno 111] Connection refused")]
    lines = render(views, AT)
    assert lines[0] == "referrals status  2024-05-01 12:00:03  2 services, 1 DOWN"
    assert "outcomes  http://o  DOWN  (ConnectError: [Errno 111] Connection refused)" in lines
    assert any("hackney-connect" in line and "depth 3" in line for line in lines)


def test_json_view_model():
    views = [build_view("caseload", "http://c", parse(CASELOAD)), down("intake", "http://i", "HTTP 503")]
    data = json.loads(as_json(views, AT))
    assert data["at"] == "2024-05-01T12:00:03+00:00"
    caseload, intake = data["services"]
    assert {"programme": "brc-community-connectors", "site": None, "depth": 2,
            "longest_wait_seconds": 3900.0} in caseload["waiting_list"]
    assert caseload["consumers"][0]["lag"] == 8
    assert (intake["up"], intake["reason"]) == (False, "HTTP 503")


def test_status_without_any_service_to_watch_exits_2(tmp_path, capsys):
    assert cli.main(["status", "--once", "--data-dir", str(tmp_path)]) == 2
    assert "running.json" in capsys.readouterr().err


def test_status_reads_running_json_and_reports_a_service_nobody_answers_for(tmp_path, capsys):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    (tmp_path / "running.json").write_text(json.dumps({"services": {"outcomes": url}}))
    assert cli.main(["status", "--once", "--data-dir", str(tmp_path)]) == 1
    assert f"outcomes  {url}  DOWN" in capsys.readouterr().out


INTAKE = """\
# TYPE referrals_awaiting_triage gauge
referrals_awaiting_triage{programme="demo"} 3.0
# TYPE referrals_awaiting_triage_oldest_age_seconds gauge
referrals_awaiting_triage_oldest_age_seconds{programme="demo"} 1260.0
# TYPE referrals_match_reviews_open gauge
referrals_match_reviews_open 2.0
# TYPE referrals_match_reviews_oldest_age_seconds gauge
referrals_match_reviews_oldest_age_seconds 180000.0
# TYPE referrals_webhook_deliveries_pending gauge
referrals_webhook_deliveries_pending{partner="hackney-gp"} 1.0
# TYPE referrals_webhook_deliveries_failed gauge
referrals_webhook_deliveries_failed{partner="hackney-gp"} 4.0
"""


def test_intakes_queues_show_referrals_awaiting_triage_match_reviews_and_webhooks():
    lines = render_service(build_view("intake", "http://i", parse(INTAKE)))
    text = "\n".join(lines)
    assert "awaiting triage" in text
    assert any(line.split() == ["demo", "3", "oldest", "21m"] for line in lines)
    assert "person-match reviews: 2 open, oldest 2d 2h" in text
    assert any(line.split() == ["hackney-gp", "pending", "1", "failed", "4"] for line in lines)
    # Caseload's queues are not intake's: not shown at all, rather than shown empty.
    assert "waiting list" not in text and "review queue" not in text


def test_cases_awaiting_first_contact_show_how_long_since_assignment():
    exposition = parse("""\
# TYPE referrals_awaiting_first_contact gauge
referrals_awaiting_first_contact{programme="demo"} 4.0
# TYPE referrals_awaiting_first_contact_oldest_age_seconds gauge
referrals_awaiting_first_contact_oldest_age_seconds{programme="demo"} 97200.0
""")
    lines = render_service(build_view("caseload", "http://c", exposition))
    assert any(line.split() == ["demo", "4", "longest", "since", "assignment", "1d", "3h"] for line in lines)


def test_a_service_that_answers_but_is_not_ready_says_what_is_failing():
    view = build_view("triage", "http://t", parse(""))
    view.not_ready = ["broker: failing: KafkaError", "consumer triage.intake.referrals: failing: not yet assigned partitions"]
    lines = render_service(view)
    assert lines[0] == "triage  http://t  up  NOT READY"
    assert lines[1:3] == ["  ! broker: failing: KafkaError",
                          "  ! consumer triage.intake.referrals: failing: not yet assigned partitions"]


def test_readiness_problems_are_read_from_the_services_own_answer():
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from referrals.status import readiness_problems

    class NotReady(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = json.dumps({"status": "not ready", "checks": {
                "database": "ok", "broker": "failing: KafkaError"}}).encode()
            self.send_response(503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), NotReady)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert readiness_problems(f"http://127.0.0.1:{server.server_port}", 5) == ["broker: failing: KafkaError"]
    finally:
        server.shutdown()
    assert readiness_problems(f"http://127.0.0.1:{free_port()}", 2) == ["readiness: ConnectError"]


def test_one_published_event_is_not_plural():
    view = build_view("triage", "http://t", parse(
        '# TYPE referrals_events_published_total counter\n'
        'referrals_events_published_total{service="triage",event_type="triage.decided"} 1.0\n'))
    assert render_service(view)[-1] == "  published: 1 event"


def test_status_shows_what_the_supervisor_says_of_a_service_that_was_restarted(tmp_path, capsys):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there: it is between restarts
    (tmp_path / "running.json").write_text(json.dumps({"services": {"caseload": url}}))
    (tmp_path / "supervisor.json").write_text(json.dumps({"services": {"caseload": {
        "key": "caseload", "url": url, "state": "waiting to restart", "pid": None, "restarts": 2,
        "last_exit_reason": "killed by SIGKILL", "last_exit_at": "2024-05-01T12:00:01+00:00", "failed_starts": 1}}}))
    assert cli.main(["status", "--once", "--data-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    at = out.index(next(line for line in out if line.startswith(f"caseload  {url}  DOWN")))
    assert out[at + 1] == ("  restarts 2  last exit: killed by SIGKILL at 2024-05-01T12:00:01+00:00"
                           "  (waiting to restart)")
    assert cli.main(["status", "--once", "--json", "--data-dir", str(tmp_path)]) == 1
    [caseload] = json.loads(capsys.readouterr().out)["services"]
    assert (caseload["restarts"], caseload["last_exit_reason"]) == (2, "killed by SIGKILL")


def test_a_running_service_that_never_died_shows_no_restarts_and_no_exit():
    view = with_supervision(build_view("triage", "http://t", parse(TRIAGE)),
                            {"state": "running", "restarts": 0, "last_exit_reason": None})
    assert render_service(view)[1] == "  restarts 0"
    assert with_supervision(build_view("triage", "http://t", parse(TRIAGE)), None).restarts is None
