"""Outcomes' subscriber: closed cases and the measures they carry."""

from __future__ import annotations

from functools import partial

from services.outcomes.service_layer import handlers
from services.outcomes.service_layer.unit_of_work import OutcomesUnitOfWork
from shared.platform.messaging.consumer import EventConsumer
from shared.platform.service import ServiceContext


def build_consumers(ctx: ServiceContext) -> list[EventConsumer]:
    uow = partial(OutcomesUnitOfWork, ctx.engine)

    async def case_closed(envelope, payload) -> None:
        await handlers.record_closed_case(uow, envelope, payload)

    return [ctx.consumer(handlers.CONSUMER_CASES, ctx.topics.cases, {"case.closed": case_closed})]
