"""Intake's subscribers: the status of each referral follows triage and caseload events."""

from __future__ import annotations

from functools import partial

from services.intake.service_layer import handlers
from services.intake.service_layer.unit_of_work import IntakeUnitOfWork
from shared.platform.messaging.consumer import EventConsumer
from shared.platform.service import ServiceContext


def build_consumers(ctx: ServiceContext) -> list[EventConsumer]:
    uow = partial(IntakeUnitOfWork, ctx.engine)

    async def triage_decided(envelope, payload) -> None:
        await handlers.on_triage_decided(uow, envelope, payload)

    async def case_event(envelope, payload) -> None:
        await handlers.on_case_event(uow, envelope, payload)

    return [
        ctx.consumer(handlers.CONSUMER_TRIAGE, ctx.topics.triage_decisions, {"triage.decided": triage_decided}),
        ctx.consumer(
            handlers.CONSUMER_CASES,
            ctx.topics.cases,
            {"case.assigned": case_event, "case.waitlisted": case_event, "case.closed": case_event},
        ),
    ]
