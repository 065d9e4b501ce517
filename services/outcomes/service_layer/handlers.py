"""Outcomes projections: keep the facts reports count from (referrals, decisions, cases, measures,
signposts, unmet needs), scoring every measure as it arrives.

One handler per event consumed. Each runs in one unit of work with the inbox claim, so a
redelivered event changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from services.outcomes.domain.instruments import INSTRUMENTS, InvalidResponse
from services.outcomes.domain.records import CaseKey, MeasureRecord, ReferralFacts, TriageOutcome
from services.outcomes.service_layer.unit_of_work import OutcomesUnitOfWork
from shared.schemas import topics
from shared.schemas.envelope import Envelope, EventPayload
from shared.schemas.events import case as ev
from shared.schemas.events.erasure import PersonErased
from shared.schemas.events.referral import AnyReferralReceived, ReferralReceived
from shared.schemas.events.referral import age_band as contract_age_band
from shared.schemas.events.triage import TriageDecided

CONSUMER_CASES = topics.consumer_group("outcomes", topics.CASES)
CONSUMER_REFERRALS = topics.consumer_group("outcomes", topics.REFERRALS)
CONSUMER_DECISIONS = topics.consumer_group("outcomes", topics.TRIAGE_DECISIONS)
CONSUMER_ERASURES = topics.consumer_group("outcomes", topics.ERASURES)

UowFactory = Callable[[], OutcomesUnitOfWork]


def age_band(age: int | None) -> str | None:
    """The band reports count by, as the referral.received contract defines it."""
    return contract_age_band(age)


def _age_band_of(referral: AnyReferralReceived) -> str | None:
    # Version 2 says the band (and the age); version 1 said only the age, inside the person's details.
    if isinstance(referral, ReferralReceived):
        return age_band(referral.person.age_years)
    return referral.age_band or age_band(referral.age_years)


async def on_referral(uow_factory: UowFactory, envelope: Envelope, referral: AnyReferralReceived) -> None:
    async with uow_factory() as uow:
        if not await uow.first_delivery(CONSUMER_REFERRALS, envelope):
            return
        profile = referral.profile
        facts = ReferralFacts(
            person_id=referral.person_id, programme_id=referral.programme_id,
            partner_id=referral.partner_id, source_category=referral.source.category,
            source_subcategory=referral.source.subcategory, age_band=_age_band_of(referral),
            gender=profile.gender if profile else None,
            trigger_groups=tuple(g.group for g in profile.trigger_groups) if profile else (),
            postcode_district=profile.postcode_district if profile else None, received_at=referral.received_at,
            to_data_sharing=referral.consent.to_data_sharing,
        )
        # The decision may have arrived first (another topic): fill in the referral, keep the decision.
        await uow.referrals.record_received(referral.referral_id, facts)
        await uow.commit()


async def on_decision(uow_factory: UowFactory, envelope: Envelope, decision: TriageDecided) -> None:
    async with uow_factory() as uow:
        if not await uow.first_delivery(CONSUMER_DECISIONS, envelope):
            return
        # Decisions and referrals travel on different topics: a decision may come first, and then
        # waits in a placeholder until the referral's own facts arrive.
        await uow.referrals.record_decision(decision.referral_id, TriageOutcome(
            person_id=decision.person_id, programme_id=decision.programme_id, decision=decision.decision.value,
            reason=decision.reason_code, decided_at=decision.decided_at))
        await uow.commit()


async def on_case_event(uow_factory: UowFactory, envelope: Envelope, event: EventPayload) -> None:
    async with uow_factory() as uow:
        if not await uow.first_delivery(CONSUMER_CASES, envelope):
            return
        project = CASE_PROJECTIONS.get(type(event))
        if project is not None:
            await project(uow, event)
        await uow.commit()


async def on_person_erased(uow_factory: UowFactory, envelope: Envelope, event: PersonErased) -> None:
    """Destroy outcomes' data key for the person (a tombstone). The facts stay: they are counts, with no words of
    the person's, so the reports' figures do not change."""
    async with uow_factory() as uow:
        if not await uow.first_delivery(CONSUMER_ERASURES, envelope):
            return
        await uow.sealer.shred(str(event.person_id))
        await uow.commit()


def _key(e: Any) -> CaseKey:
    return CaseKey(e.case_id, e.referral_id, e.programme_id)


async def _opened(uow: OutcomesUnitOfWork, e: ev.CaseOpened) -> None:
    await uow.cases.open(_key(e), e.at)


async def _assigned(uow: OutcomesUnitOfWork, e: ev.CaseAssigned) -> None:
    await uow.cases.assign(_key(e), e.worker_id, e.worker_role.value, e.assigned_at)


async def _transferred(uow: OutcomesUnitOfWork, e: ev.CaseTransferred) -> None:
    await uow.cases.transfer(_key(e), e.to_worker_id)


async def _contact(uow: OutcomesUnitOfWork, e: ev.CaseContactRecorded) -> None:
    if e.successful:  # an attempt that did not reach the person is not a contact
        await uow.cases.add_contact(_key(e), e.minutes, e.at)


async def _closed(uow: OutcomesUnitOfWork, e: ev.CaseClosed) -> None:
    await uow.cases.close(_key(e), e.closed_at, e.reason.value, e.worker_id, e.worker_role.value)


async def _measure(uow: OutcomesUnitOfWork, e: ev.CaseMeasureRecorded) -> None:
    await record_measure(uow, e.case_id, e.programme_id, e.worker_id, e.measure.model_dump(mode="json"), e.at)


# Version 2 of an event is its version 1 with the free text sealed (only caseload opens it): outcomes
# counts the coded values, never copies the text, so both versions project the same way.
async def _signposted(uow: OutcomesUnitOfWork, e: ev.CaseSignposted) -> None:
    await uow.signposts.add(e.signpost_id, e.case_id, e.programme_id, e.destination, e.category)


async def _take_up(uow: OutcomesUnitOfWork, e: ev.CaseSignpostTakeUpRecorded) -> None:
    await uow.signposts.record_take_up(e.signpost_id, e.taken_up)


async def _unmet_need(uow: OutcomesUnitOfWork, e: ev.CaseUnmetNeedRecorded) -> None:
    await uow.unmet_needs.add(e.case_id, e.programme_id, e.need, e.postcode_district, e.at)


async def _consent_changed(uow: OutcomesUnitOfWork, e: ev.CaseConsentChanged) -> None:
    await uow.referrals.record_data_sharing(e.referral_id, e.to_data_sharing)


# The case events that change a fact, by payload class; the subscriber takes exactly these.
CASE_PROJECTIONS: dict[type[EventPayload], Callable[[OutcomesUnitOfWork, Any], Awaitable[None]]] = {
    ev.CaseOpened: _opened,
    ev.CaseAssigned: _assigned,
    ev.CaseTransferred: _transferred,
    ev.CaseContactRecorded: _contact,
    ev.CaseClosed: _closed,
    ev.CaseMeasureRecorded: _measure,
    ev.CaseSignposted: _signposted,
    ev.CaseSignpostTakeUpRecorded: _take_up,
    ev.CaseUnmetNeedRecorded: _unmet_need,
    ev.CaseConsentChanged: _consent_changed,
    ev.CaseTransferredV2: _transferred,
    ev.CaseClosedV2: _closed,
    ev.CaseMeasureRecordedV2: _measure,
    ev.CaseSignpostedV2: _signposted,
    ev.CaseContactRecordedV2: _contact,
    ev.CaseUnmetNeedRecordedV2: _unmet_need,
}


async def record_measure(uow: OutcomesUnitOfWork, case_id, programme_id, worker_id, measure: dict[str, Any],
                         at: datetime) -> None:
    """Score it now; an invalid response is kept, unscored, with the item and the reason."""
    instrument = INSTRUMENTS[measure["instrument"]]
    score = category = subscores = invalid = None
    if measure.get("not_collected_reason") is None:
        try:
            # The concerns are only counted: they are the person's words, and outcomes keeps none.
            scored = instrument.score(measure.get("items"), measure.get("concerns"))
            score, category, subscores = scored.score, scored.category, scored.subscores
        except InvalidResponse as exc:
            invalid = str(exc)
    await uow.measures.save(MeasureRecord(
        case_id=case_id, instrument=instrument.id, timepoint=measure["timepoint"],
        instrument_version=instrument.version, programme_id=programme_id, worker_id=worker_id,
        items=measure.get("items"), score=score, category=category,
        subscores=subscores, not_collected_reason=measure.get("not_collected_reason"), invalid_reason=invalid,
        recorded_at=at))
