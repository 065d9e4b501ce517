"""GET /v1/referral-search: coordinators find a referral by what they know of it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from services.intake.bootstrap import Intake
from services.intake.domain import search as s
from services.intake.domain.status import ReferralStatus
from services.intake.entrypoints.dependencies import intake
from services.intake.service_layer.errors import Forbidden
from services.intake.service_layer.search import search_referrals
from services.intake.entrypoints.registry import reader_of
from shared.platform.auth import StaffPrincipal, require_staff
from shared.platform.http import refusals_as_http
from shared.platform.openapi import errors

router = APIRouter(responses=errors(401, 403, 422))


class FoundReferral(BaseModel):
    referral_id: str
    reference: str | None
    partner_id: str
    programme_id: str
    status: str
    status_in_words: str
    received_at: datetime
    given_name: str | None
    family_name: str | None
    preferred_name: str | None
    matched_by: Literal["name", "sounds_like"] | None = Field(
        description='how a name search found it: "name", the name exactly (ignoring case and accents); '
                    '"sounds_like", every word searched for sounds like one of the person\'s name words, so '
                    'check the other details before acting on it. null when no name was searched for.')


class SearchResults(BaseModel):
    results: list[FoundReferral]
    offset: int
    limit: int
    more: bool


@router.get("/v1/referral-search", tags=["registry"])
async def referral_search(
    reference: str | None = Query(default=None, max_length=s.REFERENCE_MAX,
                                  description="the partner's reference, a self-referral reference, or the referral id"),
    name: str | None = Query(default=None, max_length=s.NAME_MAX,
                             description="given, family, preferred or full name: exact (ignoring case and accents) "
                                         "or sounding alike, word by word"),
    nhs_number: str | None = Query(default=None, max_length=s.NHS_NUMBER_MAX),
    postcode: str | None = Query(default=None, max_length=s.POSTCODE_MAX),
    partner_id: str | None = Query(default=None, max_length=s.PARTNER_MAX),
    status_: ReferralStatus | None = Query(default=None, alias="status"),
    limit: int = Query(default=s.PAGE_SIZE_DEFAULT, ge=1, le=s.PAGE_SIZE_MAX),
    offset: int = Query(default=0, ge=0, le=s.OFFSET_MAX),
    deps: Intake = Depends(intake), principal: StaffPrincipal = Depends(require_staff()),
) -> SearchResults:
    """Referrals in the caller's programmes matching every term given (at least one), newest first, with the
    person's name and the status in plain words. Name, NHS number and postcode are found by keyed blind
    indexes, so only an exact match of the normalised value finds a referral, except that a name also finds
    referrals whose name words sound like every word typed ("Jon Smyth" finds John Smith): those come after
    the exact matches, each marked `matched_by: "sounds_like"`. Each referral shown is recorded in the audit
    trail as read for "referral search"; the terms searched for are not."""
    try:
        search = s.ReferralSearch.parse(reference=reference, name=name, nhs_number=nhs_number, postcode=postcode,
                                        partner_id=partner_id, status=status_.value if status_ else None,
                                        limit=limit, offset=offset)
    except s.InvalidSearch as invalid:
        # Said as FastAPI says any other bad query parameter: each field named, its value never echoed.
        raise RequestValidationError([{"loc": ("query", p["field"]) if p["field"] else ("query",), "msg": p["problem"],
                                       "type": "value_error"} for p in invalid.problems]) from None
    with refusals_as_http({Forbidden: status.HTTP_403_FORBIDDEN}):
        return SearchResults(**await search_referrals(deps.uow(), search, reader_of(principal)))
