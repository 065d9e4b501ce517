"""Signed webhooks to referrers, retried with backoff.

Each status change writes a delivery row in its own transaction (see
`status.record`); this dispatcher posts due rows. The signature header is
`X-Referrals-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
with the partner's webhook secret, so the partner can check origin and freshness.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa
from opentelemetry.trace import SpanKind, Status, StatusCode
from pydantic import Field
from pydantic_settings import BaseSettings
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake.adapters import tables as t
from shared.platform import tracing
from shared.platform.leadership import leadership
from shared.platform.logging import get_logger

log = get_logger(__name__)


class WebhookSettings(BaseSettings):
    backoff_initial_s: float = Field(default=5.0, validation_alias="WEBHOOK_BACKOFF_INITIAL_S")
    backoff_max_s: float = Field(default=3600.0, validation_alias="WEBHOOK_BACKOFF_MAX_S")
    max_attempts: int = Field(default=10, validation_alias="WEBHOOK_MAX_ATTEMPTS")
    timeout_s: float = Field(default=5.0, validation_alias="WEBHOOK_TIMEOUT_S")


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, body: bytes, header: str, tolerance_s: int = 300, now: float | None = None) -> bool:
    """What a partner runs on receipt (also used by our tests)."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), header)


class WebhookDispatcher:
    def __init__(self, engine: AsyncEngine, settings: WebhookSettings | None = None) -> None:
        self._engine = engine
        self._settings = settings or WebhookSettings()

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=self._settings.timeout_s) as client:
            while True:
                try:
                    async with leadership(self._engine, "intake-webhook-dispatcher") as leading:
                        if not leading:
                            await asyncio.sleep(2)
                            continue
                        while True:
                            if await self.deliver_due(client) == 0:
                                await asyncio.sleep(0.25)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("webhook_dispatcher_failed")
                    await asyncio.sleep(1)

    async def deliver_due(self, client: httpx.AsyncClient) -> int:
        d, w = t.webhook_deliveries, t.webhooks
        async with self._engine.begin() as conn:
            rows = (await conn.execute(
                sa.select(d.c.id, d.c.partner_id, d.c.event_id, d.c.body, d.c.attempts, w.c.url, w.c.secret)
                .join(w, w.c.partner_id == d.c.partner_id)
                .where(d.c.delivered_at.is_(None), d.c.failed_at.is_(None), d.c.next_attempt_at <= sa.func.now())
                .order_by(d.c.id)
                .limit(20)
                .with_for_update(of=d, skip_locked=True)
            )).all()
            for row in rows:
                await self._deliver(conn, client, row)
        return len(rows)

    async def _deliver(self, conn, client: httpx.AsyncClient, row) -> None:
        attempts = row.attempts + 1
        # A client span in the referral's own trace (its context travels in the envelope), passed on
        # to the partner in `traceparent`, so their side of the story can join the same trace.
        with tracing.tracer().start_as_current_span(
            "POST status webhook",
            context=tracing.context_from({k: row.body.get(k) for k in (tracing.TRACEPARENT, tracing.TRACESTATE)}),
            kind=SpanKind.CLIENT,
            attributes={"http.request.method": "POST", "referrals.partner_id": row.partner_id,
                        "cloudevents.event_id": str(row.event_id), "referrals.delivery_attempt": attempts},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            await self._post(conn, client, row, attempts, span)

    async def _post(self, conn, client: httpx.AsyncClient, row, attempts: int, span) -> None:
        d = t.webhook_deliveries
        body = json.dumps(row.body, separators=(",", ":")).encode()
        error = None
        try:
            response = await client.post(
                row.url, content=body,
                headers={
                    "Content-Type": "application/cloudevents+json",
                    "X-Referrals-Signature": sign(row.secret, body, int(time.time())),
                    "X-Referrals-Event-Id": str(row.event_id),
                    "X-Referrals-Delivery-Attempt": str(attempts),
                    **tracing.current_trace_context(),
                },
            )
            span.set_attribute("http.response.status_code", response.status_code)
            if 200 <= response.status_code < 300:
                await conn.execute(sa.update(d).where(d.c.id == row.id).values(
                    attempts=attempts, delivered_at=sa.func.now(), last_error=None))
                log.info("webhook_delivered", partner_id=row.partner_id, attempts=attempts)
                return
            error = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        span.set_status(Status(StatusCode.ERROR, error))
        s = self._settings
        if attempts >= s.max_attempts:
            await conn.execute(sa.update(d).where(d.c.id == row.id).values(
                attempts=attempts, failed_at=sa.func.now(), last_error=error))
            log.error("webhook_gave_up", partner_id=row.partner_id, attempts=attempts, error=error)
            return
        delay = min(s.backoff_initial_s * 2 ** (attempts - 1), s.backoff_max_s)
        await conn.execute(sa.update(d).where(d.c.id == row.id).values(
            attempts=attempts, last_error=error, next_attempt_at=datetime.now(UTC) + timedelta(seconds=delay)))
        log.warning("webhook_retrying", partner_id=row.partner_id, attempts=attempts, error=error)
