"""Signed webhooks to referrers, retried with backoff.

Each status change writes a delivery in the same transaction (see `status.py`); the
dispatcher, on one replica at a time, posts those due and retries failures with
exponential backoff up to a limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Protocol

from pydantic import Field
from pydantic_settings import BaseSettings

from services.intake.service_layer.unit_of_work import IntakeUnitOfWork, WebhookDelivery
from shared.platform.logging import get_logger

log = get_logger(__name__)


class WebhookSettings(BaseSettings):
    backoff_initial_s: float = Field(default=5.0, validation_alias="WEBHOOK_BACKOFF_INITIAL_S")
    backoff_max_s: float = Field(default=3600.0, validation_alias="WEBHOOK_BACKOFF_MAX_S")
    max_attempts: int = Field(default=10, validation_alias="WEBHOOK_MAX_ATTEMPTS")
    timeout_s: float = Field(default=5.0, validation_alias="WEBHOOK_TIMEOUT_S")


class WebhookSender(Protocol):
    async def send(self, delivery: WebhookDelivery, attempt: int) -> str | None:
        """None if delivered, else the error."""


async def deliver_due(uow: IntakeUnitOfWork, sender: WebhookSender, settings: WebhookSettings) -> int:
    async with uow:
        due = await uow.webhooks.due()
        for delivery in due:
            attempts = delivery.attempts + 1
            error = await sender.send(delivery, attempts)
            if error is None:
                await uow.webhooks.delivered(delivery.id, attempts)
                log.info("webhook_delivered", partner_id=delivery.partner_id, attempts=attempts)
            elif attempts >= settings.max_attempts:
                await uow.webhooks.gave_up(delivery.id, attempts, error)
                log.error("webhook_gave_up", partner_id=delivery.partner_id, attempts=attempts, error=error)
            else:
                delay = min(settings.backoff_initial_s * 2 ** (attempts - 1), settings.backoff_max_s)
                await uow.webhooks.retry_at(delivery.id, attempts, error, datetime.now(UTC) + timedelta(seconds=delay))
                log.warning("webhook_retrying", partner_id=delivery.partner_id, attempts=attempts, error=error)
        await uow.commit()
    return len(due)


class WebhookDispatcher:
    """Runs on whichever replica leads; the others wait to take over."""

    def __init__(self, uow_factory: Callable[[], IntakeUnitOfWork],
                 lead: Callable[[], AbstractAsyncContextManager[bool]],
                 sender: Callable[[WebhookSettings], AbstractAsyncContextManager[WebhookSender]],
                 settings: WebhookSettings | None = None) -> None:
        self._uow = uow_factory
        self._lead = lead
        self._sender = sender
        self._settings = settings or WebhookSettings()

    async def run(self) -> None:
        async with self._sender(self._settings) as sender:
            while True:
                try:
                    async with self._lead() as leading:
                        if not leading:
                            await asyncio.sleep(2)
                            continue
                        while True:
                            if await deliver_due(self._uow(), sender, self._settings) == 0:
                                await asyncio.sleep(0.25)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("webhook_dispatcher_failed")
                    await asyncio.sleep(1)
