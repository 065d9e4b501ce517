"""Outcomes' subscribers: referrals, triage decisions and every case event."""

from __future__ import annotations

from functools import partial

from services.outcomes.service_layer import handlers
from services.outcomes.service_layer.unit_of_work import OutcomesUnitOfWork
from shared.platform.messaging.consumer import EventConsumer
from shared.platform.service import ServiceContext

CASE_EVENTS = ("case.opened", "case.assigned", "case.transferred", "case.contact_recorded", "case.closed",
               "case.measure_recorded", "case.signposted", "case.signpost_take_up_recorded",
               "case.unmet_need_recorded")


def build_consumers(ctx: ServiceContext) -> list[EventConsumer]:
    uow = partial(OutcomesUnitOfWork, ctx.engine)

    async def referral(envelope, payload) -> None:
        await handlers.on_referral(uow, envelope, payload)

    async def decision(envelope, payload) -> None:
        await handlers.on_decision(uow, envelope, payload)

    async def case_event(envelope, payload) -> None:
        await handlers.on_case_event(uow, envelope, payload)

    return [
        ctx.consumer(handlers.CONSUMER_REFERRALS, ctx.topics.referrals, {"referral.received": referral}),
        ctx.consumer(handlers.CONSUMER_DECISIONS, ctx.topics.triage_decisions, {"triage.decided": decision}),
        ctx.consumer(handlers.CONSUMER_CASES, ctx.topics.cases, dict.fromkeys(CASE_EVENTS, case_event)),
    ]
