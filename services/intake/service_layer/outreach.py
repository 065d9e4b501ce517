"""Outreach: someone a connector met at a listening bench or an event, perhaps anonymous at first."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from services.intake.adapters import tables as t
from services.intake.service_layer import referrals

OUTREACH_PARTNER = "outreach"


async def log_contact(
    uow_factory, *, programme_id: str, met_at: str, occurred_at: datetime, logged_by: str, details: dict[str, Any]
) -> uuid.UUID:
    contact_id = uuid.uuid4()
    async with uow_factory() as uow:
        await uow.conn.execute(sa.insert(t.outreach_contacts).values(
            id=contact_id, programme_id=programme_id, met_at=met_at, occurred_at=occurred_at,
            logged_by=logged_by, details=details))
        await uow.commit()
    return contact_id


async def get_contact(uow_factory, contact_id: uuid.UUID) -> dict[str, Any] | None:
    async with uow_factory() as uow:
        row = (await uow.conn.execute(sa.select(t.outreach_contacts).where(t.outreach_contacts.c.id == contact_id))).first()
        return dict(row._mapping) if row else None


async def complete(uow_factory, contact_id: uuid.UUID, data: dict[str, Any], correlation_id: uuid.UUID):
    """Turn an outreach contact into a named referral (once: completing it again returns the same one)."""
    contact = await get_contact(uow_factory, contact_id)
    if contact is None:
        return None
    data = {**data, "programme_id": data.get("programme_id") or contact["programme_id"]}
    data.setdefault("referrer", {"source_category": "provider_own_service", "source_subcategory": "outreach",
                                 "person_name": contact["logged_by"]})
    return await referrals.submit(
        uow_factory, partner_id=OUTREACH_PARTNER, allowed_programmes=None, channel="outreach",
        body=json.dumps(data, default=str).encode(), data=data, reference=f"outreach:{contact_id}",
        correlation_id=correlation_id, outreach_contact_id=contact_id,
    )
