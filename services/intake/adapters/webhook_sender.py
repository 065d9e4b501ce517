"""Posting one signed status webhook to a partner over HTTP, in the referral's own trace."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from opentelemetry.trace import SpanKind, Status, StatusCode

from services.intake.domain.webhook_signature import sign
from services.intake.service_layer.unit_of_work import WebhookDelivery
from shared.platform import tracing


class HttpWebhookSender:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def send(self, delivery: WebhookDelivery, attempt: int) -> str | None:
        """None when the partner took it (a 2xx), else what went wrong, in words without personal data."""
        # A client span in the referral's own trace (its context travels in the envelope), passed on
        # to the partner in `traceparent`, so their side of the story can join the same trace.
        with tracing.tracer().start_as_current_span(
            "POST status webhook",
            context=tracing.context_from({k: delivery.body.get(k) for k in (tracing.TRACEPARENT, tracing.TRACESTATE)}),
            kind=SpanKind.CLIENT,
            attributes={"http.request.method": "POST", "referrals.partner_id": delivery.partner_id,
                        "cloudevents.event_id": str(delivery.event_id), "referrals.delivery_attempt": attempt},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            error = await self._post(delivery, attempt, span)
            if error is not None:
                span.set_status(Status(StatusCode.ERROR, error))
            return error

    async def _post(self, delivery: WebhookDelivery, attempt: int, span) -> str | None:
        body = json.dumps(delivery.body, separators=(",", ":")).encode()
        try:
            response = await self._client.post(
                delivery.url, content=body,
                headers={
                    "Content-Type": "application/cloudevents+json",
                    "X-Referrals-Signature": sign(delivery.secret, body, int(time.time())),
                    "X-Referrals-Event-Id": str(delivery.event_id),
                    "X-Referrals-Delivery-Attempt": str(attempt),
                    **tracing.current_trace_context(),
                },
            )
        except httpx.HTTPError as exc:
            return type(exc).__name__
        span.set_attribute("http.response.status_code", response.status_code)
        return None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"


@asynccontextmanager
async def http_webhook_sender(settings) -> AsyncIterator[HttpWebhookSender]:
    async with httpx.AsyncClient(timeout=settings.timeout_s) as client:
        yield HttpWebhookSender(client)
