"""The referrer follows one referral from submission to closure: over the API, by signed webhook
(retried when their endpoint fails), and on their own status topic."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from services.intake.domain.webhook_signature import verify
from referrals.embedded import free_port

pytestmark = pytest.mark.e2e
SECRET = "partner-webhook-secret-0123456789"


class Receiver:
    """The partner's webhook endpoint: fails the first `failures` calls, then accepts."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[tuple[dict, bytes, int]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = 503 if len(receiver.calls) < receiver.failures else 204
                receiver.calls.append((dict(self.headers), body, status))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/referral-status"

    def delivered(self) -> list[dict]:
        return [json.loads(body) for _, body, status in self.calls if status == 204]


async def test_referrer_follows_a_referral_from_submission_to_closure(system):
    receiver = Receiver(failures=2)
    system.start(extra_env={"WEBHOOK_BACKOFF_INITIAL_S": "0.2"})
    key = await system.setup_partner(partner_id="gp-loop")
    worker_id = await system.add_worker("connector", "21")
    admin = system.staff_headers("admin")
    async with httpx.AsyncClient(timeout=10) as http:
        hook = await http.put(f"{system.url('intake')}/v1/partners/gp-loop/webhook", headers=admin,
                              json={"url": receiver.url, "secret": SECRET})
        assert hook.status_code == 200, hook.text
        created = await http.post(
            f"{system.url('intake')}/v1/referrals", headers={"X-API-Key": key},
            json={"partner_referral_id": "LOOP-1", "programme_id": "demo",
                  "person": {"given_name": "Lorna", "family_name": "Loop", "age_years": 80},
                  # Consent to data sharing: the referrer is told the closure reason (without it, the status only).
                  "consent": {"to_referral": True, "to_data_sharing": True},
                  "concerns": "Low since her husband died"},
        )
        referral_id = created.json()["referral_id"]
        [case] = await system.wait_for("SELECT id FROM caseload.cases WHERE referral_id = $1 AND status = 'assigned'",
                                       uuid.UUID(referral_id))
        connector = system.staff_headers("connector", worker_id=worker_id)
        case_url = f"{system.url('caseload')}/v1/cases/{case['id']}"
        await http.post(f"{case_url}/contacts", headers=connector, json={"kind": "phone", "minutes": 12})
        await http.post(f"{case_url}/contacts", headers=connector, json={"kind": "home_visit", "minutes": 80})
        closed = await http.post(f"{case_url}/close", headers=connector, json={"reason": "planned_end"})
        assert closed.status_code == 200

        await system.wait_for("SELECT 1 FROM intake.referrals WHERE id = $1 AND status = 'closed'",
                              uuid.UUID(referral_id))
        view = (await http.get(f"{system.url('intake')}/v1/referrals", params={"partner_referral_id": "LOOP-1"},
                               headers={"X-API-Key": key})).json()
    expected = ["received", "accepted", "assigned", "first_contact", "closed"]
    assert [s["status"] for s in view["timeline"]] == expected
    assert view["status"] == "closed" and view["timeline"][-1]["reason"] == "planned_end"
    # No casework detail reaches the referrer.
    assert "Low since" not in json.dumps(view) and "home_visit" not in json.dumps(view)

    # Every change was delivered by webhook, signed; the first two attempts failed and were retried.
    deadline = time.monotonic() + 60
    while len(receiver.delivered()) < len(expected) and time.monotonic() < deadline:
        time.sleep(0.2)
    delivered = receiver.delivered()
    assert sorted(d["data"]["status"] for d in delivered) == sorted(expected)
    assert [status for *_, status in receiver.calls[:2]] == [503, 503]
    for headers, body, _ in receiver.calls:
        assert verify(SECRET, body, headers["X-Referrals-Signature"])
        assert not verify("another-secret-entirely-000000", body, headers["X-Referrals-Signature"])
        # Each delivery carries the trace context of the status change, so the partner can join the trace.
        sent_in = json.loads(body)["traceparent"].split("-")[1]
        assert headers["traceparent"].split("-")[1] == sent_in
    first = next(json.loads(b) for _, b, s in receiver.calls if s == 204 and json.loads(b)["data"]["status"] == "received")
    assert first["traceparent"].split("-")[1] == created.headers["traceresponse"].split("-")[1]
    retried = [h for h, _, s in receiver.calls if s == 204 and h["X-Referrals-Delivery-Attempt"] != "1"]
    assert retried, "a delivery that failed was tried again"
    [stats] = await system.sql(
        "SELECT count(*) FILTER (WHERE delivered_at IS NOT NULL) AS delivered, count(*) AS total "
        "FROM intake.webhook_deliveries WHERE partner_id = 'gp-loop'")
    assert stats["delivered"] == stats["total"] == len(expected)

    # The same story on the partner's own status topic.
    on_topic = await system.events_on(system.topics.referral_status("gp-loop"), min_records=len(expected))
    assert sorted(e["data"]["status"] for e in on_topic) == sorted(expected)
    receiver.server.shutdown()
