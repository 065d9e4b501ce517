"""Triage's subscriber: every referral received is decided."""

from __future__ import annotations

from functools import partial

from services.triage.service_layer import handlers
from services.triage.service_layer.rulebook import RuleBook
from services.triage.adapters.unit_of_work import TriageUnitOfWork
from shared.platform.messaging.consumer import EventConsumer
from shared.platform.service import ServiceContext

RULEBOOK = RuleBook()


def build_consumers(ctx: ServiceContext) -> list[EventConsumer]:
    uow = partial(TriageUnitOfWork, ctx.engine)

    async def referral_received(envelope, payload) -> None:
        await handlers.triage_referral(uow, RULEBOOK, envelope, payload)

    return [ctx.consumer(handlers.CONSUMER_REFERRALS, ctx.topics.referrals, {"referral.received": referral_received})]
