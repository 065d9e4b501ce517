"""Accepting a referral from any channel: validate, store the raw submission, file it under a
person, link duplicates and re-referrals, open the referral and tell everyone (via the outbox)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from services.intake.domain import matching, received, search
from services.intake.domain.contact_record import contact_record
from services.intake.domain.person import Person
from services.intake.domain.referral import (
    KNOWN_TO_THE_SERVICE,
    LINKED_TO_YOUR_OPEN_REFERRAL,
    Referral,
    consent_of,
    digest_of,
    reference_problem,
)
from services.intake.domain.status import ReferralStatus
from services.intake.domain.submission import ReferralSubmission
from services.intake.service_layer import commands as c
from services.intake.service_layer import sealed
from services.intake.service_layer import status as status_updates
from services.intake.service_layer.errors import (
    InvalidReference,
    InvalidSubmission,
    ProgrammeNotAllowed,
    ReferenceReused,
    UnknownProgramme,
)
from services.intake.service_layer.unit_of_work import IntakeUnitOfWork
from shared.platform.uow import Conflict
from shared.schemas import topics

ATTEMPTS = 3  # a concurrent retry or twin may win a unique key; then look again


@dataclass(frozen=True)
class Outcome:
    """What became of a submission. `duplicate_of` is the scheme's own link; `linked_to_referral_id` and
    `previous_referral_id` are what the referrer may be told: only referrals of its own."""

    referral: Referral
    created: bool
    duplicate_of: uuid.UUID | None = None
    linked_to_referral_id: uuid.UUID | None = None
    previous_referral_id: uuid.UUID | None = None
    match: matching.MatchResult | None = None


async def told_of(uow: IntakeUnitOfWork, referral: Referral, other_id: uuid.UUID | None) -> uuid.UUID | None:
    """`other_id` if the referral's own referrer made that referral too, else None."""
    if other_id is None:
        return None
    return referral.may_name(other_id, await uow.referrals.partner_of(other_id))


def validation_errors(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    return [
        {"field": prefix + (".".join(str(p) for p in e["loc"]) or "<body>"), "problem": e["msg"]}
        for e in exc.errors(include_input=False)
    ]


async def keep_submission(uow: IntakeUnitOfWork, cmd: c.SubmitReferral | c.RecordRejectedSubmission, *,
                          submission_id: uuid.UUID, outcome: str, errors: list[dict[str, str]] | None,
                          referral_id: uuid.UUID | None) -> None:
    """The body as sent, sealed under a key of the submission's own (destroyed with the person, or when a
    rejected one has been kept long enough)."""
    body = await sealed.seal_bytes(uow.sealer, submission_id, cmd.body, context=sealed.SUBMISSION)
    await uow.referrals.record_submission(
        submission_id=submission_id, partner_id=cmd.partner_id, channel=cmd.channel, body=body, outcome=outcome,
        errors=errors, referral_id=referral_id, correlation_id=cmd.correlation_id, batch_id=cmd.batch_id)


async def seal_dead_letter(uow: IntakeUnitOfWork, submission_id: uuid.UUID, value: bytes) -> bytes:
    """A partner's record as parked on our dead-letter topic: sealed under the key of the submission kept for
    it, so the copy on the topic goes when that key does."""
    async with uow:
        parked = await sealed.seal_bytes(uow.sealer, submission_id, value, context=sealed.DEAD_LETTER)
        await uow.commit()
    return parked


async def record_rejected(cmd: c.RecordRejectedSubmission, uow: IntakeUnitOfWork) -> uuid.UUID:
    submission_id = cmd.submission_id or uuid.uuid4()
    async with uow:
        await keep_submission(uow, cmd, submission_id=submission_id, outcome="rejected", errors=cmd.errors,
                              referral_id=None)
        await uow.commit()
    return submission_id


async def _reject(uow: IntakeUnitOfWork, cmd: c.SubmitReferral, errors: list[dict[str, str]],
                  outcome: str = "rejected") -> None:
    async with uow:
        await keep_submission(uow, cmd, submission_id=cmd.submission_id or uuid.uuid4(), outcome=outcome,
                              errors=errors, referral_id=None)
        await uow.commit()


async def submit(cmd: c.SubmitReferral, uow: IntakeUnitOfWork) -> Outcome:
    """Validate and accept the referral; the raw body is stored whatever happens."""
    if cmd.reference is not None and (problem := reference_problem(cmd.reference)):
        rejected = InvalidReference(cmd.reference_field, problem)
        await _reject(uow, cmd, rejected.errors)
        raise rejected
    try:
        submission = (ReferralSubmission.model_validate(cmd.data) if cmd.data is not None
                      else ReferralSubmission.model_validate_json(cmd.body))
    except ValidationError as exc:
        rejected = InvalidSubmission(validation_errors(exc))
        await _reject(uow, cmd, rejected.errors)
        raise rejected from None
    if cmd.partner is not None and not cmd.partner.may_refer_to(submission.programme_id):
        # Told apart: a mistyped programme is the referrer's to mend; a programme they may not use is not.
        async with uow:
            known = await uow.programmes.get(submission.programme_id) is not None
        rejected = ProgrammeNotAllowed() if known else UnknownProgramme()
        await _reject(uow, cmd, rejected.errors)
        raise rejected
    reference = submission.partner_referral_id or cmd.reference
    for _ in range(ATTEMPTS):
        try:
            async with uow:
                outcome = await _accept(uow, cmd, submission, reference)
                if not outcome.created and not outcome.referral.is_retry_of(digest_of(submission)):
                    raise ReferenceReused(reference, outcome.referral.id)
                await keep_submission(uow, cmd, submission_id=uuid.uuid4(),
                                      outcome="accepted" if outcome.created else "retry_of_existing", errors=None,
                                      referral_id=outcome.referral.id)
                if cmd.outreach_contact_id is not None:
                    await uow.outreach.link_referral(cmd.outreach_contact_id, outcome.referral.id)
                await uow.commit()
                return outcome
        except Conflict:
            continue
        except ReferenceReused as reused:
            # Kept as sent, beside the referral the reference already names: nothing is dropped.
            await _reject(uow, cmd, reused.errors, outcome="reference_reused")
            raise
    raise RuntimeError("could not store the referral after concurrent conflicts")


async def _accept(uow: IntakeUnitOfWork, cmd: c.SubmitReferral, submission: ReferralSubmission,
                  reference: str | None) -> Outcome:
    if reference is not None:
        existing = await uow.referrals.by_partner_reference(cmd.partner_id, reference)
        if existing is not None:  # a retry: the same referral, told again
            return Outcome(existing, created=False, duplicate_of=existing.duplicate_of,
                           linked_to_referral_id=await told_of(uow, existing, existing.duplicate_of))

    now = datetime.now(UTC)
    key = Person.key_of(submission.person, now.date())
    filing = Person.file(key, await uow.persons.candidates(key),
                         await uow.persons.family_name_frequency(key.family_key))
    if filing.known:
        await uow.persons.fill_in(filing.person_id, key)
        earlier = await uow.referrals.for_person(filing.person_id, submission.programme_id)
    else:
        await uow.persons.add(filing.person_id, key)
        earlier = []

    referral = Referral.receive(person_id=filing.person_id, partner_id=cmd.partner_id, partner_referral_id=reference,
                                programme_id=submission.programme_id, channel=cmd.channel,
                                correlation_id=cmd.correlation_id, now=now, earlier=earlier,
                                submission_sha256=digest_of(submission))
    referral.record_consent(consent_of(submission), at=now, reported_by=cmd.channel, source="referral")
    details = received.person_details(submission, now)
    subject = filing.person_id  # the person's own key: destroying it is their erasure
    await uow.referrals.add(
        referral, await sealed.seal_json(uow.sealer, subject, details.model_dump(mode="json"), context=sealed.PERSON),
        filing.match, await sealed.seal_json(uow.sealer, subject, contact_record(submission), context=sealed.CONTACT))
    await uow.search.index(referral.id, search.keys_of(details.model_dump(mode="json")))
    if filing.needs_review:
        await uow.persons.open_review(referral.id, filing.person_id, filing.match)

    if referral.duplicate_of is not None:
        # Linked to the open referral instead of opening a second case. The referrer is told in its own
        # terms: of its own open referral by id; of another referrer's, only that the person is known.
        own = await told_of(uow, referral, referral.duplicate_of)
        await status_updates.tell(uow, referral, ReferralStatus.DUPLICATE, now,
                                  reason=LINKED_TO_YOUR_OPEN_REFERRAL if own else KNOWN_TO_THE_SERVICE,
                                  linked_referral_id=own)
        return Outcome(referral, created=True, duplicate_of=referral.duplicate_of, linked_to_referral_id=own,
                       match=filing.match)

    await status_updates.tell(uow, referral, ReferralStatus.RECEIVED, now)
    await uow.emit(received.referral_received(referral, submission, details, filing), topic=topics.REFERRALS,
                   subject=str(referral.id), correlation_id=referral.correlation_id)
    return Outcome(referral, created=True, previous_referral_id=await told_of(uow, referral, referral.previous_referral_id),
                   match=filing.match)
