"""Referral search for coordinators: find a referral by its reference, the person's name, NHS number or
postcode, its partner or status, within the programmes the coordinator works in.

Each referral shown names its person, so each is recorded in the audit trail (who, when, "referral search",
which referral); the search terms are not, so the trail holds no name, NHS number or postcode.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from services.intake.domain.audit import READ, AuditEntry
from services.intake.domain.search import PURPOSE, SHOWN_FIELDS, ReferralSearch, SearchKeys, keys_of, status_in_words
from services.intake.service_layer import sealed
from services.intake.service_layer.registry import Reader
from services.intake.service_layer.errors import Forbidden
from services.intake.service_layer.unit_of_work import IntakeUnitOfWork
from shared.platform.logging import get_logger

log = get_logger(__name__)
NOTHING = SearchKeys((), None, None)  # a person whose details can no longer be opened is found by nothing


async def search_referrals(uow: IntakeUnitOfWork, search: ReferralSearch, reader: Reader) -> dict[str, Any]:
    """A page of the referrals the search finds, newest first, each with its person's name; `more` says
    whether another page follows."""
    if reader.own_work_only:
        raise Forbidden("searching referrals is for coordinators: workers open their own cases")
    async with uow:
        hits = await uow.search.find(search, reader.programmes, limit=search.limit + 1)
        more, hits = len(hits) > search.limit, hits[:search.limit]
        now, results = datetime.now(UTC), []
        for hit in hits:
            person = await sealed.open_json(uow.sealer, hit.person, context=sealed.PERSON)
            if not person:
                continue  # erased between the index and now: nobody to show
            r = hit.referral
            await uow.audit.append(AuditEntry(
                at=now, actor=reader.subject, roles=tuple(sorted(reader.roles)), action=READ,
                person_id=r.person_id, fields=SHOWN_FIELDS, purpose=PURPOSE, referral_id=r.id))
            results.append({
                "referral_id": str(r.id), "reference": r.partner_referral_id or r.self_reference,
                "partner_id": r.partner_id, "programme_id": r.programme_id, "status": r.status,
                "status_in_words": status_in_words(r.status), "received_at": r.received_at,
                "given_name": person.get("given_name"), "family_name": person.get("family_name"),
                "preferred_name": person.get("preferred_name"), "matched_by": hit.matched_by})
        await uow.commit()
    return {"results": results, "offset": search.offset, "limit": search.limit, "more": more}


async def index_earlier_referrals(uow_factory: Callable[[], IntakeUnitOfWork], batch: int = 200) -> int:
    """Give search keys to the referrals received before they were kept (intake_0011), or before their
    names' sounds were (intake_0013), a batch per transaction; how many were indexed. Indexing is an upsert,
    so two replicas doing it at once agree."""
    total = 0
    while True:
        uow = uow_factory()
        async with uow:
            waiting = await uow.search.unindexed(batch)
            for referral_id, stored in waiting:
                person = await sealed.open_json(uow.sealer, stored, context=sealed.PERSON)
                await uow.search.index(referral_id, keys_of(person) if person else NOTHING)
            await uow.commit()
        total += len(waiting)
        if len(waiting) < batch:
            return total


def indexing_job(uow_factory: Callable[[], IntakeUnitOfWork]) -> Callable[[], Any]:
    """Runs once as the service starts: after it, every referral is found as a new one is."""

    async def run() -> None:
        try:
            indexed = await index_earlier_referrals(uow_factory)
        except Exception:  # noqa: BLE001 - the next start tries again; the failure is logged
            log.exception("referral_search_indexing_failed")
            return
        if indexed:
            log.info("referral_search_indexed", referrals=indexed)

    return run
