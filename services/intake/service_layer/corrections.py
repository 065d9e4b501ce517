"""A connector corrects how to reach the person of their case: a new phone number, other times to call, new
safe-contact instructions. Who may is decided here (registry.Reader.require_may_change: the same people who
read the details); the correction is sealed under the person's data key where the case's referral keeps the
details, recorded in the audit trail as a change (field names, never values), and re-indexed for search.

Nothing is published. Other services never hold contact details. The coded values derived from some of them
(postcode district and sector, language, interpreter, in referral.received's profile) were used to triage
the referral and offer its case, which by now is held: a correction changes whom to call and how, not who
holds the case. Caseload keeps those values as triage decided them, so an unmet need recorded after a move
is counted under the district at referral; telling caseload would take an event of coded values alone and a
change to the case's needs there, not built yet.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from services.intake.domain import matching
from services.intake.domain.audit import CHANGE, AuditEntry
from services.intake.domain.correction import ContactCorrection, corrected
from services.intake.domain.search import keys_of
from services.intake.service_layer import sealed
from services.intake.service_layer.errors import NotFound
from services.intake.service_layer.registry import Reader
from services.intake.service_layer.unit_of_work import IntakeUnitOfWork


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
            await uow.audit.append(AuditEntry(
                at=datetime.now(UTC), actor=reader.subject, roles=tuple(sorted(reader.roles)), action=CHANGE,
                person_id=record.person_id, fields=result.changed, purpose=f"case {case_id}",
                referral_id=holder.referral_id, case_id=case_id))
        await uow.commit()
    new = {**result.details, **result.contact}
    return {"case_id": str(case_id), "person_id": str(record.person_id), "changed": list(result.changed),
            **{name: new.get(name) for name in result.changed}}
