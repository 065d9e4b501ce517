"""Replaying a partner's parked Kafka submission, once what refused it is mended.

The archive cannot publish such a record again as it was: the partner's API key was redacted before it was
kept, and the body is sealed. So intake replays it itself, in process. Who sent it is not read from the
record (its `partner-id` header was never proof), but from the submission kept for it when it was parked:
the dead letter is sealed under that submission's key, and the submission names the partner the consumer
authenticated, or none when authentication failed (or the record was refused before it). Only an
authenticated record is submitted again, as that partner, through the same use case the consumer uses; the
partner's reference (the body's partner_referral_id, else the record's key) makes a second replay find
the referral the first one made. The archive writes who replayed it, and what came of it, to its history.
"""

from __future__ import annotations

import json
import uuid

from services.intake.service_layer import commands as c
from services.intake.service_layer import sealed
from services.intake.service_layer.errors import SubmissionRejected
from shared.platform.messaging.dead_letter_archive import FailedAgain, ParkedRecord, Refused
from shared.platform.sealing import SealingError, sealed_subject

CHANNEL = "partner_kafka"
NOT_AUTHENTICATED = ("it was never authenticated as a partner (its partner-id and api-key headers did not match, "
                     "or it was refused before they were checked): a partner's record is submitted only as the "
                     "partner that sent it, so the partner must send it again")


async def replay_partner_submission(intake, parked: ParkedRecord) -> str:
    """Submit the parked record again as the partner it was authenticated as; a note for the history."""
    submission_id = _kept_submission(parked)
    async with intake.uow() as uow:
        sender = await uow.referrals.submission_sender(submission_id)
    if sender is None or sender[1] != CHANNEL:
        raise Refused("not replayable: no partner submission is kept for it any more (rejected submissions are "
                      "kept for a limited time, and the dead letter goes with them)")
    partner_id, _ = sender
    if partner_id is None:
        raise Refused(f"not replayable: {NOT_AUTHENTICATED}")
    async with intake.uow() as uow:
        partner = await uow.partners.get(partner_id)
        body = await sealed.open_bytes(uow.sealer, parked.value, context=sealed.DEAD_LETTER)
    if partner is None:
        raise Refused(f"not replayable: partner {partner_id} no longer exists")
    if body is None:
        raise Refused("not replayable: the record was erased (its data key has been destroyed)")
    try:
        key = parked.message_key.decode("utf-8") if parked.message_key else None
    except UnicodeDecodeError:
        raise Refused("not replayable: its key is not UTF-8 text, which a replay cannot mend") from None
    if parked.status == "replayed" and key is None and not _names_its_reference(body):
        # Nothing would tell a second submission from a new referral: replayed once is enough.
        raise Refused("already replayed, and it names no reference (partner_referral_id or key) that would make "
                      "a second replay harmless")
    headers = {name.lower(): value.decode(errors="replace") for name, value in parked.headers}
    try:
        outcome = await intake.handle(c.SubmitReferral(
            partner.id, partner_id=partner.id, partner=partner, channel=CHANNEL, body=body, reference=key,
            reference_field="key", correlation_id=_uuid_or_new(headers.get("correlation-id")),
            submission_id=uuid.uuid4()))
    except SubmissionRejected as rejected:
        raise FailedAgain("invalid referral: " + "; ".join(f"{e['field']}: {e['problem']}" for e in rejected.errors)
                          ) from None
    done = "received" if outcome.created else "already received (this replay changed nothing)"
    return f"submitted again as partner {partner.id}: referral {outcome.referral.id} {done}"


def _kept_submission(parked: ParkedRecord) -> uuid.UUID:
    try:
        return uuid.UUID(sealed_subject(parked.value.decode("ascii")))
    except (UnicodeDecodeError, SealingError, ValueError):
        raise Refused("not replayable: it was parked unsealed, before intake kept a submission for each "
                      "dead letter, so nothing says which partner sent it") from None


def _names_its_reference(body: bytes) -> bool:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return False
    return isinstance(parsed, dict) and bool(parsed.get("partner_referral_id"))


def _uuid_or_new(value: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(value) if value else uuid.uuid4()
    except ValueError:
        return uuid.uuid4()
