"""Caseload's subscriber: accepted triage decisions become cases."""

from __future__ import annotations

from functools import partial

from services.caseload.service_layer import handlers
from services.caseload.service_layer.unit_of_work import CaseloadUnitOfWork
from shared.platform.messaging.consumer import EventConsumer
from shared.platform.service import ServiceContext


def build_consumers(ctx: ServiceContext) -> list[EventConsumer]:
    uow = partial(CaseloadUnitOfWork, ctx.engine)

    async def triage_decided(envelope, payload) -> None:
        await handlers.open_case(uow, envelope, payload)

    return [ctx.consumer(handlers.CONSUMER_DECISIONS, ctx.topics.triage_decisions, {"triage.decided": triage_decided})]
