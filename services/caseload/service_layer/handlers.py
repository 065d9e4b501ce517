"""Caseload use cases: open a case for an accepted referral, assign or waitlist it, record contacts, close."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from services.caseload.domain.model import CaseStatus, check_closure, check_contact, lead_role
from services.caseload.service_layer.unit_of_work import CaseloadUnitOfWork
from shared.schemas import topics
from shared.schemas.envelope import Envelope
from shared.schemas.events.case import (
    CaseAssigned,
    CaseClosed,
    CaseFirstContactMade,
    CaseWaitlisted,
    ClosureReason,
    WorkerRole,
)
from shared.schemas.events.common import MeasureResponse
from shared.schemas.events.triage import Decision, Pathway, TriageDecided

CONSUMER_DECISIONS = topics.consumer_group("caseload", topics.TRIAGE_DECISIONS)


class CaseNotFound(Exception):
    pass


async def open_case(uow_factory, envelope: Envelope, decision: TriageDecided) -> None:
    """An accepted referral becomes a case: assigned if someone has room, else waiting."""
    if decision.decision != Decision.ACCEPTED or decision.pathway == Pathway.SIGNPOST_ONLY:
        return
    async with uow_factory() as uow:
        if not await uow.first_delivery(CONSUMER_DECISIONS, envelope):
            return
        if await uow.cases.find(referral_id=decision.referral_id):
            # A later decision for the same referral (a person's override) does not open a second case.
            await uow.commit()
            return
        now = datetime.now(UTC)
        case = {
            "id": uuid.uuid4(),
            "referral_id": decision.referral_id,
            "person_id": decision.person_id,
            "programme_id": decision.programme_id,
            "status": CaseStatus.WAITING.value,
            "expected_weekly_hours": Decimal(str(decision.expected_weekly_hours or 0)),
            "priority": decision.priority or 3,
            "lead_role": lead_role(decision.pathway).value,
            "opened_at": now,
            "correlation_id": envelope.correlationid,
        }
        await uow.cases.add(**case)
        if not await _try_assign(uow, case, now, causation_id=envelope.id):
            await uow.emit(
                CaseWaitlisted(
                    case_id=case["id"],
                    referral_id=case["referral_id"],
                    person_id=case["person_id"],
                    programme_id=case["programme_id"],
                    priority=case["priority"],
                    expected_weekly_hours=float(case["expected_weekly_hours"]),
                    waitlisted_at=now,
                ),
                topic=topics.CASES,
                subject=str(case["id"]),
                correlation_id=envelope.correlationid,
                causation_id=envelope.id,
            )
        await uow.commit()


async def _try_assign(uow: CaseloadUnitOfWork, case: dict[str, Any], now: datetime, causation_id=None) -> bool:
    worker = await uow.workers.take_capacity(
        case["programme_id"], case["lead_role"], case["expected_weekly_hours"]
    )
    if worker is None:
        return False
    await uow.cases.update(case["id"], status=CaseStatus.ASSIGNED.value, worker_id=worker["id"], assigned_at=now)
    await uow.emit(
        CaseAssigned(
            case_id=case["id"],
            referral_id=case["referral_id"],
            person_id=case["person_id"],
            programme_id=case["programme_id"],
            worker_id=worker["id"],
            worker_role=WorkerRole(worker["role"]),
            expected_weekly_hours=float(case["expected_weekly_hours"]),
            assigned_at=now,
        ),
        topic=topics.CASES,
        subject=str(case["id"]),
        correlation_id=case["correlation_id"],
        causation_id=causation_id,
    )
    return True


async def assign_waiting(uow: CaseloadUnitOfWork, programme_id: str, now: datetime) -> int:
    """Freed capacity goes to waiting people, most urgent and longest waiting first."""
    assigned = 0
    for case in await uow.cases.next_waiting(programme_id):
        if await _try_assign(uow, case, now):
            assigned += 1
    return assigned


async def record_contact(
    uow_factory, case_id: uuid.UUID, *, kind: str, minutes: int, occurred_at: datetime, recorded_by: str
) -> int:
    async with uow_factory() as uow:
        case = await uow.cases.get(case_id, for_update=True)
        if case is None:
            raise CaseNotFound(case_id)
        check_contact(CaseStatus(case["status"]))
        await uow.cases.add_contact(
            id=uuid.uuid4(), case_id=case_id, kind=kind, minutes=minutes, occurred_at=occurred_at,
            recorded_by=recorded_by,
        )
        count = await uow.cases.contact_count(case_id)
        if count == 1:
            await uow.emit(
                CaseFirstContactMade(
                    case_id=case_id,
                    referral_id=case["referral_id"],
                    person_id=case["person_id"],
                    programme_id=case["programme_id"],
                    worker_id=case["worker_id"],
                    contact_kind=kind,
                    contacted_at=occurred_at,
                ),
                topic=topics.CASES,
                subject=str(case_id),
                correlation_id=case["correlation_id"],
            )
        await uow.commit()
        return count


async def close_case(
    uow_factory, case_id: uuid.UUID, *, reason: ClosureReason, measures: list[MeasureResponse]
) -> dict[str, Any]:
    async with uow_factory() as uow:
        case = await uow.cases.get(case_id, for_update=True)
        if case is None:
            raise CaseNotFound(case_id)
        contact_count = await uow.cases.contact_count(case_id)
        check_closure(CaseStatus(case["status"]), contact_count, reason)
        now = datetime.now(UTC)
        await uow.cases.update(
            case_id,
            status=CaseStatus.CLOSED.value,
            closed_at=now,
            closure_reason=reason.value,
            measures=[m.model_dump(mode="json") for m in measures],
        )
        await uow.workers.release_capacity(case["worker_id"], case["expected_weekly_hours"])
        role = await uow.workers.role_of(case["worker_id"])
        await uow.emit(
            CaseClosed(
                case_id=case_id,
                referral_id=case["referral_id"],
                person_id=case["person_id"],
                programme_id=case["programme_id"],
                worker_id=case["worker_id"],
                worker_role=WorkerRole(role),
                reason=reason,
                contact_count=contact_count,
                measures=measures,
                opened_at=case["opened_at"],
                closed_at=now,
            ),
            topic=topics.CASES,
            subject=str(case_id),
            correlation_id=case["correlation_id"],
        )
        await assign_waiting(uow, case["programme_id"], now)
        await uow.commit()
        return {
            **case,
            "status": CaseStatus.CLOSED.value,
            "closed_at": now,
            "closure_reason": reason.value,
            "contact_count": contact_count,
            "measures": [m.model_dump(mode="json") for m in measures],
        }
