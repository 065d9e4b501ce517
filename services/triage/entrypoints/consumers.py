"""Triage's subscriber: every referral received is decided."""

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

    return [ctx.consumer(handlers.CONSUMER_REFERRALS, ctx.topics.referrals, {"referral.received": referral_received})]
