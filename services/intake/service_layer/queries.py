"""What referrers, staff and self-referrers read from intake."""

from __future__ import annotations

import uuid
from typing import Any

from services.intake.domain import api_keys
from services.intake.domain.partner import Partner
from services.intake.domain.referral import Referral
from services.intake.domain.status import FOR_REFERRER, ReferralStatus
from services.intake.service_layer import sealed
from services.intake.service_layer.referrals import told_of
from services.intake.service_layer.unit_of_work import IntakeUnitOfWork


async def authenticate_partner(uow: IntakeUnitOfWork, plaintext: str) -> Partner | None:
    parts = api_keys.split_key(plaintext)
    if parts is None:
        return None
    key_id, secret = parts
    async with uow:
        found = await uow.partners.key(key_id)
        if found is None or not api_keys.secret_matches(secret, found[1]):
            return None
        return await uow.partners.get(found[0])


async def referral_for_partner(uow: IntakeUnitOfWork, partner: Partner, referral_id: uuid.UUID) -> dict[str, Any] | None:
    """Status and timeline, for the referrer's own referrals only, and nothing of the casework."""
    async with uow:
        referral = await uow.referrals.get(referral_id)
        if referral is None or referral.partner_id != partner.id:
            return None
        return await _view(uow, referral)


async def referral_by_partner_reference(uow: IntakeUnitOfWork, partner: Partner, reference: str) -> dict[str, Any] | None:
    async with uow:
        referral = await uow.referrals.by_partner_reference(partner.id, reference)
        return await _view(uow, referral) if referral else None


async def partner(uow: IntakeUnitOfWork, partner_id: str | None) -> Partner | None:
    """The partner a signed-in referrer works for."""
    if not partner_id:
        return None
    async with uow:
        return await uow.partners.get(partner_id)


async def referrals_for_partner(uow: IntakeUnitOfWork, partner: Partner, limit: int) -> list[dict[str, Any]]:
    """The partner's latest referrals with their status in plain words: nothing of the person or casework."""
    async with uow:
        found = await uow.referrals.for_partner(partner.id, limit)
    return [{"referral_id": r.id, "partner_referral_id": r.partner_referral_id, "programme_id": r.programme_id,
             "channel": r.channel, "status": r.status, "status_in_words": FOR_REFERRER[ReferralStatus(r.status)],
             "received_at": r.received_at} for r in found]


async def _view(uow: IntakeUnitOfWork, referral: Referral) -> dict[str, Any]:
    return {
        "referral_id": referral.id,
        "partner_referral_id": referral.partner_referral_id,
        "programme_id": referral.programme_id,
        "channel": referral.channel,
        "status": referral.status,
        "status_in_words": FOR_REFERRER[ReferralStatus(referral.status)],
        "received_at": referral.received_at,
        "linked_to_referral_id": await told_of(uow, referral, referral.duplicate_of),
        "previous_referral_id": await told_of(uow, referral, referral.previous_referral_id),
        "timeline": _told(referral, await uow.referrals.timeline(referral.id)),
    }


def _told(referral: Referral, timeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Without consent to data sharing, the referrer follows the status only: no reasons (closure, decline, wait)."""
    return timeline if referral.shares_data else [{**step, "reason": None} for step in timeline]


async def programme(uow: IntakeUnitOfWork, programme_id: str) -> dict[str, Any] | None:
    async with uow:
        return await uow.programmes.get(programme_id)


async def csv_mapping(uow: IntakeUnitOfWork, partner_id: str) -> dict[str, Any] | None:
    async with uow:
        return await uow.partners.csv_mapping(partner_id)


async def match_reviews(uow: IntakeUnitOfWork, programmes: frozenset[str] | None = None) -> list[dict[str, Any]]:
    """Uncertain person matches, oldest first, for a person to decide: each with the programme its referral
    is to, and only those of `programmes` for a coordinator who works in some (None: every programme)."""
    async with uow:
        reviews = []
        for review in await uow.persons.reviews("open"):
            referral = await uow.referrals.get(review["referral_id"])
            programme = referral.programme_id if referral else None
            if programmes is None or programme in programmes:
                reviews.append({**review, "programme_id": programme})
        return reviews


async def self_referral_status(uow: IntakeUnitOfWork, reference: str, postcode: str) -> ReferralStatus | None:
    """A self-referrer's status, only for the reference given together with the person's own postcode."""
    async with uow:
        found = await uow.referrals.by_self_reference(reference.strip().upper())
        person = await sealed.open_json(uow.sealer, found[1], context=sealed.PERSON) if found else None
    person_postcode = ((person or {}).get("postcode") or "") if found else ""
    if found and person_postcode and person_postcode.replace(" ", "") == postcode.upper().replace(" ", ""):
        return ReferralStatus(found[0].status)
    return None
