"""Caseload's HTTP API (staff): workers, cases, contacts and closure."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from services.caseload.domain.model import ClosureNotAllowed, ContactKind, ContactNotAllowed
from services.caseload.service_layer import handlers
from services.caseload.service_layer.unit_of_work import CaseloadUnitOfWork
from shared.platform.auth import StaffPrincipal, require_staff
from shared.schemas.events.case import ClosureReason, WorkerRole
from shared.schemas.events.common import MeasureResponse

router = APIRouter()
MANAGE = ("admin", "coordinator")
CASEWORK = ("admin", "coordinator", "connector", "volunteer")


def uow_factory(request: Request):
    return partial(CaseloadUnitOfWork, request.app.state.ctx.engine)


class NewWorker(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    role: WorkerRole
    programme_id: str = Field(min_length=1)
    capacity_hours: Decimal = Field(gt=0, le=60, description="weekly hours available for casework")


@router.post("/v1/workers", tags=["workers"], status_code=201)
async def create_worker(
    body: NewWorker, request: Request, _: StaffPrincipal = Depends(require_staff(*MANAGE))
) -> dict:
    worker_id = uuid.uuid4()
    async with uow_factory(request)() as uow:
        await uow.workers.add(id=worker_id, **body.model_dump(mode="python"))
        await handlers.assign_waiting(uow, body.programme_id, datetime.now(UTC))
        await uow.commit()
    return {"id": str(worker_id), **body.model_dump(mode="json")}


@router.get("/v1/workers", tags=["workers"])
async def list_workers(
    request: Request, programme_id: str | None = None, _: StaffPrincipal = Depends(require_staff())
) -> list[dict]:
    async with uow_factory(request)() as uow:
        return await uow.workers.list(programme_id)


@router.get("/v1/cases", tags=["cases"])
async def find_cases(
    request: Request,
    referral_id: uuid.UUID | None = Query(default=None),
    worker_id: uuid.UUID | None = Query(default=None),
    _: StaffPrincipal = Depends(require_staff()),
) -> list[dict]:
    async with uow_factory(request)() as uow:
        return await uow.cases.find(referral_id=referral_id, worker_id=worker_id)


@router.get("/v1/cases/{case_id}", tags=["cases"])
async def get_case(case_id: uuid.UUID, request: Request, _: StaffPrincipal = Depends(require_staff())) -> dict:
    async with uow_factory(request)() as uow:
        case = await uow.cases.get(case_id)
        if case is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such case")
        return {**case, "contact_count": await uow.cases.contact_count(case_id)}


class NewContact(BaseModel):
    kind: ContactKind
    minutes: int = Field(ge=0, le=24 * 60)
    occurred_at: datetime | None = None


@router.post("/v1/cases/{case_id}/contacts", tags=["cases"], status_code=201)
async def add_contact(
    case_id: uuid.UUID, body: NewContact, request: Request,
    principal: StaffPrincipal = Depends(require_staff(*CASEWORK)),
) -> dict:
    try:
        count = await handlers.record_contact(
            uow_factory(request), case_id, kind=body.kind.value, minutes=body.minutes,
            occurred_at=body.occurred_at or datetime.now(UTC), recorded_by=principal.subject,
        )
    except handlers.CaseNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such case") from None
    except ContactNotAllowed as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    return {"case_id": str(case_id), "contact_count": count}


class Closure(BaseModel):
    reason: ClosureReason
    measures: list[MeasureResponse] = Field(default_factory=list)


@router.post("/v1/cases/{case_id}/close", tags=["cases"])
async def close_case(
    case_id: uuid.UUID, body: Closure, request: Request,
    _: StaffPrincipal = Depends(require_staff(*CASEWORK)),
) -> dict:
    try:
        return await handlers.close_case(uow_factory(request), case_id, reason=body.reason, measures=body.measures)
    except handlers.CaseNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such case") from None
    except ClosureNotAllowed as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
