"""Intake tells caseload when a correction of a person's contact details changed what their case is matched on
(referral.details_corrected): the case takes the new language, interpreter need and postcode district."""

from __future__ import annotations

from services.caseload.service_layer.recording import store
from services.caseload.service_layer.unit_of_work import CaseloadUnitOfWork
from shared.platform.messaging.consumer import Rejected
from shared.schemas import topics
from shared.schemas.envelope import Envelope
from shared.schemas.events.referral import ReferralDetailsCorrected

CONSUMER_REFERRALS = topics.consumer_group("caseload", topics.REFERRALS)


async def on_details_corrected(uow: CaseloadUnitOfWork, envelope: Envelope, event: ReferralDetailsCorrected) -> None:
    async with uow:
        if not await uow.first_delivery(CONSUMER_REFERRALS, envelope):
            return
        case = await uow.cases.get(event.case_id)
        if case is None or case.referral_id != event.referral_id:
            # Intake corrects only a case it learnt of from caseload's own events: this one never existed here.
            raise Rejected("no case of that referral")
        case.correct_details(event.model_dump(), list(event.changed), now=event.corrected_at)
        await store(uow, case, causation_id=envelope.id)
        await uow.commit()
