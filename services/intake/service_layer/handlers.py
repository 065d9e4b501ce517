"""Intake use cases."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from services.intake.adapters.repository import Partner, StoredReferral
from services.intake.domain import api_keys
from services.intake.domain.status import TRIAGE_STATUS, ReferralStatus
from services.intake.domain.submission import ReferralSubmission, age_on
from services.intake.service_layer.unit_of_work import IntakeUnitOfWork
from shared.schemas import topics
from shared.schemas.envelope import Envelope
from shared.schemas.events.case import CaseAssigned, CaseClosed, CaseWaitlisted
from shared.schemas.events.common import ReferralSource
from shared.schemas.events.referral import Consent, PersonDetails, ReferralReceived
from shared.schemas.events.triage import TriageDecided

CONSUMER_TRIAGE = topics.consumer_group("intake", topics.TRIAGE_DECISIONS)
CONSUMER_CASES = topics.consumer_group("intake", topics.CASES)


class SubmissionRejected(Exception):
    def __init__(self, status: int, title: str, errors: list[dict[str, str]]) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.errors = errors


@dataclass(frozen=True)
class SubmissionResult:
    referral: StoredReferral
    created: bool


async def submit_referral(
    uow_factory,
    *,
    partner: Partner,
    body: bytes,
    channel: str,
    idempotency_key: str | None,
    correlation_id: uuid.UUID,
) -> SubmissionResult:
    """Validate and store a partner's referral; a retry of the same referral returns the first one."""
    submission_id = uuid.uuid4()
    try:
        submission = ReferralSubmission.model_validate_json(body)
    except ValidationError as exc:
        errors = validation_errors(exc)
        await _store_rejected(uow_factory, submission_id, partner.id, channel, body, errors, correlation_id)
        raise SubmissionRejected(422, "The referral is not valid", errors) from None
    if submission.programme_id not in partner.allowed_programmes:
        errors = [{"field": "programme_id", "problem": "this partner may not refer to that programme"}]
        await _store_rejected(uow_factory, submission_id, partner.id, channel, body, errors, correlation_id)
        raise SubmissionRejected(403, "Programme not allowed for this partner", errors)

    reference = submission.partner_referral_id or idempotency_key
    for _ in range(2):  # a concurrent retry may win the unique constraint; then we return its referral
        try:
            async with uow_factory() as uow:
                if reference is not None:
                    existing = await uow.referrals.by_partner_reference(partner.id, reference)
                    if existing is not None:
                        await uow.referrals.record_submission(
                            submission_id=submission_id, partner_id=partner.id, channel=channel, body=body,
                            outcome="retry_of_existing", errors=None, referral_id=existing.id,
                            correlation_id=correlation_id,
                        )
                        await uow.commit()
                        return SubmissionResult(existing, created=False)
                referral = await _open_referral(uow, partner, submission, reference, correlation_id)
                await uow.referrals.record_submission(
                    submission_id=submission_id, partner_id=partner.id, channel=channel, body=body,
                    outcome="accepted", errors=None, referral_id=referral.id, correlation_id=correlation_id,
                )
                await uow.commit()
                return SubmissionResult(referral, created=True)
        except IntegrityError:
            continue
    raise RuntimeError("could not store referral after a concurrent retry")


async def _open_referral(
    uow: IntakeUnitOfWork,
    partner: Partner,
    submission: ReferralSubmission,
    reference: str | None,
    correlation_id: uuid.UUID,
) -> StoredReferral:
    now = datetime.now(UTC)
    person = submission.person
    details = PersonDetails(
        given_name=person.given_name,
        family_name=person.family_name,
        date_of_birth=person.date_of_birth,
        age_years=age_on(now.date(), person.date_of_birth, person.age_years),
        postcode=person.postcode,
        phone=person.phone,
        email=person.email,
    )
    referral = StoredReferral(
        id=uuid.uuid4(),
        person_id=uuid.uuid4(),  # person matching across referrals arrives with the intake issue
        partner_id=partner.id,
        partner_referral_id=reference,
        programme_id=submission.programme_id,
        status=ReferralStatus.RECEIVED,
        received_at=now,
        correlation_id=correlation_id,
    )
    await uow.referrals.add(referral, details.model_dump(mode="json"))
    await uow.referrals.add_to_timeline(referral.id, ReferralStatus.RECEIVED, now, None, None)
    await uow.emit(
        ReferralReceived(
            referral_id=referral.id,
            person_id=referral.person_id,
            programme_id=referral.programme_id,
            partner_id=partner.id,
            partner_referral_id=reference,
            source=ReferralSource(**submission.source.model_dump()),
            person=details,
            consent=Consent(**submission.consent.model_dump()),
            needs=submission.needs,
            risk_flags=submission.risk_flags,
            received_at=now,
        ),
        topic=topics.REFERRALS,
        subject=str(referral.id),
        correlation_id=correlation_id,
    )
    return referral


async def _store_rejected(uow_factory, submission_id, partner_id, channel, body, errors, correlation_id) -> None:
    async with uow_factory() as uow:
        await uow.referrals.record_submission(
            submission_id=submission_id, partner_id=partner_id, channel=channel, body=body,
            outcome="rejected", errors=errors, referral_id=None, correlation_id=correlation_id,
        )
        await uow.commit()


def validation_errors(exc: ValidationError) -> list[dict[str, str]]:
    return [{"field": ".".join(str(p) for p in e["loc"]) or "<body>", "problem": e["msg"]} for e in exc.errors()]


# --- partners and keys ---------------------------------------------------------------


async def register_partner(uow_factory, partner: Partner) -> None:
    async with uow_factory() as uow:
        await uow.partners.add(partner)
        await uow.commit()


async def issue_partner_key(uow_factory, partner_id: str) -> str | None:
    async with uow_factory() as uow:
        if await uow.partners.get(partner_id) is None:
            return None
        issued = api_keys.issue_key()
        await uow.partners.add_key(partner_id, issued.key_id, issued.secret_hash)
        await uow.commit()
        return issued.plaintext


async def authenticate_partner(uow_factory, plaintext: str) -> Partner | None:
    parts = api_keys.split_key(plaintext)
    if parts is None:
        return None
    key_id, secret = parts
    async with uow_factory() as uow:
        found = await uow.partners.key(key_id)
        if found is None or not api_keys.secret_matches(secret, found[1]):
            return None
        return await uow.partners.get(found[0])


async def referral_for_partner(uow_factory, partner: Partner, referral_id: uuid.UUID) -> dict[str, Any] | None:
    async with uow_factory() as uow:
        referral = await uow.referrals.get(referral_id)
        if referral is None or referral.partner_id != partner.id:
            return None  # a referrer sees its own referrals only
        return {
            "referral_id": referral.id,
            "partner_referral_id": referral.partner_referral_id,
            "programme_id": referral.programme_id,
            "status": referral.status,
            "received_at": referral.received_at,
            "timeline": await uow.referrals.timeline(referral.id),
        }


# --- the closed loop: status from other services' events ---------------------------


async def on_triage_decided(uow_factory, envelope: Envelope, decision: TriageDecided) -> None:
    status = TRIAGE_STATUS[decision.decision]
    await _advance(uow_factory, CONSUMER_TRIAGE, envelope, decision.referral_id, status, decision.reason_code,
                   decision.decided_at)


async def on_case_event(uow_factory, envelope: Envelope, event: CaseAssigned | CaseWaitlisted | CaseClosed) -> None:
    if isinstance(event, CaseAssigned):
        status, reason, at = ReferralStatus.ASSIGNED, None, event.assigned_at
    elif isinstance(event, CaseWaitlisted):
        status, reason, at = ReferralStatus.WAITING, None, event.waitlisted_at
    else:
        status, reason, at = ReferralStatus.CLOSED, event.reason.value, event.closed_at
    await _advance(uow_factory, CONSUMER_CASES, envelope, event.referral_id, status, reason, at)


async def _advance(uow_factory, consumer, envelope, referral_id, status, reason, at) -> None:
    async with uow_factory() as uow:
        if not await uow.first_delivery(consumer, envelope):
            return
        referral = await uow.referrals.get(referral_id, for_update=True)
        if referral is None:
            from shared.platform.messaging.consumer import PermanentFailure

            raise PermanentFailure(f"unknown referral {referral_id}")
        # Decisions and case events travel on different topics and may arrive out of
        # order; the status is that of the latest event by its own time.
        latest = await uow.referrals.latest_event_time(referral_id)
        await uow.referrals.add_to_timeline(referral_id, status, at, reason, envelope.id)
        if latest is None or at >= latest:
            await uow.referrals.set_status(referral_id, status)
        await uow.commit()
