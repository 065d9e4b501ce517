"""The caseload service: wiring of its routes, subscribers, timers, tables and migrations."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from services.caseload.adapters import gauges, tables
from services.caseload.bootstrap import bootstrap
from services.caseload.entrypoints.consumers import build_consumers
from services.caseload.entrypoints.http import router
from services.caseload.service_layer.scheduler import run_forever
from shared.platform.definition import Publication, ServiceApi
from shared.platform.service import ServiceContext, ServiceDefinition
from shared.schemas import topics

API = ServiceApi(
    summary="Caseload: accepted referrals become cases, offered to the best-fitting worker with room, or waiting.",
    description=(
        "Workers have hours and case slots reserved in the database, so nobody is booked past capacity. A case's "
        "life (offers, contacts, goals, signposts, unmet needs, reviews, extensions, holds, transfers, measures, "
        "closure, follow-up) is a sequence of `case.*` events."
    ),
    publishes=(
        Publication(
            topics.CASES,
            ("case.opened", "case.offered", "case.offer_declined", "case.offer_expired", "case.assigned",
             "case.waitlisted", "case.contact_recorded", "case.first_contact_made",
             "case.first_contact_deadline_missed", "case.goal_set", "case.goal_progressed", "case.signposted",
             "case.signpost_take_up_recorded", "case.unmet_need_recorded", "case.reviewed", "case.extended",
             "case.put_on_hold", "case.resumed", "case.transferred", "case.measure_recorded", "case.closed",
             "case.follow_up_requested", "case.consent_changed", "case.details_corrected"),
            description="Every event of every case, in order per case: keyed by case id.",
        ),
        Publication(topics.OFFERS, ("case.offered",),
                    description="Offers to workers, keyed by worker id (each worker follows their own key)."),
    ),
)


def background(ctx: ServiceContext):
    return [partial(run_forever, ctx.dependencies.uow)]


DEFINITION = ServiceDefinition(
    name="caseload",
    schema=tables.SCHEMA,
    migrations=Path(__file__).parent / "adapters" / "migrations",
    outbox=tables.outbox,
    routers=[router],
    bootstrap=bootstrap,
    consumers=build_consumers,
    domain_gauges=gauges.refresh,
    background=background,
    api=API,
)
