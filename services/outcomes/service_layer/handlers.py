"""Outcomes use cases: keep the facts reports count from (referrals, decisions, cases, measures,
signposts, unmet needs), scoring every measure as it arrives."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.outcomes.adapters import tables as t
from services.outcomes.domain.instruments import INSTRUMENTS, InvalidResponse
from services.outcomes.service_layer.unit_of_work import OutcomesUnitOfWork
from shared.schemas import topics
from shared.schemas.envelope import Envelope, EventPayload
from shared.schemas.events import case as ev
from shared.schemas.events.referral import ReferralReceived
from shared.schemas.events.triage import TriageDecided

CONSUMER_CASES = topics.consumer_group("outcomes", topics.CASES)
CONSUMER_REFERRALS = topics.consumer_group("outcomes", topics.REFERRALS)
CONSUMER_DECISIONS = topics.consumer_group("outcomes", topics.TRIAGE_DECISIONS)


def age_band(age: int | None) -> str | None:
    if age is None:
        return None
    for upper, band in ((25, "18-24"), (35, "25-34"), (50, "35-49"), (65, "50-64"), (75, "65-74"), (85, "75-84")):
        if age < upper:
            return band if age >= 18 else "under 18"
    return "85+"


async def on_referral(uow_factory, envelope: Envelope, referral: ReferralReceived) -> None:
    async with uow_factory() as uow:
        if not await uow.first_delivery(CONSUMER_REFERRALS, envelope):
            return
        profile = referral.profile
        facts = dict(
            person_id=referral.person_id, programme_id=referral.programme_id,
            partner_id=referral.partner_id, source_category=referral.source.category,
            source_subcategory=referral.source.subcategory, age_band=age_band(referral.person.age_years),
            gender=profile.gender if profile else None,
            trigger_groups=[g.group for g in profile.trigger_groups] if profile else [],
            postcode_district=profile.postcode_district if profile else None, received_at=referral.received_at,
        )
        # The decision may have arrived first (another topic): fill in the referral, keep the decision.
        await uow.conn.execute(insert(t.referral_facts).values(referral_id=referral.referral_id, **facts)
                               .on_conflict_do_update(index_elements=["referral_id"], set_=facts))
        await uow.commit()


async def on_decision(uow_factory, envelope: Envelope, decision: TriageDecided) -> None:
    async with uow_factory() as uow:
        if not await uow.first_delivery(CONSUMER_DECISIONS, envelope):
            return
        outcome = dict(decision=decision.decision.value, decision_reason=decision.reason_code,
                       decided_at=decision.decided_at)
        # Decisions and referrals travel on different topics: a decision may come first. Then a
        # placeholder row holds it until the referral's own facts arrive and fill the rest in.
        await uow.conn.execute(insert(t.referral_facts).values(
            referral_id=decision.referral_id, person_id=decision.person_id, programme_id=decision.programme_id,
            partner_id="", received_at=decision.decided_at, **outcome)
            .on_conflict_do_update(index_elements=["referral_id"], set_=outcome))
        await uow.commit()


async def on_case_event(uow_factory, envelope: Envelope, event: EventPayload) -> None:
    async with uow_factory() as uow:
        if not await uow.first_delivery(CONSUMER_CASES, envelope):
            return
        await _apply(uow, event)
        await uow.commit()


async def _apply(uow: OutcomesUnitOfWork, e: EventPayload) -> None:
    c = t.case_facts
    if isinstance(e, ev.CaseOpened):
        await uow.conn.execute(insert(c).values(case_id=e.case_id, referral_id=e.referral_id,
                                                programme_id=e.programme_id, opened_at=e.at).on_conflict_do_nothing())
    elif isinstance(e, ev.CaseAssigned):
        await _upsert_case(uow, e, worker_id=e.worker_id, worker_role=e.worker_role.value, assigned_at=e.assigned_at)
    elif isinstance(e, ev.CaseTransferred):
        await _upsert_case(uow, e, worker_id=e.to_worker_id)
    elif isinstance(e, ev.CaseContactRecorded) and e.successful:
        await _upsert_case(uow, e, contacts=c.c.contacts + 1, contact_minutes=c.c.contact_minutes + e.minutes,
                           first_contact_at=sa.func.coalesce(c.c.first_contact_at, e.at))
    elif isinstance(e, ev.CaseClosed):
        await _upsert_case(uow, e, closed_at=e.closed_at, closure_reason=e.reason.value, worker_id=e.worker_id,
                           worker_role=e.worker_role.value)
    elif isinstance(e, ev.CaseMeasureRecorded):
        await record_measure(uow, e.case_id, e.programme_id, e.worker_id, e.measure.model_dump(mode="json"), e.at)
    elif isinstance(e, ev.CaseSignposted):
        await uow.conn.execute(insert(t.signposts).values(
            signpost_id=e.signpost_id, case_id=e.case_id, programme_id=e.programme_id, destination=e.destination,
            category=e.category).on_conflict_do_nothing())
    elif isinstance(e, ev.CaseSignpostTakeUpRecorded):
        await uow.conn.execute(sa.update(t.signposts).where(t.signposts.c.signpost_id == e.signpost_id)
                               .values(taken_up=e.taken_up))
    elif isinstance(e, ev.CaseUnmetNeedRecorded):
        await uow.conn.execute(sa.insert(t.unmet_needs).values(case_id=e.case_id, programme_id=e.programme_id,
                                                               need=e.need, postcode_district=e.postcode_district,
                                                               recorded_at=e.at))


async def _upsert_case(uow, e, **values) -> None:
    c = t.case_facts
    statement = insert(c).values(case_id=e.case_id, referral_id=e.referral_id, programme_id=e.programme_id,
                                 **{k: v for k, v in values.items() if not isinstance(v, sa.sql.ClauseElement)})
    await uow.conn.execute(statement.on_conflict_do_update(index_elements=["case_id"], set_=values))


async def record_measure(uow: OutcomesUnitOfWork, case_id, programme_id, worker_id, measure: dict[str, Any],
                         at: datetime) -> None:
    """Score it now; an invalid response is kept, unscored, with the item and the reason."""
    instrument = INSTRUMENTS[measure["instrument"]]
    score = category = subscores = invalid = None
    if measure.get("not_collected_reason") is None:
        baseline = None
        if instrument.id == "mycaw" and measure["timepoint"] != "baseline":
            row = (await uow.conn.execute(sa.select(t.measures.c.concerns).where(
                t.measures.c.case_id == case_id, t.measures.c.instrument == "mycaw",
                t.measures.c.timepoint == "baseline"))).first()
            baseline = row.concerns if row else None
        try:
            scored = instrument.score(measure.get("items"), measure.get("concerns"), baseline)
            score, category, subscores = scored.score, scored.category, scored.subscores
        except InvalidResponse as exc:
            invalid = str(exc)
    values = dict(instrument_version=instrument.version, programme_id=programme_id, worker_id=worker_id,
                  items=measure.get("items"), concerns=measure.get("concerns"), score=score, category=category,
                  subscores=subscores, not_collected_reason=measure.get("not_collected_reason"),
                  invalid_reason=invalid, recorded_at=at)
    statement = insert(t.measures).values(case_id=case_id, instrument=instrument.id, timepoint=measure["timepoint"],
                                          **values)
    await uow.conn.execute(statement.on_conflict_do_update(index_elements=["case_id", "instrument", "timepoint"],
                                                           set_=values))
