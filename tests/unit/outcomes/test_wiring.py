"""Outcomes' subscribers take the events the projections handle, and reach them through the bootstrap's
unit of work (ctx.dependencies), not one of their own."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.outcomes.app import DEFINITION
from services.outcomes.bootstrap import OutcomesDependencies
from shared.platform.definition import ServiceContext
from shared.schemas import topics
from shared.schemas.envelope import new_envelope
from shared.schemas.events.case import CaseUnmetNeedRecorded
from tests.unit.outcomes.fakes import FakeOutcomesUnitOfWork


def _context() -> ServiceContext:
    return ServiceContext(name="outcomes", settings=None, engine=None, producer=None,  # type: ignore[arg-type]
                          topics=topics.Topics(""))


def test_the_case_subscriber_takes_exactly_the_case_events_that_change_a_fact():
    consumers = {c.group: c for c in DEFINITION.consumers(_context())}
    cases = consumers[topics.consumer_group("outcomes", topics.CASES)]
    assert sorted(cases.handlers) == sorted([
        "case.opened", "case.assigned", "case.transferred", "case.contact_recorded", "case.closed",
        "case.measure_recorded", "case.signposted", "case.signpost_take_up_recorded", "case.unmet_need_recorded",
        "case.consent_changed"])
    assert DEFINITION.bootstrap is not None


async def test_a_subscriber_uses_the_unit_of_work_the_bootstrap_wired():
    ctx = _context()
    consumers = {c.group: c for c in DEFINITION.consumers(ctx)}  # built before the bootstrap ran, as the docs do
    uow = FakeOutcomesUnitOfWork()
    ctx.dependencies = OutcomesDependencies(uow=uow, views=None)  # type: ignore[arg-type]
    need = CaseUnmetNeedRecorded(case_id=uuid.uuid4(), referral_id=uuid.uuid4(), programme_id="demo",
                                 at=datetime(2025, 1, 1, tzinfo=UTC), need="transport")
    handler = consumers[topics.consumer_group("outcomes", topics.CASES)].handlers["case.unmet_need_recorded"]

    await handler(new_envelope(need, source="/tests", subject="s", correlation_id=uuid.uuid4()), need)

    assert [row["need"] for row in uow.unmet_needs.rows] == ["transport"]
