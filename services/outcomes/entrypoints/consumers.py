"""Outcomes' subscribers: referrals, triage decisions and the case events that change a fact."""

from __future__ import annotations

from services.outcomes.service_layer import handlers
from shared.platform.messaging.consumer import EventConsumer
from shared.platform.service import ServiceContext


def build_consumers(ctx: ServiceContext) -> list[EventConsumer]:
    # ctx.dependencies (the bootstrap's) is read when an event arrives: the API documents build
    # these subscribers from a context that was never bootstrapped, only to read what they take.
    async def referral(envelope, payload) -> None:
        await handlers.on_referral(ctx.dependencies.uow, envelope, payload)

    async def decision(envelope, payload) -> None:
        await handlers.on_decision(ctx.dependencies.uow, envelope, payload)

    async def case_event(envelope, payload) -> None:
        await handlers.on_case_event(ctx.dependencies.uow, envelope, payload)

    async def person_erased(envelope, payload) -> None:
        await handlers.on_person_erased(ctx.dependencies.uow, envelope, payload)

    case_events = {event.event_type: case_event for event in handlers.CASE_PROJECTIONS}
    return [
        ctx.consumer(handlers.CONSUMER_REFERRALS, ctx.topics.referrals, {"referral.received": referral}),
        ctx.consumer(handlers.CONSUMER_DECISIONS, ctx.topics.triage_decisions, {"triage.decided": decision}),
        ctx.consumer(handlers.CONSUMER_CASES, ctx.topics.cases, case_events),
        ctx.consumer(handlers.CONSUMER_ERASURES, ctx.topics.erasures, {"person.erased": person_erased}),
    ]
