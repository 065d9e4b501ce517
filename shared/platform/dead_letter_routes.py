"""Every service's dead letters over HTTP: list, show, read the payload, replay one or all, discard.

Operators (and admins) list, replay and discard; reading a record's payload, which can hold a person's
details, is an admin's alone and is written to the dead letter's actions log (shared/platform/policy.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from shared.platform.auth import StaffPrincipal, require_staff
from shared.platform.openapi import errors
from shared.platform.messaging.dead_letter_archive import DeadLetterArchive, NotFound, Refused

Status = Literal["dead", "replayed", "discarded"]


class DeadLetterSummary(BaseModel):
    id: uuid.UUID
    consumer_group: str
    topic: str
    event_id: str | None
    event_type: str | None
    reason: str
    error_type: str
    attempts: int
    failed_at: datetime
    status: Status
    replays: int
    last_replayed_at: datetime | None


class Action(BaseModel):
    action: str
    actor: str
    note: str | None
    at: datetime


class DeadLetterDetail(DeadLetterSummary):
    partition: int
    offset: int
    message_key: str | None
    headers: list[str] = Field(description="the record's header names (credentials were redacted)")
    discard_reason: str | None
    history: list[Action]


class ReplayAll(BaseModel):
    model_config = ConfigDict(extra="forbid")
    consumer_group: str | None = Field(default=None, max_length=200, description="only this group's; none: all")


class Discard(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=500, description="why it will never be replayed; no personal data")


class ReplayResult(BaseModel):
    id: uuid.UUID
    topic: str
    replays: int


class Payload(BaseModel):
    id: uuid.UUID
    payload: Any


def _archive(request: Request) -> DeadLetterArchive:
    ctx = getattr(request.app.state, "ctx", None)
    if ctx is None or ctx.dead_letters is None:
        raise HTTPException(503, detail="the service is starting")
    return ctx.dead_letters


def _not_found(exc: NotFound) -> HTTPException:
    return HTTPException(404, detail=str(exc))


def dead_letter_router() -> APIRouter:
    router = APIRouter(prefix="/v1/dead-letters", tags=["dead letters"], responses=errors(401, 403, 422))

    @router.get("", response_model=list[DeadLetterSummary])
    async def list_dead_letters(request: Request, status: Status | Literal["all"] = "dead",
                                consumer_group: str | None = Query(default=None, max_length=200),
                                limit: int = Query(default=100, ge=1, le=1000),
                                _: StaffPrincipal = Depends(require_staff())) -> list[dict]:
        """This service's dead letters, oldest first (by default those still waiting: status=dead)."""
        return await _archive(request).find(status=None if status == "all" else status, consumer_group=consumer_group, limit=limit)

    @router.get("/{dead_letter_id}", response_model=DeadLetterDetail, responses=errors(404))
    async def show_dead_letter(request: Request, dead_letter_id: uuid.UUID,
                               _: StaffPrincipal = Depends(require_staff())) -> dict:
        """What failed, where it came from and what was done about it; not the payload."""
        try:
            return await _archive(request).show(dead_letter_id)
        except NotFound as exc:
            raise _not_found(exc) from None

    @router.get("/{dead_letter_id}/payload", response_model=Payload, responses=errors(404))
    async def read_dead_letter_payload(request: Request, dead_letter_id: uuid.UUID,
                                       principal: StaffPrincipal = Depends(require_staff())) -> Payload:
        """The record's value (it may name a person): an admin's, and every read is logged."""
        try:
            return Payload(id=dead_letter_id,
                           payload=await _archive(request).payload(dead_letter_id, principal.subject))
        except NotFound as exc:
            raise _not_found(exc) from None

    @router.post("/{dead_letter_id}/replay", response_model=ReplayResult, responses=errors(404, 409))
    async def replay_dead_letter(request: Request, dead_letter_id: uuid.UUID,
                                 principal: StaffPrincipal = Depends(require_staff())) -> ReplayResult:
        """Publish the record again to its topic; the consumer's inbox applies it at most once.

        A partner's submission is handled again in process, as the partner it was authenticated as (its API
        key was never kept): 409 when it never was authenticated, or when it fails again, saying why."""
        try:
            r = await _archive(request).replay(request.app.state.ctx.producer, dead_letter_id, principal.subject)
        except NotFound as exc:
            raise _not_found(exc) from None
        except Refused as exc:
            raise HTTPException(409, detail=str(exc)) from None
        return ReplayResult(id=r.id, topic=r.topic, replays=r.replays)

    @router.post("/{dead_letter_id}/discard", status_code=204, responses=errors(404))
    async def discard_dead_letter(request: Request, dead_letter_id: uuid.UUID, body: Discard,
                                  principal: StaffPrincipal = Depends(require_staff())) -> None:
        """Give up on a dead letter, saying why; it is kept, marked discarded, and never replayed."""
        try:
            await _archive(request).discard(dead_letter_id, principal.subject, body.reason)
        except NotFound as exc:
            raise _not_found(exc) from None

    return router


def dead_letter_replays_router() -> APIRouter:
    # Replaying every waiting letter is a resource of its own, not /v1/dead-letters/replay, so that path is
    # never taken for a dead letter's id (GET /v1/dead-letters/replay would be a 422 for a bad id).
    router = APIRouter(prefix="/v1/dead-letter-replays", tags=["dead letters"], responses=errors(401, 403, 422))

    @router.post("", response_model=list[ReplayResult], responses=errors(400))
    async def replay_dead_letters(request: Request, body: ReplayAll,
                                  principal: StaffPrincipal = Depends(require_staff())) -> list[ReplayResult]:
        """Replay every dead letter still waiting (of one consumer group if named), once its cause is mended.

        Lists those replayed: one refused or failed again stays waiting, with why in its history."""
        archive, producer = _archive(request), request.app.state.ctx.producer
        replayed = await archive.replay_all(producer, principal.subject, consumer_group=body.consumer_group)
        return [ReplayResult(id=r.id, topic=r.topic, replays=r.replays) for r in replayed]

    return router
