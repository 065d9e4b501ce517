"""Accepting a referral from any channel: validate, store the raw submission, match the person,
link duplicates and re-referrals, open the referral and tell everyone (via the outbox)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from services.intake.domain.records import StoredReferral
from services.intake.domain import matching, normalise
from services.intake.domain.status import OPEN_STATUSES, ReferralStatus
from services.intake.domain.submission import ReferralSubmission, age_on
from services.intake.service_layer import status as status_updates
from services.intake.service_layer.unit_of_work import IntakeUnitOfWork
from shared.schemas import topics
from shared.schemas.events.common import ReferralSource
from shared.schemas.events.referral import (
    Address,
    Consent,
    PersonDetails,
    PersonMatch,
    ReferralProfile,
    ReferralReceived,
    Referrer,
    TriggerGroupEntry,
)


class SubmissionRejected(Exception):
    def __init__(self, status: int, title: str, errors: list[dict[str, str]]) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.errors = errors


@dataclass(frozen=True)
class Outcome:
    referral: StoredReferral
    created: bool
    duplicate_of: uuid.UUID | None = None
    previous_referral_id: uuid.UUID | None = None
    match: matching.MatchResult | None = None


def validation_errors(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    return [
        {"field": prefix + (".".join(str(p) for p in e["loc"]) or "<body>"), "problem": e["msg"]}
        for e in exc.errors(include_input=False)
    ]


async def store_rejected(uow_factory, *, partner_id, channel, body, errors, correlation_id) -> uuid.UUID:
    submission_id = uuid.uuid4()
    async with uow_factory() as uow:
        await uow.referrals.record_submission(
            submission_id=submission_id, partner_id=partner_id, channel=channel, body=body,
            outcome="rejected", errors=errors, referral_id=None, correlation_id=correlation_id,
        )
        await uow.commit()
    return submission_id


async def submit(
    uow_factory,
    *,
    partner_id: str,
    allowed_programmes: tuple[str, ...] | None,
    channel: str,
    body: bytes,
    data: dict[str, Any] | None = None,
    reference: str | None = None,
    correlation_id: uuid.UUID,
    outreach_contact_id: uuid.UUID | None = None,
) -> Outcome:
    """Validate `data` (or the JSON `body`) and accept it; the raw body is stored whatever happens."""
    try:
        submission = (
            ReferralSubmission.model_validate(data) if data is not None else ReferralSubmission.model_validate_json(body)
        )
    except ValidationError as exc:
        errors = validation_errors(exc)
        await store_rejected(uow_factory, partner_id=partner_id, channel=channel, body=body, errors=errors,
                             correlation_id=correlation_id)
        raise SubmissionRejected(422, "The referral is not valid", errors) from None
    if allowed_programmes is not None and submission.programme_id not in allowed_programmes:
        errors = [{"field": "programme_id", "problem": "this referrer may not refer to that programme"}]
        await store_rejected(uow_factory, partner_id=partner_id, channel=channel, body=body, errors=errors,
                             correlation_id=correlation_id)
        raise SubmissionRejected(403, "Programme not allowed for this referrer", errors)
    reference = submission.partner_referral_id or reference
    for _ in range(3):  # a concurrent retry or twin may win a unique constraint; then look again
        try:
            async with uow_factory() as uow:
                outcome = await _accept(uow, partner_id, channel, submission, reference, correlation_id)
                await uow.referrals.record_submission(
                    submission_id=uuid.uuid4(), partner_id=partner_id, channel=channel, body=body,
                    outcome="accepted" if outcome.created else "retry_of_existing", errors=None,
                    referral_id=outcome.referral.id, correlation_id=correlation_id,
                )
                if outreach_contact_id is not None:
                    await uow.referrals.link_outreach(outreach_contact_id, outcome.referral.id)
                await uow.commit()
                return outcome
        except IntegrityError:
            continue
    raise RuntimeError("could not store the referral after concurrent conflicts")


async def _accept(
    uow: IntakeUnitOfWork,
    partner_id: str,
    channel: str,
    submission: ReferralSubmission,
    reference: str | None,
    correlation_id: uuid.UUID,
) -> Outcome:
    if reference is not None:
        existing = await uow.referrals.by_partner_reference(partner_id, reference)
        if existing is not None:
            return Outcome(existing, created=False, duplicate_of=existing.duplicate_of)

    now = datetime.now(UTC)
    person = submission.person
    key = matching.key_for(person.given_name, person.family_name, person.date_of_birth, person.postcode,
                           person.nhs_number)
    result = matching.match(key, await uow.persons.candidates(key))
    if result.kind == "same":
        person_id = result.person_id
        await uow.persons.fill_in(person_id, key)
    else:
        person_id = uuid.uuid4()
        await uow.persons.add(person_id, key)

    duplicate_of = previous = None
    if result.kind == "same":
        earlier = await uow.referrals.for_person(person_id, submission.programme_id)
        open_ones = [r for r in earlier if r.status in OPEN_STATUSES and r.duplicate_of is None]
        if open_ones:
            duplicate_of = open_ones[0].id
        elif earlier:
            previous = earlier[-1].id

    referral = StoredReferral(
        id=uuid.uuid4(),
        person_id=person_id,
        partner_id=partner_id,
        partner_referral_id=reference,
        programme_id=submission.programme_id,
        status=ReferralStatus.DUPLICATE if duplicate_of else ReferralStatus.RECEIVED,
        received_at=now,
        correlation_id=correlation_id,
        channel=channel,
        duplicate_of=duplicate_of,
        previous_referral_id=previous,
        self_reference=_self_reference() if partner_id in status_updates.SYSTEM_PARTNERS else None,
    )
    details = _person_details(submission, now)
    await uow.referrals.add(referral, details.model_dump(mode="json"), result.method, result.confidence)
    if result.kind == "uncertain":
        await uow.persons.open_review(referral.id, person_id, result)

    if duplicate_of is not None:
        # Linked to the open referral instead of opening a second case; the referrer is told.
        await status_updates.record(uow, referral, ReferralStatus.DUPLICATE, now,
                                    reason="linked to an open referral for the same person",
                                    linked_referral_id=duplicate_of)
        return Outcome(referral, created=True, duplicate_of=duplicate_of, match=result)

    await status_updates.record(uow, referral, ReferralStatus.RECEIVED, now)
    await uow.emit(
        ReferralReceived(
            referral_id=referral.id,
            person_id=person_id,
            programme_id=referral.programme_id,
            partner_id=partner_id,
            partner_referral_id=reference,
            source=ReferralSource(category=submission.referrer.source_category,
                                  subcategory=submission.referrer.source_subcategory),
            person=details,
            consent=Consent(**submission.consent.model_dump()),
            needs=submission.needs,
            risk_flags=[f.value for f in submission.risk_flags],
            received_at=now,
            channel=channel,
            profile=_profile(submission),
            referrer=Referrer(**submission.referrer.model_dump(
                include={"organisation", "organisation_code", "person_name", "phone", "email"})),
            reason=submission.reason,
            previous_referral_id=previous,
            person_match=PersonMatch(method=result.method, confidence=result.confidence,
                                     needs_review=result.kind == "uncertain"),
        ),
        topic=topics.REFERRALS,
        subject=str(referral.id),
        correlation_id=correlation_id,
    )
    return Outcome(referral, created=True, previous_referral_id=previous, match=result)


def _self_reference() -> str:
    # Short, unambiguous (no 0/O, 1/I) reference a person can read out on the phone.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


def _person_details(submission: ReferralSubmission, now: datetime) -> PersonDetails:
    p = submission.person
    return PersonDetails(
        given_name=p.given_name,
        family_name=p.family_name,
        preferred_name=p.preferred_name,
        date_of_birth=p.date_of_birth,
        age_years=age_on(now.date(), p.date_of_birth, p.age_years),
        nhs_number=p.nhs_number,
        postcode=p.postcode,
        phone=p.phone,
        email=p.email,
        address=Address(**p.address.model_dump()) if p.address else None,
        safe_contact_instructions=submission.contact_preferences.safe_contact_instructions,
        concerns=submission.concerns,
    )


def _profile(submission: ReferralSubmission) -> ReferralProfile:
    p = submission.person
    prefs = submission.contact_preferences
    return ReferralProfile(
        gender=p.gender.value if p.gender else None,
        ethnicity=p.ethnicity,
        language=p.language,
        interpreter_needed=p.interpreter_needed,
        postcode_district=normalise.postcode_district(p.postcode) if p.postcode else None,
        postcode_sector=normalise.postcode_sector(p.postcode) if p.postcode else None,
        living_situation=submission.living_situation.value if submission.living_situation else None,
        carer_status=submission.carer_status.value if submission.carer_status else None,
        mobility=submission.mobility.value if submission.mobility else None,
        trigger_groups_status=submission.trigger_groups.status,
        trigger_groups=[TriggerGroupEntry(group=g.group.value, qualifying_date=g.qualifying_date)
                        for g in submission.trigger_groups.groups],
        preferred_contact=prefs.preferred.value if prefs.preferred else None,
        do_not_contact_by=[m.value for m in prefs.do_not_contact_by],
        worker_gender_preference=prefs.worker_gender,
        ward=p.address.ward if p.address else None,
        local_authority=p.address.local_authority if p.address else None,
    )
