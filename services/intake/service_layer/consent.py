"""The person registry's consent: changes and withdrawals recorded on the person's case (caseload's
case.consent_changed) are kept on their referral, with the history, so the registry's consent is current.

The change reaches the referral the case is for and the same referrer's referrals linked to it (the same
person and episode): what is told to each referrer follows it (status only without data sharing)."""

from __future__ import annotations

from services.intake.service_layer.status import CONSUMER_CASES
from services.intake.service_layer.unit_of_work import IntakeUnitOfWork
from shared.platform.messaging.consumer import Rejected
from shared.schemas.envelope import Envelope
from shared.schemas.events.case import CaseConsentChanged


async def on_consent_changed(uow: IntakeUnitOfWork, envelope: Envelope, event: CaseConsentChanged) -> None:
    async with uow:
        if not await uow.first_delivery(CONSUMER_CASES, envelope):
            return
        referral = await uow.referrals.get(event.referral_id)
        if referral is None:
            raise Rejected(f"unknown referral {event.referral_id}")
        changes = {"to_contact": event.to_contact, "to_data_sharing": event.to_data_sharing,
                   "do_not_contact_by": list(event.do_not_contact_by), "preferred_contact": event.preferred_contact}
        for each in [referral, *await uow.referrals.linked_duplicates(referral.id)]:
            each.record_consent(changes, at=event.at, reported_by=event.reported_by, source="case",
                                reported_at=event.reported_at, event_id=envelope.id)
            await uow.referrals.save(each)
        await uow.commit()
