"""Caseload's HTTP API (staff): workers, offers, the waiting list, and each case's lifecycle."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from services.caseload.domain.model import ContactKind, NotAllowed
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


async def _guard(call):
    try:
        return await call
    except handlers.CaseNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such case") from None
    except handlers.OfferNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such offer") from None
    except NotAllowed as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None


# --- workers --------------------------------------------------------------------------------------


class WorkerFields(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    site: str | None = Field(default=None, max_length=100)
    capacity_hours: Decimal | None = Field(default=None, gt=0, le=60, description="weekly hours for casework")
    max_open_cases: int | None = Field(default=None, ge=1, le=200)
    languages: list[str] | None = None
    gender: Literal["female", "male", "non_binary", "other"] | None = None
    interests: list[str] | None = None
    home_visits: bool | None = None
    travel_districts: list[str] | None = Field(default=None, description="postcode districts the worker covers")
    availability: str | None = Field(default=None, max_length=500, description="e.g. 'Mon-Wed, 9-5'")
    auto_accept_offers: bool | None = Field(default=None, description="offers become assignments at once")
    active: bool | None = None


class NewWorker(WorkerFields):
    name: str = Field(min_length=1, max_length=200)
    role: WorkerRole
    programme_id: str = Field(min_length=1)
    capacity_hours: Decimal = Field(gt=0, le=60, description="weekly hours for casework")


@router.post("/v1/workers", tags=["workers"], status_code=201)
async def create_worker(body: NewWorker, request: Request, _: StaffPrincipal = Depends(require_staff(*MANAGE))) -> dict:
    worker_id = uuid.uuid4()
    values = body.model_dump(mode="python", exclude_none=True)
    async with uow_factory(request)() as uow:
        await uow.workers.add(id=worker_id, **values)
        await handlers.assign_waiting(uow, body.programme_id, datetime.now(UTC))
        await uow.commit()
    return {"id": str(worker_id), **body.model_dump(mode="json")}


@router.patch("/v1/workers/{worker_id}", tags=["workers"])
async def update_worker(worker_id: uuid.UUID, body: WorkerFields, request: Request,
                        _: StaffPrincipal = Depends(require_staff(*MANAGE))) -> dict:
    values = body.model_dump(mode="python", exclude_none=True)
    async with uow_factory(request)() as uow:
        worker = await uow.workers.get(worker_id)
        if worker is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such worker")
        if "capacity_hours" in values and values["capacity_hours"] < worker["load_hours"]:
            raise HTTPException(status.HTTP_409_CONFLICT, detail="capacity below the hours already assigned: "
                                "transfer cases first")
        await uow.workers.update(worker_id, **values)
        await handlers.assign_waiting(uow, worker["programme_id"], datetime.now(UTC))
        await uow.commit()
        return {**worker, **values}


@router.get("/v1/workers", tags=["workers"])
async def list_workers(request: Request, programme_id: str | None = None,
                       _: StaffPrincipal = Depends(require_staff())) -> list[dict]:
    async with uow_factory(request)() as uow:
        return await uow.workers.list(programme_id)


@router.get("/v1/workers/{worker_id}/offers", tags=["offers"])
async def worker_offers(worker_id: uuid.UUID, request: Request, _: StaffPrincipal = Depends(require_staff(*CASEWORK))
                        ) -> list[dict]:
    """The worker's open offers (also on the caseload.offers topic, keyed by worker id)."""
    async with uow_factory(request)() as uow:
        return await uow.offers.for_worker(worker_id)


class OfferResponse(BaseModel):
    reason: str | None = Field(default=None, max_length=500)


@router.post("/v1/offers/{offer_id}/accept", tags=["offers"])
async def accept_offer(offer_id: uuid.UUID, request: Request,
                       principal: StaffPrincipal = Depends(require_staff(*CASEWORK))) -> dict:
    return await _guard(handlers.respond_to_offer(uow_factory(request), offer_id, accept=True, reason=None,
                                                  actor=principal.subject))


@router.post("/v1/offers/{offer_id}/decline", tags=["offers"])
async def decline_offer(offer_id: uuid.UUID, body: OfferResponse, request: Request,
                        principal: StaffPrincipal = Depends(require_staff(*CASEWORK))) -> dict:
    return await _guard(handlers.respond_to_offer(uow_factory(request), offer_id, accept=False, reason=body.reason,
                                                  actor=principal.subject))


@router.get("/v1/waiting-list", tags=["waiting list"])
async def waiting_list(request: Request, programme_id: str, _: StaffPrincipal = Depends(require_staff())) -> list[dict]:
    """Who is waiting, in the order they will be offered (priority with ageing, then time waited)."""
    return await handlers.waiting_list(uow_factory(request), programme_id)


class Settings(BaseModel):
    first_contact_working_days: int = Field(default=5, ge=1, le=30)
    offer_timeout_minutes: float = Field(default=2880, gt=0)
    review_weeks: int = Field(default=6, ge=1, le=52)
    budget_weeks: int = Field(default=12, ge=1, le=104)
    budget_sessions: int = Field(default=12, ge=1, le=100)
    follow_up_months: int = Field(default=3, ge=1, le=24)
    ageing_days: float = Field(default=14, gt=0)


@router.put("/v1/programmes/{programme_id}/settings", tags=["settings"])
async def put_settings(programme_id: str, body: Settings, request: Request,
                       _: StaffPrincipal = Depends(require_staff(*MANAGE))) -> dict:
    async with uow_factory(request)() as uow:
        await uow.settings.put(programme_id, body.model_dump())
        await uow.commit()
    return {"programme_id": programme_id, **body.model_dump()}


# --- cases ------------------------------------------------------------------------------------------


@router.get("/v1/cases", tags=["cases"])
async def find_cases(request: Request, referral_id: uuid.UUID | None = Query(default=None),
                     worker_id: uuid.UUID | None = Query(default=None), status_: str | None = Query(default=None,
                                                                                                  alias="status"),
                     _: StaffPrincipal = Depends(require_staff())) -> list[dict]:
    async with uow_factory(request)() as uow:
        return await uow.cases.find(referral_id=referral_id, worker_id=worker_id, status=status_)


@router.get("/v1/cases/{case_id}", tags=["cases"])
async def get_case(case_id: uuid.UUID, request: Request, _: StaffPrincipal = Depends(require_staff())) -> dict:
    async with uow_factory(request)() as uow:
        case = await uow.cases.get(case_id)
        if case is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such case")
        state = await handlers.state_of(uow, case)
        events = await uow.cases.events(case_id)
    measures = [e["data"]["measure"] for e in events if e["event_type"] == "case.measure_recorded"]
    taken = {(m["instrument"], m["timepoint"]) for m in measures}
    due = []
    if state.contacts and ("ucla3", "baseline") not in taken:
        due.append("baseline")
    if state.status.value == "closed" and ("ucla3", "end") not in taken:
        due.append("end")
    if case["follow_up_requested_at"] and not state.follow_up_recorded:
        due.append("follow_up")
    return {**case, "status": state.status.value, "contact_count": state.contacts, "attempts": state.attempts,
            "goals": state.goals, "signposts": state.signposts, "budget_weeks": state.budget_weeks,
            "budget_sessions": state.budget_sessions, "sessions_used": state.contacts, "extensions": state.extensions,
            "reviewed": state.reviewed, "measures": measures, "measures_due": due,
            "first_contact_deadline_missed": state.first_contact_deadline_missed}


@router.get("/v1/cases/{case_id}/events", tags=["cases"])
async def case_events(case_id: uuid.UUID, request: Request, _: StaffPrincipal = Depends(require_staff())) -> list[dict]:
    async with uow_factory(request)() as uow:
        return await uow.cases.events(case_id)


class NewContact(BaseModel):
    kind: ContactKind
    minutes: int = Field(ge=0, le=24 * 60)
    travel_minutes: int = Field(default=0, ge=0, le=24 * 60)
    successful: bool = Field(default=True, description="false for an attempt that did not reach the person")
    occurred_at: datetime | None = None


@router.post("/v1/cases/{case_id}/contacts", tags=["cases"], status_code=201)
async def add_contact(case_id: uuid.UUID, body: NewContact, request: Request,
                      principal: StaffPrincipal = Depends(require_staff(*CASEWORK))) -> dict:
    count = await _guard(handlers.record_contact(
        uow_factory(request), case_id, kind=body.kind.value, minutes=body.minutes, travel_minutes=body.travel_minutes,
        successful=body.successful, occurred_at=body.occurred_at or datetime.now(UTC), recorded_by=principal.subject))
    return {"case_id": str(case_id), "contact_count": count}


class Goal(BaseModel):
    description: str = Field(min_length=3, max_length=500)


class GoalProgress(BaseModel):
    progress: Literal["not_started", "some_progress", "achieved", "dropped"]


class Signpost(BaseModel):
    destination: str = Field(min_length=2, max_length=300, description="the activity or service")
    category: str | None = Field(default=None, max_length=100)


class TakeUp(BaseModel):
    taken_up: bool


class UnmetNeed(BaseModel):
    need: str = Field(min_length=2, max_length=300, description="what the person needed that nothing local offers")


class Review(BaseModel):
    outcome: Literal["continue", "extend", "close_soon"]


class Extension(BaseModel):
    extra_weeks: int = Field(ge=1, le=26)
    extra_sessions: int = Field(default=0, ge=0, le=26)
    reason: str = Field(min_length=3, max_length=1000)


class Hold(BaseModel):
    reason: str = Field(min_length=3, max_length=500)


class Transfer(BaseModel):
    to_worker_id: uuid.UUID
    reason: str = Field(min_length=3, max_length=500)


def _change(action: str, case_id: uuid.UUID, request: Request, principal: StaffPrincipal, **details):
    return _guard(handlers.change(uow_factory(request), case_id, action, principal.subject, **details))


@router.post("/v1/cases/{case_id}/goals", tags=["cases"], status_code=201)
async def add_goal(case_id: uuid.UUID, body: Goal, request: Request,
                   principal: StaffPrincipal = Depends(require_staff(*CASEWORK))) -> dict:
    return await _change("goal", case_id, request, principal, description=body.description)


@router.post("/v1/cases/{case_id}/goals/{goal_id}/progress", tags=["cases"])
async def goal_progress(case_id: uuid.UUID, goal_id: uuid.UUID, body: GoalProgress, request: Request,
                        principal: StaffPrincipal = Depends(require_staff(*CASEWORK))) -> dict:
    return await _change("goal_progress", case_id, request, principal, goal_id=goal_id, progress=body.progress)


@router.post("/v1/cases/{case_id}/signposts", tags=["cases"], status_code=201)
async def add_signpost(case_id: uuid.UUID, body: Signpost, request: Request,
                       principal: StaffPrincipal = Depends(require_staff(*CASEWORK))) -> dict:
    return await _change("signpost", case_id, request, principal, destination=body.destination, category=body.category)


@router.post("/v1/cases/{case_id}/signposts/{signpost_id}/take-up", tags=["cases"])
async def signpost_take_up(case_id: uuid.UUID, signpost_id: uuid.UUID, body: TakeUp, request: Request,
                           principal: StaffPrincipal = Depends(require_staff(*CASEWORK))) -> dict:
    return await _change("take_up", case_id, request, principal, signpost_id=signpost_id, taken_up=body.taken_up)


@router.post("/v1/cases/{case_id}/unmet-needs", tags=["cases"], status_code=201)
async def unmet_need(case_id: uuid.UUID, body: UnmetNeed, request: Request,
                     principal: StaffPrincipal = Depends(require_staff(*CASEWORK))) -> dict:
    return await _change("unmet_need", case_id, request, principal, need=body.need)


@router.post("/v1/cases/{case_id}/review", tags=["cases"])
async def review(case_id: uuid.UUID, body: Review, request: Request,
                 principal: StaffPrincipal = Depends(require_staff(*CASEWORK))) -> dict:
    return await _change("review", case_id, request, principal, outcome=body.outcome)


@router.post("/v1/cases/{case_id}/extend", tags=["cases"])
async def extend(case_id: uuid.UUID, body: Extension, request: Request,
                 principal: StaffPrincipal = Depends(require_staff(*CASEWORK))) -> dict:
    return await _change("extend", case_id, request, principal, **body.model_dump())


@router.post("/v1/cases/{case_id}/hold", tags=["cases"])
async def hold(case_id: uuid.UUID, body: Hold, request: Request,
               principal: StaffPrincipal = Depends(require_staff(*CASEWORK))) -> dict:
    return await _change("hold", case_id, request, principal, reason=body.reason)


@router.post("/v1/cases/{case_id}/resume", tags=["cases"])
async def resume(case_id: uuid.UUID, request: Request,
                 principal: StaffPrincipal = Depends(require_staff(*CASEWORK))) -> dict:
    return await _change("resume", case_id, request, principal)


@router.post("/v1/cases/{case_id}/transfer", tags=["cases"])
async def transfer(case_id: uuid.UUID, body: Transfer, request: Request,
                   principal: StaffPrincipal = Depends(require_staff(*MANAGE))) -> dict:
    return await _change("transfer", case_id, request, principal, to_worker_id=body.to_worker_id, reason=body.reason)


@router.post("/v1/cases/{case_id}/measures", tags=["cases"], status_code=201)
async def add_measure(case_id: uuid.UUID, body: MeasureResponse, request: Request,
                      principal: StaffPrincipal = Depends(require_staff(*CASEWORK))) -> dict:
    if (body.items is None) == (body.not_collected_reason is None):
        raise HTTPException(422, detail="give either the item responses or why the measure was not collected")
    return await _guard(handlers.record_measure(uow_factory(request), case_id, body, principal.subject))


class Closure(BaseModel):
    reason: ClosureReason
    measures: list[MeasureResponse] = Field(default_factory=list)


@router.post("/v1/cases/{case_id}/close", tags=["cases"])
async def close_case(case_id: uuid.UUID, body: Closure, request: Request,
                     principal: StaffPrincipal = Depends(require_staff(*CASEWORK))) -> dict:
    return await _guard(handlers.close_case(uow_factory(request), case_id, reason=body.reason, measures=body.measures,
                                            actor=principal.subject))
