"""Caseload's HTTP API (staff): workers, offers, the waiting list, and each case's lifecycle.

Routes turn requests into commands and results into responses; refusals come back
from the service layer by kind (not found, not allowed) and become 404 and 409 here.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, WithJsonSchema

from services.caseload.bootstrap import Caseload
from services.caseload.domain.model import ContactKind, NotAllowed
from services.caseload.service_layer import commands as c
from services.caseload.service_layer import queries
from services.caseload.service_layer.errors import Forbidden, Invalid, NotFound
from services.caseload.service_layer.ownership import Viewer
from services.caseload.service_layer.unit_of_work import CaseloadUnitOfWork
from shared.platform.audit_http import audit_trail_router
from shared.platform.auth import StaffPrincipal, require_staff
from shared.platform.datetimes import IsoDateTime
from shared.platform.http import refusals_as_http
from shared.platform.openapi import errors
from shared.schemas.events.case import ClosureReason, DeclineReason, WorkerRole
from shared.schemas.events.common import MeasureResponse

# Every route is staff's; those naming a case, worker, offer, goal or signpost refuse unknown ids (404) and
# changes the case's state does not allow (409).
# Who may call each route: shared/platform/policy.py (require_staff reads it).
router = APIRouter(responses=errors(400, 401, 403, 404, 409, 422))


def caseload(request: Request) -> Caseload:
    return request.app.state.ctx.dependencies


REFUSALS = {NotFound: status.HTTP_404_NOT_FOUND, NotAllowed: status.HTTP_409_CONFLICT,
            Forbidden: status.HTTP_403_FORBIDDEN, Invalid: 422}


def _viewer(principal: StaffPrincipal) -> Viewer:
    return Viewer(principal.own_work_only, principal.worker_id, principal.programmes, principal.sites,
                  actor=principal.subject, roles=tuple(sorted(principal.roles)))


def _handle(deps: Caseload, principal: StaffPrincipal, command: c.Command):
    """Hand the command on as this principal: a worker's acts on its own offers and cases only."""
    return deps.handle(replace(command, own_work_only=principal.own_work_only, actor_worker_id=principal.worker_id,
                               actor_programmes=principal.programmes, actor_sites=principal.sites))


async def _guard(call):
    with refusals_as_http(REFUSALS):
        return await call


# --- workers --------------------------------------------------------------------------------------


# Weekly hours as a number, or as decimal text ("7.5"), from 0.01 to 60 with at most two decimals (the
# column's scale). The document says exactly this, so text the code would refuse ("", "abc", "0", "99") is
# invalid in the document too, and every request the document allows is taken.
HOURS_TEXT = r"^(60(\.0{1,2})?|([1-5][0-9]|[1-9])(\.[0-9]{1,2})?|0?\.([1-9][0-9]?|0[1-9]))$"


def _hours_text(value: object) -> object:
    if isinstance(value, str) and not re.fullmatch(HOURS_TEXT, value):
        raise ValueError("weekly hours from 0.01 to 60, at most two decimals, e.g. 7.5")
    return value


WeeklyHours = Annotated[
    Decimal, BeforeValidator(_hours_text), Field(ge=Decimal("0.01"), le=60),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0.01, "maximum": 60},
                              {"type": "string", "pattern": HOURS_TEXT}]}),
]


# Request fields that are true or false are StrictBool: pydantic would also take 0, 1, "yes" or "off",
# which the document (a JSON boolean) calls invalid.


def _without_defaults(schema: dict[str, Any]) -> None:
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class WorkerFields(BaseModel):
    """A PATCH changes only the fields it names (JSON merge patch). A site, gender or availability is cleared
    with null; the other fields cannot be empty, so their documents do not offer null and a null is a 422."""

    # A field left out is unchanged: no default belongs in the document (None would contradict "type": "string").
    model_config = ConfigDict(json_schema_extra=_without_defaults)

    name: str = Field(default=None, min_length=1, max_length=200)
    site: str | None = Field(default=None, max_length=100, description="null clears it")
    capacity_hours: WeeklyHours = Field(default=None, description="weekly hours for casework")
    max_open_cases: int = Field(default=None, ge=1, le=200)
    languages: list[str] = Field(default=None, description="[] clears them")
    gender: Literal["female", "male", "non_binary", "other"] | None = Field(default=None, description="null clears it")
    interests: list[str] = Field(default=None, description="[] clears them")
    home_visits: StrictBool = None
    travel_districts: list[str] = Field(default=None, description="postcode districts the worker covers")
    availability: str | None = Field(default=None, max_length=500, description="e.g. 'Mon-Wed, 9-5'; null clears it")
    auto_accept_offers: StrictBool = Field(default=None, description="offers become assignments at once")
    active: StrictBool = None


class NewWorker(WorkerFields):
    name: str = Field(min_length=1, max_length=200)
    role: WorkerRole
    programme_id: str = Field(min_length=1)
    capacity_hours: WeeklyHours = Field(description="weekly hours for casework")


@router.post("/v1/workers", tags=["workers"], status_code=201)
async def create_worker(body: NewWorker, deps: Caseload = Depends(caseload),
                        principal: StaffPrincipal = Depends(require_staff())) -> dict:
    worker_id = uuid.uuid4()
    details = body.model_dump(mode="python", exclude_none=True, exclude={"programme_id"})
    await _handle(deps, principal, c.AddWorker(principal.subject, worker_id, body.programme_id, details))
    return {"id": str(worker_id), **body.model_dump(mode="json")}


@router.patch("/v1/workers/{worker_id}", tags=["workers"])
async def update_worker(worker_id: uuid.UUID, body: WorkerFields, deps: Caseload = Depends(caseload),
                        principal: StaffPrincipal = Depends(require_staff())) -> dict:
    details = body.model_dump(mode="python", exclude_unset=True)
    return await _guard(_handle(deps, principal, c.UpdateWorker(principal.subject, worker_id, details)))


@router.get("/v1/workers", tags=["workers"])
async def list_workers(programme_id: str | None = None, deps: Caseload = Depends(caseload),
                       principal: StaffPrincipal = Depends(require_staff())) -> list[dict]:
    return await queries.workers(deps.uow(), programme_id, _viewer(principal))


@router.get("/v1/workers/{worker_id}/offers", tags=["offers"])
async def worker_offers(worker_id: uuid.UUID, deps: Caseload = Depends(caseload),
                        principal: StaffPrincipal = Depends(require_staff())) -> list[dict]:
    """The worker's open offers (also on the caseload.offers topic, keyed by worker id)."""
    return await _guard(queries.open_offers(deps.uow(), worker_id, _viewer(principal)))


class OfferResponse(BaseModel):
    """Why the offer is declined: a reason code, a note, or both (`other` needs the note). A note alone is how
    clients before the codes decline; it is not counted by reason."""

    reason_code: DeclineReason | None = Field(default=None, description="what coordinators count")
    reason: str | None = Field(default=None, max_length=500,
                               description="the worker's note: stored sealed, as it may say something of the person")


@router.post("/v1/offers/{offer_id}/accept", tags=["offers"])
async def accept_offer(offer_id: uuid.UUID, deps: Caseload = Depends(caseload),
                       principal: StaffPrincipal = Depends(require_staff())) -> dict:
    return await _guard(_handle(deps, principal, c.AcceptOffer(principal.subject, offer_id)))


@router.post("/v1/offers/{offer_id}/decline", tags=["offers"])
async def decline_offer(offer_id: uuid.UUID, body: OfferResponse, deps: Caseload = Depends(caseload),
                        principal: StaffPrincipal = Depends(require_staff())) -> dict:
    return await _guard(_handle(deps, principal, c.DeclineOffer(principal.subject, offer_id, body.reason,
                                                                reason_code=body.reason_code)))


@router.get("/v1/waiting-list", tags=["waiting list"])
async def waiting_list(programme_id: str, deps: Caseload = Depends(caseload),
                       principal: StaffPrincipal = Depends(require_staff())) -> list[dict]:
    """Who is waiting, in the order they will be offered (priority with ageing, then time waited)."""
    return await _guard(queries.waiting_list(deps.uow(), programme_id, _viewer(principal)))


@router.get("/v1/reports/offer-declines", tags=["reports"])
async def offer_declines(programme_id: Annotated[str, Query(min_length=1, max_length=100)],
                         since: Annotated[date | None, Query(description="from this day (default: 90 days ago; "
                                                                          "at most a year ago)")] = None,
                         deps: Caseload = Depends(caseload),
                         principal: StaffPrincipal = Depends(require_staff())) -> dict:
    """Why offers were declined, by reason code (null: a note with no code) and by worker, and how many lapsed
    unanswered: the programme's workers at the caller's sites, counts only."""
    with refusals_as_http(REFUSALS):
        first_day = queries.declines_since(since, datetime.now(UTC).date())
    return await _guard(queries.offer_declines(deps.uow(), programme_id, first_day, _viewer(principal)))


class Settings(BaseModel):
    first_contact_working_days: int = Field(default=5, ge=1, le=30)
    offer_timeout_minutes: float = Field(default=2880, gt=0)
    review_weeks: int = Field(default=6, ge=1, le=52)
    budget_weeks: int = Field(default=12, ge=1, le=104)
    budget_sessions: int = Field(default=12, ge=1, le=100)
    follow_up_months: int = Field(default=3, ge=1, le=24)
    ageing_days: float = Field(default=14, gt=0)


@router.get("/v1/programmes/{programme_id}/settings", tags=["settings"])
async def get_settings(programme_id: Annotated[str, Path(min_length=1, max_length=100)], deps: Caseload = Depends(caseload),
                       principal: StaffPrincipal = Depends(require_staff())) -> dict:
    """The programme's settings as caseload applies them (the defaults where none were set)."""
    return await _guard(queries.programme_settings(deps.uow(), programme_id, _viewer(principal)))


@router.put("/v1/programmes/{programme_id}/settings", tags=["settings"])
async def put_settings(programme_id: str, body: Settings, deps: Caseload = Depends(caseload),
                       principal: StaffPrincipal = Depends(require_staff())) -> dict:
    return await _handle(deps, principal, c.SetProgrammeSettings(principal.subject, programme_id, body.model_dump()))


# --- cases ------------------------------------------------------------------------------------------


@router.get("/v1/cases", tags=["cases"])
async def find_cases(referral_id: uuid.UUID | None = Query(default=None),
                     worker_id: uuid.UUID | None = Query(default=None), status_: str | None = Query(default=None,
                                                                                                  alias="status"),
                     deps: Caseload = Depends(caseload), principal: StaffPrincipal = Depends(require_staff())) -> list[dict]:
    return await queries.find_cases(deps.uow(), _viewer(principal), referral_id=referral_id, worker_id=worker_id, status=status_)


@router.get("/v1/cases/{case_id}", tags=["cases"])
async def get_case(case_id: uuid.UUID, deps: Caseload = Depends(caseload),
                   principal: StaffPrincipal = Depends(require_staff())) -> dict:
    return await _guard(queries.case_summary(deps.uow(), case_id, _viewer(principal)))


@router.get("/v1/cases/{case_id}/events", tags=["cases"])
async def case_events(case_id: uuid.UUID, deps: Caseload = Depends(caseload),
                      principal: StaffPrincipal = Depends(require_staff())) -> list[dict]:
    return await _guard(queries.case_events(deps.uow(), case_id, _viewer(principal)))


class NewContact(BaseModel):
    kind: ContactKind
    minutes: int = Field(ge=0, le=24 * 60)
    travel_minutes: int = Field(default=0, ge=0, le=24 * 60)
    successful: StrictBool = Field(default=True, description="false for an attempt that did not reach the person")
    occurred_at: IsoDateTime | None = None
    initiated_by: Literal["worker", "person"] = Field(
        default="worker", description="person: they contacted the service (recorded whatever their contact wishes)")
    note: str | None = Field(default=None, max_length=2000,
                             description="what the worker noted of it: sealed for the person, shown on the timeline")


@router.post("/v1/cases/{case_id}/contacts", tags=["cases"], status_code=201)
async def add_contact(case_id: uuid.UUID, body: NewContact, deps: Caseload = Depends(caseload),
                      principal: StaffPrincipal = Depends(require_staff())) -> dict:
    count = await _guard(_handle(deps, principal, c.RecordContact(
        principal.subject, case_id, kind=body.kind.value, minutes=body.minutes, travel_minutes=body.travel_minutes,
        successful=body.successful, occurred_at=body.occurred_at or datetime.now(UTC),
        initiated_by=body.initiated_by, note=body.note or None)))
    return {"case_id": str(case_id), "contact_count": count}


ContactMethod = Literal["phone", "text", "email", "post", "home_visit"]


class ConsentChange(BaseModel):
    """The person's wishes from now on; a field left out keeps its current value."""

    to_contact: StrictBool | None = Field(default=None, description="false: the service must not contact the person")
    to_data_sharing: StrictBool | None = Field(
        default=None, description="false: nothing about the person individually leaves the scheme")
    do_not_contact_by: list[ContactMethod] | None = Field(default=None, max_length=5)
    preferred_contact: ContactMethod | None = None
    clear_preferred_contact: StrictBool = Field(default=False, description="the person no longer prefers a method")
    reported_by: Literal["person", "representative", "referrer", "staff"] = Field(
        description="who told the service")
    reported_at: IsoDateTime | None = Field(default=None, description="when they told the service (default: now)")


@router.post("/v1/cases/{case_id}/consent", tags=["cases"])
async def change_consent(case_id: uuid.UUID, body: ConsentChange, deps: Caseload = Depends(caseload),
                         principal: StaffPrincipal = Depends(require_staff())) -> dict:
    """Record a change to, or withdrawal of, the person's consent; it goes to the registry (intake) too."""
    return await _guard(_handle(deps, principal, c.ChangeConsent(
        principal.subject, case_id, reported_by=body.reported_by, reported_at=body.reported_at or datetime.now(UTC),
        to_contact=body.to_contact, to_data_sharing=body.to_data_sharing, do_not_contact_by=body.do_not_contact_by,
        preferred_contact=body.preferred_contact, clear_preferred_contact=body.clear_preferred_contact)))


class Goal(BaseModel):
    description: str = Field(min_length=3, max_length=500)


class GoalProgress(BaseModel):
    progress: Literal["not_started", "some_progress", "achieved", "dropped"]


class Signpost(BaseModel):
    destination: str = Field(min_length=2, max_length=300, description="the activity or service")
    category: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, min_length=1, max_length=1000,
                             description="what the worker notes about the person and this signpost (stored sealed)")


class TakeUp(BaseModel):
    taken_up: StrictBool


class UnmetNeed(BaseModel):
    need: str = Field(min_length=2, max_length=300,
                      description="the kind of need nothing local meets (counted in reports: nothing about the person)")
    detail: str | None = Field(default=None, min_length=1, max_length=1000,
                               description="the person's circumstances behind it (stored sealed)")


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


@router.post("/v1/cases/{case_id}/goals", tags=["cases"], status_code=201)
async def add_goal(case_id: uuid.UUID, body: Goal, deps: Caseload = Depends(caseload),
                   principal: StaffPrincipal = Depends(require_staff())) -> dict:
    return await _guard(_handle(deps, principal, c.SetGoal(principal.subject, case_id, body.description)))


@router.post("/v1/cases/{case_id}/goals/{goal_id}/progress", tags=["cases"])
async def goal_progress(case_id: uuid.UUID, goal_id: uuid.UUID, body: GoalProgress, deps: Caseload = Depends(caseload),
                        principal: StaffPrincipal = Depends(require_staff())) -> dict:
    return await _guard(_handle(deps, principal, c.ProgressGoal(principal.subject, case_id, goal_id, body.progress)))


@router.post("/v1/cases/{case_id}/signposts", tags=["cases"], status_code=201)
async def add_signpost(case_id: uuid.UUID, body: Signpost, deps: Caseload = Depends(caseload),
                       principal: StaffPrincipal = Depends(require_staff())) -> dict:
    return await _guard(_handle(deps, principal, c.Signpost(principal.subject, case_id, body.destination, body.category,
                                                             note=body.note)))


@router.post("/v1/cases/{case_id}/signposts/{signpost_id}/take-up", tags=["cases"])
async def signpost_take_up(case_id: uuid.UUID, signpost_id: uuid.UUID, body: TakeUp, deps: Caseload = Depends(caseload),
                           principal: StaffPrincipal = Depends(require_staff())) -> dict:
    return await _guard(_handle(deps, principal, c.RecordTakeUp(principal.subject, case_id, signpost_id, body.taken_up)))


@router.post("/v1/cases/{case_id}/unmet-needs", tags=["cases"], status_code=201)
async def unmet_need(case_id: uuid.UUID, body: UnmetNeed, deps: Caseload = Depends(caseload),
                     principal: StaffPrincipal = Depends(require_staff())) -> dict:
    return await _guard(_handle(deps, principal, c.RecordUnmetNeed(principal.subject, case_id, body.need,
                                                                    detail=body.detail)))


@router.post("/v1/cases/{case_id}/review", tags=["cases"])
async def review(case_id: uuid.UUID, body: Review, deps: Caseload = Depends(caseload),
                 principal: StaffPrincipal = Depends(require_staff())) -> dict:
    return await _guard(_handle(deps, principal, c.ReviewCase(principal.subject, case_id, body.outcome)))


@router.post("/v1/cases/{case_id}/extend", tags=["cases"])
async def extend(case_id: uuid.UUID, body: Extension, deps: Caseload = Depends(caseload),
                 principal: StaffPrincipal = Depends(require_staff())) -> dict:
    return await _guard(_handle(deps, principal, c.ExtendCase(principal.subject, case_id, **body.model_dump())))


@router.post("/v1/cases/{case_id}/hold", tags=["cases"])
async def hold(case_id: uuid.UUID, body: Hold, deps: Caseload = Depends(caseload),
               principal: StaffPrincipal = Depends(require_staff())) -> dict:
    return await _guard(_handle(deps, principal, c.PutOnHold(principal.subject, case_id, body.reason)))


@router.post("/v1/cases/{case_id}/resume", tags=["cases"])
async def resume(case_id: uuid.UUID, deps: Caseload = Depends(caseload),
                 principal: StaffPrincipal = Depends(require_staff())) -> dict:
    return await _guard(_handle(deps, principal, c.ResumeCase(principal.subject, case_id)))


@router.post("/v1/cases/{case_id}/transfer", tags=["cases"])
async def transfer(case_id: uuid.UUID, body: Transfer, deps: Caseload = Depends(caseload),
                   principal: StaffPrincipal = Depends(require_staff())) -> dict:
    return await _guard(_handle(deps, principal, c.TransferCase(principal.subject, case_id, body.to_worker_id, body.reason)))


@router.post("/v1/cases/{case_id}/measures", tags=["cases"], status_code=201)
async def add_measure(case_id: uuid.UUID, body: MeasureResponse, deps: Caseload = Depends(caseload),
                      principal: StaffPrincipal = Depends(require_staff())) -> dict:
    if (body.items is None) == (body.not_collected_reason is None):
        raise HTTPException(422, detail="give either the item responses or why the measure was not collected")
    return await _guard(_handle(deps, principal, c.RecordMeasure(principal.subject, case_id, body)))


class Closure(BaseModel):
    reason: ClosureReason
    measures: list[MeasureResponse] = Field(default_factory=list)


@router.post("/v1/cases/{case_id}/close", tags=["cases"])
async def close_case(case_id: uuid.UUID, body: Closure, deps: Caseload = Depends(caseload),
                     principal: StaffPrincipal = Depends(require_staff())) -> dict:
    return await _guard(_handle(deps, principal, c.CloseCase(principal.subject, case_id, body.reason, body.measures)))


def _unit_of_work(deps: Caseload = Depends(caseload)) -> CaseloadUnitOfWork:
    return deps.uow()


# Who opened or wrote whose sealed notes (shared/platform/audit_http.py): for admin and auditor.
router.include_router(audit_trail_router(_unit_of_work))
