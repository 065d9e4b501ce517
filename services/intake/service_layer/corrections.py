"""A connector corrects how to reach the person of their case: a new phone number, other times to call, new
safe-contact instructions. Who may is decided here (registry.Reader.require_may_change: the same people who
read the details); the correction is sealed under the person's data key where the case's referral keeps the
details, recorded in the audit trail as a change (field names, never values), and re-indexed for search.

Caseload is told only what it matches workers on, coded, when the correction changed it
(`referral.details_corrected` on intake.referrals: language, interpreter need, postcode district; never the
postcode or any contact detail). The case keeps its worker: a correction changes whom to call and how, not
who holds the case; offers made after it (a transfer, a case back on the waiting list) and unmet needs
recorded after it use the new values.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from services.intake.domain import matching
from services.intake.domain.audit import CHANGE, AuditEntry
from services.intake.domain.correction import ContactCorrection, Corrected, corrected
from services.intake.domain.search import keys_of
from services.intake.service_layer import sealed
from services.intake.service_layer.errors import NotFound
from services.intake.service_layer.registry import Reader
from services.intake.service_layer.unit_of_work import IntakeUnitOfWork
from shared.schemas import topics
from shared.schemas.events.referral import ReferralDetailsCorrected


async def correct_contact_details(uow: IntakeUnitOfWork, case_id: uuid.UUID, correction: ContactCorrection,
                                  reader: Reader) -> dict[str, Any]:
    """Apply the correction to the case's person; which fields changed, with their new values."""
    async with uow:
        holder = await uow.case_holders.get(case_id)
        if holder is None:
            raise NotFound("no such case")
        reader.require_may_change(holder)
        record = await uow.referrals.registry_record(holder.referral_id, for_update=True)
        details = await sealed.open_json(uow.sealer, record.person, context=sealed.PERSON) if record else None
        if record is None or not details:
            raise NotFound("the person's record is not held: they were erased")
        contact = await sealed.open_json(uow.sealer, record.contact, context=sealed.CONTACT)
        result = corrected(details, contact, correction)
        if result.changed:  # nothing new (the form saved as it was): nothing stored, nothing to audit
            subject = record.person_id  # the person's own key, as at intake: their erasure destroys it
            await uow.referrals.correct_registry_record(
                holder.referral_id, await sealed.seal_json(uow.sealer, subject, result.details, context=sealed.PERSON),
                await sealed.seal_json(uow.sealer, subject, result.contact, context=sealed.CONTACT))
            await uow.search.index(holder.referral_id, keys_of(result.details))
            if "postcode" in result.changed and result.details.get("postcode"):
                # A later referral from the new address is matched to this person, as one from the old was.
                d = result.details
                await uow.persons.fill_in(record.person_id, matching.key_for(
                    d["given_name"], d["family_name"], None, d["postcode"], None))
            if result.matched_on_changed:
                await tell_caseload(uow, holder.referral_id, record.person_id, case_id, result)
            await uow.audit.append(AuditEntry(
                at=datetime.now(UTC), actor=reader.subject, roles=tuple(sorted(reader.roles)), action=CHANGE,
                person_id=record.person_id, fields=result.changed, purpose=f"case {case_id}",
                referral_id=holder.referral_id, case_id=case_id))
        await uow.commit()
    new = {**result.details, **result.contact}
    return {"case_id": str(case_id), "person_id": str(record.person_id), "changed": list(result.changed),
            **{name: new.get(name) for name in result.changed}}


async def tell_caseload(uow: IntakeUnitOfWork, referral_id: uuid.UUID, person_id: uuid.UUID, case_id: uuid.UUID,
                        result: Corrected) -> None:
    """In the correction's transaction (the outbox), keyed by referral id: in order with referral.received."""
    referral = await uow.referrals.get(referral_id)
    await uow.emit(ReferralDetailsCorrected(referral_id=referral_id, person_id=person_id, case_id=case_id,
                                            **result.matched_on, changed=list(result.matched_on_changed),
                                            corrected_at=datetime.now(UTC)),
                   topic=topics.REFERRALS, subject=str(referral_id), correlation_id=referral.correlation_id)
