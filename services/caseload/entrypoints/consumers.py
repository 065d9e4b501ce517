"""Caseload's subscriber: accepted triage decisions become cases."""

from __future__ import annotations

from services.caseload.bootstrap import Caseload
from services.caseload.service_layer import assignment
from shared.platform.messaging.consumer import EventConsumer
from shared.platform.service import ServiceContext


def build_consumers(ctx: ServiceContext) -> list[EventConsumer]:
    deps: Caseload = ctx.dependencies

    async def triage_decided(envelope, payload) -> None:
        await assignment.open_case(deps.uow(), envelope, payload)

    return [ctx.consumer(assignment.CONSUMER_DECISIONS, ctx.topics.triage_decisions,
                         {"triage.decided": triage_decided})]
