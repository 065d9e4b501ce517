"""Erasure: a person's identifying and contact data leaves the registry, on request or when the
programme's retention period has passed since their last case closed.

Their data key is destroyed, with the keys of the raw submissions, batch files and outreach contacts that
were theirs: whatever was sealed under them, in tables, outboxes, topics, dead letters and backups, can no
longer be read. `person.erased` (in the same transaction) tells every other service to destroy its own key.
Submissions that never became a referral name nobody intake can find: their keys are destroyed once they
have been kept REJECTED_SUBMISSION_RETENTION_DAYS.

What stays is what holds no one: ids, statuses, timelines, consent booleans, the audit trail (which
holds ids and field names only, and records the erasure itself), and every count in every report.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from services.intake.domain.audit import ERASE, AuditEntry
from services.intake.domain.contact_record import VIEW_FIELDS
from services.intake.service_layer import commands as c
from services.intake.service_layer.errors import NotFound
from services.intake.service_layer.unit_of_work import IntakeUnitOfWork
from shared.platform.logging import get_logger
from shared.schemas import topics
from shared.schemas.events.erasure import PersonErased

log = get_logger(__name__)
RETENTION_ACTOR = "retention"


async def erase_person(cmd: c.ErasePerson, uow: IntakeUnitOfWork) -> dict[str, Any]:
    async with uow:
        person_id = cmd.person_id
        if person_id is None and cmd.referral_id is not None:
            person_id = await uow.erasure.person_of(cmd.referral_id)
        if person_id is None:
            raise NotFound("no such person or referral")
        subjects = await uow.erasure.sealed_subjects(person_id)
        referrals = await uow.erasure.erase(person_id)
        if not referrals:
            raise NotFound("no such person")
        for subject in dict.fromkeys((str(person_id), *subjects)):
            await uow.sealer.shred(subject)
        now = datetime.now(UTC)
        await uow.audit.append(AuditEntry(
            at=now, actor=cmd.actor, roles=cmd.roles, action=ERASE, person_id=person_id,
            fields=VIEW_FIELDS, purpose=cmd.reason, referral_id=cmd.referral_id))
        await uow.emit(PersonErased(person_id=person_id, referral_ids=referrals,
                                    basis="retention" if cmd.actor == RETENTION_ACTOR else "request", erased_at=now),
                       topic=topics.ERASURES, subject=str(person_id), correlation_id=uuid.uuid4())
        await uow.commit()
    log.info("person_erased", person_id=str(person_id), referrals=len(referrals))
    return {"person_id": str(person_id), "referrals_erased": [str(r) for r in referrals]}


async def apply_retention(uow_factory: Callable[[], IntakeUnitOfWork], now: datetime | None = None,
                          rejected_days: int = 30) -> int:
    """Erase everyone past their programme's retention period, each in a transaction of their own; then
    destroy the keys of submissions that never became a referral and are older than `rejected_days`."""
    now = now or datetime.now(UTC)
    async with uow_factory() as uow:
        due = await uow.erasure.due_for_retention(now)
    for person_id in due:
        await erase_person(c.ErasePerson(RETENTION_ACTOR, reason="retention period passed since the last case closed",
                                         person_id=person_id, roles=("system",)), uow_factory())
    await forget_rejected_submissions(uow_factory(), now - timedelta(days=rejected_days))
    return len(due)


async def forget_rejected_submissions(uow: IntakeUnitOfWork, received_before: datetime) -> int:
    async with uow:
        subjects = await uow.erasure.rejected_submissions_due(received_before)
        for subject in subjects:
            await uow.sealer.shred(subject)
        await uow.commit()
    if subjects:
        log.info("rejected_submissions_forgotten", keys=len(subjects))
    return len(subjects)


def retention_job(uow_factory: Callable[[], IntakeUnitOfWork], interval_s: float, sleep,
                  lead: Callable[[], AbstractAsyncContextManager[bool]], rejected_days: int = 30) -> Callable[[], Any]:
    """Runs on whichever replica leads, so two never erase (and audit) the same person at once."""

    async def run() -> None:
        while True:
            try:
                async with lead() as leading:
                    erased = await apply_retention(uow_factory, rejected_days=rejected_days) if leading else 0
                if erased:
                    log.info("retention_erased", people=erased)
            except Exception:  # noqa: BLE001 - the next round tries again; the failure is logged
                log.exception("retention_failed")
            await sleep(interval_s)

    return run

