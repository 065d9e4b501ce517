"""Erasure: on request, or when the programme's retention period has passed since the last case closed,
a person's identifying and contact data leaves the registry, and the audit trail records it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.intake.service_layer import case_holders, erasure, handlers, registry
from services.intake.service_layer import commands as c
from services.intake.service_layer.errors import NotFound
from shared.schemas.events.case import CaseClosed
from tests.unit.intake.test_handlers import envelope_of, from_gp, referral, uow  # noqa: F401 (uow is a fixture)
from tests.unit.intake.test_registry import ASHA, held_case, worker

SOMEONE_ELSE = referral(person={"given_name": "Winston", "family_name": "Adeyemi", "date_of_birth": "1938-11-20",
                                "postcode": "N16 7AB"})


async def close(uow, case_id) -> None:
    holder = await uow.case_holders.get(case_id)
    now = datetime.now(UTC)
    closed = CaseClosed(case_id=case_id, referral_id=holder.referral_id, person_id=uuid.uuid4(), programme_id="demo",
                        worker_id=ASHA, worker_role="connector", reason="planned_end", contact_count=2,
                        opened_at=now, closed_at=now)
    await case_holders.on_case_event(uow, envelope_of(closed), closed)


async def test_an_erased_person_is_gone_from_the_registry_and_the_erasure_is_audited(uow):
    case_id, person_id = await held_case(uow)
    kept_case, kept_person = await held_case(uow, body=SOMEONE_ELSE)
    holder = await uow.case_holders.get(case_id)
    result = await handlers.handle(c.ErasePerson("admin-1", reason="subject access request SAR-19",
                                                 referral_id=holder.referral_id, roles=("admin",)), uow)
    assert result == {"person_id": str(person_id), "referrals_erased": [str(holder.referral_id)]}
    assert uow.referrals.persons[holder.referral_id] == {} and uow.referrals.contacts[holder.referral_id] is None
    assert person_id not in uow.persons.by_id and kept_person in uow.persons.by_id
    assert all(s["body"] == b"" for s in uow.referrals.submissions if s.get("referral_id") == holder.referral_id)
    with pytest.raises(NotFound, match="erased"):
        await registry.person_for_case(uow, case_id, worker(ASHA))
    assert (await registry.person_for_case(uow, kept_case, worker(ASHA)))["given_name"] == "Winston"
    [erased] = [e for e in await uow.audit.entries(person_id=person_id) if e.action == "erase"]
    assert (erased.actor, erased.purpose, erased.roles) == ("admin-1", "subject access request SAR-19", ("admin",))
    assert (await registry.audit_chain_check(uow)).intact


async def test_erasing_nobody_is_refused(uow):
    with pytest.raises(NotFound):
        await handlers.handle(c.ErasePerson("admin-1", reason="r", person_id=uuid.uuid4()), uow)
    with pytest.raises(NotFound):
        await handlers.handle(c.ErasePerson("admin-1", reason="r", referral_id=uuid.uuid4()), uow)


async def test_retention_erases_people_whose_last_case_closed_longer_ago_than_the_programmes_period(uow):
    await handlers.handle(c.PutProgramme("admin", "demo", "Demo", True, retention_days=365), uow)
    long_closed, long_closed_person = await held_case(uow)
    await close(uow, long_closed)
    recently_closed, recent_person = await held_case(uow, body=SOMEONE_ELSE)
    await close(uow, recently_closed)
    still_open, open_person = await held_case(uow, body=referral(person={
        "given_name": "Ivy", "family_name": "Marsh", "date_of_birth": "1944-02-02", "postcode": "E5 0AA"}))
    now = datetime.now(UTC)
    uow.case_holders.closed_at[long_closed] = now - timedelta(days=366)
    uow.case_holders.closed_at[recently_closed] = now - timedelta(days=364)

    assert await erasure.apply_retention(lambda: uow, now) == 1
    assert long_closed_person not in uow.persons.by_id
    assert recent_person in uow.persons.by_id and open_person in uow.persons.by_id
    [entry] = [e for e in await uow.audit.entries(person_id=long_closed_person) if e.action == "erase"]
    assert entry.actor == "retention"
    assert await erasure.apply_retention(lambda: uow, now) == 0  # the erased are not erased again
    # A year on, the recently closed case is past its period too; the open one never is.
    assert await erasure.apply_retention(lambda: uow, now + timedelta(days=2)) == 1
    assert recent_person not in uow.persons.by_id and open_person in uow.persons.by_id
