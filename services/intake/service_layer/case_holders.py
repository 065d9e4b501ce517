"""Who holds each case now, followed from caseload's events: the registry lets that worker read the person.

Its own inbox name within intake's subscription to caseload's cases, beside the referral status's, so a
redelivered event that one of them has handled is still handled once by the other.
"""

from __future__ import annotations

from services.intake.service_layer import status
from services.intake.service_layer.unit_of_work import CaseHolder, IntakeUnitOfWork
from shared.schemas.envelope import Envelope
from shared.schemas.events.case import CaseAssigned, CaseClosed, CaseOpened, CaseTransferred

INBOX = f"{status.CONSUMER_CASES}#holders"
EVENT_TYPES = ("case.opened", "case.assigned", "case.transferred", "case.closed")


def holder_after(current: CaseHolder | None, event: CaseOpened | CaseAssigned | CaseTransferred | CaseClosed) -> CaseHolder:
    worker = current.worker_id if current else None
    still_open = current.open if current else True
    if isinstance(event, CaseAssigned):
        worker = event.worker_id
    elif isinstance(event, CaseTransferred):
        worker = event.to_worker_id
    elif isinstance(event, CaseClosed):
        still_open = False
    return CaseHolder(event.case_id, event.referral_id, event.programme_id, worker, still_open)


async def on_case_event(uow: IntakeUnitOfWork, envelope: Envelope,
                        event: CaseOpened | CaseAssigned | CaseTransferred | CaseClosed) -> None:
    async with uow:
        if not await uow.first_delivery(INBOX, envelope):
            return
        await uow.case_holders.put(holder_after(await uow.case_holders.get(event.case_id), event))
        await uow.commit()
