"""Partners (referrers), their keys, webhooks and CSV mappings, and programmes."""

from __future__ import annotations

from services.intake.domain import api_keys
from services.intake.domain.partner import Partner
from services.intake.service_layer import commands as c
from services.intake.service_layer.errors import NotFound, Refused
from services.intake.service_layer.unit_of_work import IntakeUnitOfWork
from shared.platform.uow import Conflict


async def register_partner(cmd: c.RegisterPartner, uow: IntakeUnitOfWork) -> None:
    if Partner.reserved(cmd.partner.id):
        raise Refused(f"{cmd.partner.id!r} is reserved")
    try:
        async with uow:
            await uow.partners.add(cmd.partner)
            await uow.commit()
    except Conflict:
        raise Refused(f"partner {cmd.partner.id!r} already exists") from None


async def _partner(uow: IntakeUnitOfWork, partner_id: str) -> Partner:
    partner = await uow.partners.get(partner_id)
    if partner is None:
        raise NotFound("no such partner")
    return partner


async def issue_partner_key(cmd: c.IssuePartnerKey, uow: IntakeUnitOfWork) -> str:
    """The plaintext is returned once; only its hash is stored."""
    async with uow:
        await _partner(uow, cmd.partner_id)
        issued = api_keys.issue_key()
        await uow.partners.add_key(cmd.partner_id, issued.key_id, issued.secret_hash)
        await uow.commit()
        return issued.plaintext


async def configure_webhook(cmd: c.ConfigureWebhook, uow: IntakeUnitOfWork) -> None:
    async with uow:
        await _partner(uow, cmd.partner_id)
        await uow.webhooks.configure(cmd.partner_id, cmd.url, cmd.secret)
        await uow.commit()


async def set_csv_mapping(cmd: c.SetCsvMapping, uow: IntakeUnitOfWork) -> None:
    async with uow:
        await _partner(uow, cmd.partner_id)
        await uow.partners.set_csv_mapping(cmd.partner_id, cmd.mapping)
        await uow.commit()


async def set_partner_programmes(cmd: c.SetPartnerProgrammes, uow: IntakeUnitOfWork) -> None:
    if not cmd.allowed_programmes:
        raise Refused("a partner refers to at least one programme")
    async with uow:
        if not await uow.partners.set_allowed_programmes(cmd.partner_id, tuple(dict.fromkeys(cmd.allowed_programmes))):
            raise NotFound("no such partner")
        await uow.commit()


async def put_programme(cmd: c.PutProgramme, uow: IntakeUnitOfWork) -> None:
    async with uow:
        await uow.programmes.put(cmd.programme_id, cmd.name, cmd.self_referral_open, cmd.retention_days)
        await uow.commit()
