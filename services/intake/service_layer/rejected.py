"""Rejected submissions for the coordinators who follow them up with the partner who sent them.

Which ones a reader sees is decided here: an account that works in every programme (an administrator, a
scheme-wide coordinator, an operator) sees them all; one that works in some programmes sees those of the
partners that refer to them, and not those through the platform's own channels or from a sender no key
authenticated, which no programme of theirs can be told apart from another's.

The list holds no personal data (domain/rejection.py). The submission itself can: it is opened from its seal
for the reader, and the opening is recorded in the audit trail. A refused submission names no known person,
so its trail entry's subject is the submission's own id, the subject its body is sealed under.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.intake.domain.audit import READ, AuditEntry
from services.intake.domain.rejection import FOLLOW_UPS, RejectedSubmission
from services.intake.service_layer import sealed
from services.intake.service_layer.errors import Forbidden, NotFound
from services.intake.service_layer.unit_of_work import IntakeUnitOfWork
from shared.platform.logging import get_logger

log = get_logger(__name__)

SUBMISSION_FIELDS = ("body",)  # what an opening reads, as the trail names it


@dataclass(frozen=True)
class Reader:
    subject: str
    roles: frozenset[str]
    programmes: frozenset[str] | None = None  # None: every programme


async def _partners_in_reach(uow: IntakeUnitOfWork, reader: Reader) -> frozenset[str] | None:
    if reader.programmes is None:
        return None
    return frozenset(await uow.partners.referring_to(reader.programmes))


def _in_reach(found: RejectedSubmission, partners: frozenset[str] | None) -> bool:
    return partners is None or (not found.from_platform and found.partner_id in partners)


async def rejected_submissions(uow: IntakeUnitOfWork, reader: Reader, *, partner_id: str | None = None,
                               received_before: datetime | None = None, limit: int = 100,
                               waiting_only: bool = False) -> list[dict[str, Any]]:
    """Newest first: when, which channel, which partner, what was wrong, field by field, and whether anyone has
    followed it up (only those nobody has, with `waiting_only`)."""
    async with uow:
        partners = await _partners_in_reach(uow, reader)
        if partner_id is not None:
            partners = frozenset({partner_id}) if partners is None or partner_id in partners else frozenset()
        found = await uow.referrals.rejected_submissions(
            partner_ids=partners, platform_channels=reader.programmes is None, received_before=received_before,
            limit=limit, waiting_only=waiting_only)
    return [r.summary() for r in found]


async def _in_reach_or_refused(uow: IntakeUnitOfWork, submission_id: uuid.UUID,
                                reader: Reader) -> tuple[RejectedSubmission, bytes]:
    kept = await uow.referrals.rejected_submission(submission_id)
    if kept is None:
        raise NotFound("no rejected submission with that id")
    if not _in_reach(kept[0], await _partners_in_reach(uow, reader)):
        raise Forbidden("this submission is from a partner outside the programmes you work in")
    return kept


async def follow_up(uow: IntakeUnitOfWork, submission_id: uuid.UUID, reader: Reader, outcome: str) -> dict[str, Any]:
    """Record what became of a refusal (the partner told what to mend, or nothing to do), so the coordinators
    see which still wait; a later follow-up replaces an earlier one."""
    if outcome not in FOLLOW_UPS:
        raise ValueError(f"a follow-up is one of {', '.join(FOLLOW_UPS)}")
    async with uow:
        await _in_reach_or_refused(uow, submission_id, reader)
        await uow.referrals.record_follow_up(submission_id, outcome, reader.subject, datetime.now(UTC))
        found, _ = await uow.referrals.rejected_submission(submission_id)
        await uow.commit()
    log.info("rejected_submission_followed_up", submission_id=str(submission_id), follow_up=outcome)
    return found.summary()


async def open_rejected_submission(uow: IntakeUnitOfWork, submission_id: uuid.UUID, reader: Reader) -> dict[str, Any]:
    """The submission as it was sent, opened from its seal, for a reader whose partners it is from; the read
    is in the audit trail. After erasure or its retention its key is gone, and it reads as erased."""
    async with uow:
        found, stored = await _in_reach_or_refused(uow, submission_id, reader)
        body = await sealed.open_bytes(uow.sealer, stored, context=sealed.SUBMISSION)
        await uow.audit.append(AuditEntry(
            at=datetime.now(UTC), actor=reader.subject, roles=tuple(sorted(reader.roles)), action=READ,
            person_id=found.id, fields=SUBMISSION_FIELDS, purpose=f"rejected submission {found.id}"))
        await uow.commit()
    return {**found.summary(), "erased": body is None,
            "body": body.decode("utf-8", errors="replace") if body is not None else None}
