"""The closed loop: every referral's status timeline, fed by triage and caseload events,
told back to whoever referred (status topic, signed webhook, API, FHIR Task)."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.intake.domain.referral import Referral
from services.intake.domain.status import TRIAGE_STATUS, ReferralStatus
from services.intake.service_layer.unit_of_work import IntakeUnitOfWork
from shared.platform.messaging.consumer import Rejected
from shared.schemas import topics
from shared.schemas.envelope import Envelope
from shared.schemas.events.case import CaseAssigned, CaseClosed, CaseFirstContactMade, CaseWaitlisted
from shared.schemas.events.triage import TriageDecided

CONSUMER_TRIAGE = topics.consumer_group("intake", topics.TRIAGE_DECISIONS)
CONSUMER_CASES = topics.consumer_group("intake", topics.CASES)


async def tell(uow: IntakeUnitOfWork, referral: Referral, status: ReferralStatus, at: datetime, *,
               reason: str | None = None, event_id: uuid.UUID | None = None,
               linked_referral_id: uuid.UUID | None = None, estimated_wait_days: int | None = None) -> None:
    """The change goes on the referral's timeline and, for a partner's referral, to its topic and webhook."""
    change = referral.advance(status, at, reason=reason, event_id=event_id, linked_referral_id=linked_referral_id,
                              estimated_wait_days=estimated_wait_days)
    await uow.referrals.save(referral)
    if change is None:
        return
    envelope = await uow.emit(change, topic=topics.referral_status_topic(referral.partner_id),
                              subject=str(referral.id), correlation_id=referral.correlation_id,
                              causation_id=event_id)
    await uow.webhooks.enqueue(referral.partner_id, envelope)


async def on_triage_decided(uow: IntakeUnitOfWork, envelope: Envelope, decision: TriageDecided) -> None:
    await _advance(uow, CONSUMER_TRIAGE, envelope, decision.referral_id, TRIAGE_STATUS[decision.decision],
                   decision.reason_code, decision.decided_at)


async def on_case_event(uow: IntakeUnitOfWork, envelope: Envelope,
                        event: CaseAssigned | CaseWaitlisted | CaseFirstContactMade | CaseClosed) -> None:
    wait = None
    if isinstance(event, CaseAssigned):
        status, reason, at = ReferralStatus.ASSIGNED, None, event.assigned_at
    elif isinstance(event, CaseWaitlisted):
        wait = event.estimated_wait_days
        reason = f"estimated wait about {wait} days" if wait is not None else None
        status, at = ReferralStatus.WAITING, event.waitlisted_at
    elif isinstance(event, CaseFirstContactMade):
        status, reason, at = ReferralStatus.FIRST_CONTACT, None, event.contacted_at
    else:
        status, reason, at = ReferralStatus.CLOSED, event.reason.value, event.closed_at
    await _advance(uow, CONSUMER_CASES, envelope, event.referral_id, status, reason, at, wait)


async def _advance(uow: IntakeUnitOfWork, consumer: str, envelope: Envelope, referral_id: uuid.UUID,
                   status: ReferralStatus, reason: str | None, at: datetime, wait: int | None = None) -> None:
    async with uow:
        if not await uow.first_delivery(consumer, envelope):
            return
        referral = await uow.referrals.get(referral_id)
        if referral is None:
            raise Rejected(f"unknown referral {referral_id}")
        await tell(uow, referral, status, at, reason=reason, event_id=envelope.id, estimated_wait_days=wait)
        # The referrer's own referrals linked to this one follow it too. Another referrer's do not: a
        # partner learns about a person only through its own referral, never another's progress.
        for duplicate in await uow.referrals.linked_duplicates(referral_id):
            if duplicate.partner_id == referral.partner_id:
                await tell(uow, duplicate, status, at, reason=reason, event_id=envelope.id,
                           linked_referral_id=referral_id, estimated_wait_days=wait)
        await uow.commit()
