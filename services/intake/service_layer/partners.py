"""Partners (referrers), their keys, webhooks and CSV mappings; programmes; what a referrer may see."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.intake.adapters import tables as t
from services.intake.domain.records import Partner
from services.intake.domain import api_keys


async def register_partner(uow_factory, partner: Partner) -> None:
    async with uow_factory() as uow:
        await uow.partners.add(partner)
        await uow.commit()


async def issue_partner_key(uow_factory, partner_id: str) -> str | None:
    async with uow_factory() as uow:
        if await uow.partners.get(partner_id) is None:
            return None
        issued = api_keys.issue_key()
        await uow.partners.add_key(partner_id, issued.key_id, issued.secret_hash)
        await uow.commit()
        return issued.plaintext


async def authenticate_partner(uow_factory, plaintext: str) -> Partner | None:
    parts = api_keys.split_key(plaintext)
    if parts is None:
        return None
    key_id, secret = parts
    async with uow_factory() as uow:
        found = await uow.partners.key(key_id)
        if found is None or not api_keys.secret_matches(secret, found[1]):
            return None
        return await uow.partners.get(found[0])


async def configure_webhook(uow_factory, partner_id: str, url: str, secret: str) -> bool:
    async with uow_factory() as uow:
        if await uow.partners.get(partner_id) is None:
            return False
        await uow.webhooks.configure(partner_id, url, secret)
        await uow.commit()
        return True


async def set_csv_mapping(uow_factory, partner_id: str, mapping: dict[str, Any]) -> bool:
    async with uow_factory() as uow:
        if await uow.partners.get(partner_id) is None:
            return False
        statement = insert(t.csv_mappings).values(partner_id=partner_id, mapping=mapping)
        await uow.conn.execute(
            statement.on_conflict_do_update(
                index_elements=["partner_id"], set_={"mapping": mapping, "updated_at": sa.func.now()}
            )
        )
        await uow.commit()
        return True


async def csv_mapping(uow_factory, partner_id: str) -> dict[str, Any] | None:
    async with uow_factory() as uow:
        row = (
            await uow.conn.execute(sa.select(t.csv_mappings.c.mapping).where(t.csv_mappings.c.partner_id == partner_id))
        ).first()
        return row.mapping if row else None


async def put_programme(uow_factory, programme_id: str, name: str, self_referral_open: bool) -> None:
    async with uow_factory() as uow:
        statement = insert(t.programmes).values(id=programme_id, name=name, self_referral_open=self_referral_open)
        await uow.conn.execute(
            statement.on_conflict_do_update(
                index_elements=["id"], set_={"name": name, "self_referral_open": self_referral_open}
            )
        )
        await uow.commit()


async def programme(uow_factory, programme_id: str) -> dict[str, Any] | None:
    async with uow_factory() as uow:
        row = (await uow.conn.execute(sa.select(t.programmes).where(t.programmes.c.id == programme_id))).first()
        return dict(row._mapping) if row else None


async def referral_for_partner(uow_factory, partner: Partner, referral_id: uuid.UUID) -> dict[str, Any] | None:
    """Status and timeline, for the referrer's own referrals only, and nothing of the casework."""
    async with uow_factory() as uow:
        referral = await uow.referrals.get(referral_id)
        if referral is None or referral.partner_id != partner.id:
            return None
        return await _view(uow, referral)


async def referral_by_partner_reference(uow_factory, partner: Partner, reference: str) -> dict[str, Any] | None:
    async with uow_factory() as uow:
        referral = await uow.referrals.by_partner_reference(partner.id, reference)
        return await _view(uow, referral) if referral else None


async def _view(uow, referral) -> dict[str, Any]:
    return {
        "referral_id": referral.id,
        "partner_referral_id": referral.partner_referral_id,
        "programme_id": referral.programme_id,
        "channel": referral.channel,
        "status": referral.status,
        "received_at": referral.received_at,
        "linked_to_referral_id": referral.duplicate_of,
        "previous_referral_id": referral.previous_referral_id,
        "timeline": await uow.referrals.timeline(referral.id),
    }
