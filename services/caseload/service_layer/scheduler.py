"""Runs caseload's timers every few seconds: lapsed offers, missed first-contact deadlines, follow-ups."""

from __future__ import annotations

import asyncio

from pydantic import Field
from pydantic_settings import BaseSettings

from services.caseload.service_layer.timers import run_timers
from shared.platform.logging import get_logger

log = get_logger(__name__)


class SchedulerSettings(BaseSettings):
    interval_s: float = Field(default=30.0, validation_alias="CASELOAD_TIMER_INTERVAL_S")


async def run_forever(uow_factory, settings: SchedulerSettings | None = None) -> None:
    interval = (settings or SchedulerSettings()).interval_s
    while True:
        try:
            counts = await run_timers(uow_factory)
            if any(counts.values()):
                log.info("caseload_timers_ran", **counts)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("caseload_timers_failed")
        await asyncio.sleep(interval)
