"""Triage's subscribers: every referral received is decided; an erased person's data key is destroyed."""

from __future__ import annotations

from services.triage.bootstrap import TriageDependencies
from services.triage.service_layer import handlers
from shared.platform.messaging.consumer import EventConsumer
from shared.platform.service import ServiceContext


def build_consumers(ctx: ServiceContext) -> list[EventConsumer]:
    deps: TriageDependencies = ctx.dependencies

    async def referral_received(envelope, payload) -> None:
        await handlers.triage_referral(envelope, payload, uow_factory=deps.uow_factory, rulebook=deps.rulebook,
                                       clock=deps.clock)

    async def person_erased(envelope, payload) -> None:
        await handlers.forget_person(envelope, payload, uow_factory=deps.uow_factory)

    return [ctx.consumer(handlers.CONSUMER_REFERRALS, ctx.topics.referrals, {"referral.received": referral_received}),
            ctx.consumer(handlers.CONSUMER_ERASURES, ctx.topics.erasures, {"person.erased": person_erased})]
