"""The person registry's reads: the worker holding a case reads the person they are to contact, and each
read is recorded in the audit trail with the case as its purpose; auditors read the trail.

Who may read is decided here, not in the routes: a worker acting as itself reads the people whose open
cases it holds, and nobody else's; a coordinator, the people in the programmes they work in.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.intake.domain.audit import READ, AuditEntry, ChainCheck, verify
from services.intake.domain.contact_record import VIEW_FIELDS, connector_view
from services.intake.service_layer import sealed
from services.intake.service_layer.errors import Forbidden, NotFound
from services.intake.service_layer.unit_of_work import CaseHolder, IntakeUnitOfWork


@dataclass(frozen=True)
class Reader:
    """Who asks to read personal data."""

    subject: str
    roles: frozenset[str]
    own_work_only: bool = False  # a worker acting as itself: the people of its own open cases only
    worker_id: uuid.UUID | None = None
    programmes: frozenset[str] | None = None  # None: every programme

    def require_may_read(self, holder: CaseHolder) -> None:
        self._require_holds(holder, "reads")

    def require_may_change(self, holder: CaseHolder) -> None:
        """Whoever may read how to reach the person may correct it: the worker holding the open case, or a
        coordinator of its programme. Nobody else changes what the next worker will call."""
        self._require_holds(holder, "changes")

    def _require_holds(self, holder: CaseHolder, verb: str) -> None:
        if self.own_work_only:
            if self.worker_id is None or holder.worker_id != self.worker_id:
                raise Forbidden(f"only the worker holding this case {verb} the person's details")
            if not holder.open:
                raise Forbidden(f"this case is closed: its worker no longer {verb} the person's details")
        elif self.programmes is not None and holder.programme_id not in self.programmes:
            raise Forbidden("this case is in a programme you do not work in")


async def person_for_case(uow: IntakeUnitOfWork, case_id: uuid.UUID, reader: Reader) -> dict[str, Any]:
    """Whom to call for a case, and how: read from the registry, recorded in the audit trail."""
    async with uow:
        holder = await uow.case_holders.get(case_id)
        if holder is None:
            raise NotFound("no such case")
        reader.require_may_read(holder)
        record = await uow.referrals.registry_record(holder.referral_id)
        person = await sealed.open_json(uow.sealer, record.person, context=sealed.PERSON) if record else None
        if record is None or not person:
            raise NotFound("the person's record is not held: they were erased")
        contact = await sealed.open_json(uow.sealer, record.contact, context=sealed.CONTACT)
        consents = await uow.referrals.consent_history(holder.referral_id)
        await uow.audit.append(AuditEntry(
            at=datetime.now(UTC), actor=reader.subject, roles=tuple(sorted(reader.roles)), action=READ,
            person_id=record.person_id, fields=VIEW_FIELDS, purpose=f"case {case_id}",
            referral_id=holder.referral_id, case_id=case_id))
        await uow.commit()
    return {"case_id": str(case_id), "referral_id": str(holder.referral_id), "person_id": str(record.person_id),
            **connector_view(person, contact, consents)}


# What a coordinator compares to decide a person match: who each record says the person is, not how to reach
# them or why they were referred. Each read records these names in the audit trail.
MATCH_FIELDS = ("given_name", "family_name", "preferred_name", "date_of_birth", "age_years", "nhs_number",
                "postcode", "phone", "email")


async def records_for_match_review(uow: IntakeUnitOfWork, review_id: uuid.UUID, reader: Reader) -> dict[str, Any]:
    """An open match review's two records side by side: the new referral's, and the latest referral in the same
    programme of the person it may be. For a coordinator of that programme; each record read is audited with
    the review as its purpose."""
    async with uow:
        review = await uow.persons.review(review_id)
        if review is None or review["status"] != "open":
            raise NotFound("no open match review with that id")
        referral = await uow.referrals.get(review["referral_id"])
        if referral is None:
            raise NotFound("the review's referral is not held")
        if reader.programmes is not None and referral.programme_id not in reader.programmes:
            raise Forbidden("this review is in a programme you do not work in")
        earlier = await uow.referrals.for_person(review["candidate_person_id"], referral.programme_id)
        purpose = f"match review {review_id}"
        new = await _match_record(uow, referral.id, referral.received_at, reader, purpose)
        existing = await _match_record(uow, earlier[-1].id, earlier[-1].received_at, reader, purpose) if earlier else None
        await uow.commit()
    return {"id": str(review_id), "programme_id": referral.programme_id, "confidence": str(review["confidence"]),
            "reasons": review["reasons"], "created_at": review.get("created_at"), "new": new, "existing": existing}


async def _match_record(uow: IntakeUnitOfWork, referral_id: uuid.UUID, received_at: datetime, reader: Reader,
                        purpose: str) -> dict[str, Any] | None:
    record = await uow.referrals.registry_record(referral_id)
    person = await sealed.open_json(uow.sealer, record.person, context=sealed.PERSON) if record else None
    if record is None or not person:
        return None  # erased
    await uow.audit.append(AuditEntry(
        at=datetime.now(UTC), actor=reader.subject, roles=tuple(sorted(reader.roles)), action=READ,
        person_id=record.person_id, fields=MATCH_FIELDS, purpose=purpose, referral_id=referral_id))
    return {"referral_id": str(referral_id), "person_id": str(record.person_id), "received_at": received_at,
            **{name: person.get(name) for name in MATCH_FIELDS}}


async def audit_entries(uow: IntakeUnitOfWork, *, person_id: uuid.UUID | None = None, actor: str | None = None,
                        since: datetime | None = None, until: datetime | None = None,
                        limit: int = 500) -> list[dict[str, Any]]:
    async with uow:
        found = await uow.audit.entries(person_id=person_id, actor=actor, since=since, until=until, limit=limit)
    return [{"seq": e.seq, "at": e.at, "actor": e.actor, "roles": list(e.roles), "action": e.action,
             "person_id": str(e.person_id), "referral_id": str(e.referral_id) if e.referral_id else None,
             "case_id": str(e.case_id) if e.case_id else None, "fields": list(e.fields), "purpose": e.purpose}
            for e in found]


async def audit_chain_check(uow: IntakeUnitOfWork) -> ChainCheck:
    async with uow:
        return verify(await uow.audit.chain())
