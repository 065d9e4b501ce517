"""Caseload's subscribers: accepted triage decisions become cases; corrected details reach their case; erased
people lose their data key."""

from __future__ import annotations

from services.caseload.bootstrap import Caseload
from services.caseload.service_layer import assignment, details, notes
from shared.platform.messaging.consumer import EventConsumer
from shared.platform.service import ServiceContext


def build_consumers(ctx: ServiceContext) -> list[EventConsumer]:
    deps: Caseload = ctx.dependencies

    async def triage_decided(envelope, payload) -> None:
        await assignment.open_case(deps.uow(), envelope, payload)

    async def details_corrected(envelope, payload) -> None:
        await details.on_details_corrected(deps.uow(), envelope, payload)

    async def person_erased(envelope, payload) -> None:
        await notes.forget_person(deps.uow(), envelope, payload)

    return [ctx.consumer(assignment.CONSUMER_DECISIONS, ctx.topics.triage_decisions,
                         {"triage.decided": triage_decided}),
            ctx.consumer(details.CONSUMER_REFERRALS, ctx.topics.referrals,
                         {"referral.details_corrected": details_corrected}),
            ctx.consumer(notes.CONSUMER_ERASURES, ctx.topics.erasures, {"person.erased": person_erased})]
