"""The caseload service: wiring of its routes, subscribers, timers, tables and migrations."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from services.caseload.adapters import gauges, tables
from services.caseload.entrypoints.consumers import build_consumers
from services.caseload.entrypoints.http import router
from services.caseload.service_layer.scheduler import run_forever
from services.caseload.service_layer.unit_of_work import CaseloadUnitOfWork
from shared.platform.service import ServiceContext, ServiceDefinition


def background(ctx: ServiceContext):
    return [partial(run_forever, partial(CaseloadUnitOfWork, ctx.engine))]


DEFINITION = ServiceDefinition(
    name="caseload",
    schema=tables.SCHEMA,
    migrations=Path(__file__).parent / "adapters" / "migrations",
    outbox=tables.outbox,
    routers=[router],
    consumers=build_consumers,
    domain_gauges=gauges.refresh,
    background=background,
)
