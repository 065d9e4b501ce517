"""Outcomes use cases: score the measures a closed case carries, and report them."""

from __future__ import annotations

from services.outcomes.domain import ucla3
from services.outcomes.service_layer.unit_of_work import OutcomesUnitOfWork
from shared.schemas import topics
from shared.schemas.envelope import Envelope
from shared.schemas.events.case import CaseClosed
from shared.schemas.events.common import Instrument, Timepoint

CONSUMER_CASES = topics.consumer_group("outcomes", topics.CASES)


async def record_closed_case(uow_factory, envelope: Envelope, closed: CaseClosed) -> None:
    async with uow_factory() as uow:
        uow: OutcomesUnitOfWork
        if not await uow.first_delivery(CONSUMER_CASES, envelope):
            return
        ucla: dict[Timepoint, int] = {}
        for measure in closed.measures:
            score, reason = None, measure.not_collected_reason
            if measure.instrument == Instrument.UCLA3 and reason is None:
                try:
                    score = ucla3.score(measure.items)
                    ucla[measure.timepoint] = score
                except ucla3.InvalidResponse as exc:
                    reason = f"invalid response: {exc}"
            await uow.outcomes.add_score(
                case_id=closed.case_id,
                instrument=measure.instrument.value,
                timepoint=measure.timepoint.value,
                score=score,
                not_scored_reason=reason,
            )
        start, end = ucla.get(Timepoint.BASELINE), ucla.get(Timepoint.END)
        change = ucla3.Change(start, end) if start is not None and end is not None else None
        await uow.outcomes.add_case_outcome(
            case_id=closed.case_id,
            referral_id=closed.referral_id,
            person_id=closed.person_id,
            programme_id=closed.programme_id,
            worker_role=closed.worker_role.value,
            closure_reason=closed.reason.value,
            contact_count=closed.contact_count,
            ucla_start=start,
            ucla_end=end,
            ucla_change=change.difference if change else None,
            ucla_direction=change.direction.value if change else None,
            opened_at=closed.opened_at,
            closed_at=closed.closed_at,
        )
        await uow.commit()
