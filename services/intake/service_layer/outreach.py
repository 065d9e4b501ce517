"""Outreach: someone a connector met at a listening bench or an event, perhaps anonymous at first."""

from __future__ import annotations

import json
import uuid

from services.intake.service_layer import commands as c
from services.intake.service_layer import referrals, sealed
from services.intake.service_layer.errors import NotFound
from services.intake.service_layer.unit_of_work import IntakeUnitOfWork

OUTREACH_PARTNER = "outreach"


async def log_contact(cmd: c.LogOutreachContact, uow: IntakeUnitOfWork) -> uuid.UUID:
    contact_id = uuid.uuid4()
    async with uow:
        await uow.outreach.add(contact_id=contact_id, programme_id=cmd.programme_id, met_at=cmd.met_at,
                               occurred_at=cmd.occurred_at, logged_by=cmd.actor,
                               details=await sealed.seal_json(uow.sealer, contact_id, cmd.details,
                                                              context=sealed.OUTREACH))
        await uow.commit()
    return contact_id


async def complete(cmd: c.CompleteOutreachReferral, uow: IntakeUnitOfWork) -> referrals.Outcome:
    """Turn an outreach contact into a named referral (once: completing it again returns the same one)."""
    async with uow:
        contact = await uow.outreach.get(cmd.contact_id)
    if contact is None:
        raise NotFound("no such outreach contact")
    data = {**cmd.data, "programme_id": cmd.data.get("programme_id") or contact["programme_id"]}
    data.setdefault("referrer", {"source_category": "provider_own_service", "source_subcategory": "outreach",
                                 "person_name": contact["logged_by"]})
    return await referrals.submit(c.SubmitReferral(
        cmd.actor, partner_id=OUTREACH_PARTNER, channel="outreach", body=json.dumps(data, default=str).encode(),
        data=data, reference=f"outreach:{cmd.contact_id}", correlation_id=cmd.correlation_id,
        outreach_contact_id=cmd.contact_id), uow)
