"""The outcomes service: wiring of its routes, subscribers, tables and migrations."""

from __future__ import annotations

from pathlib import Path

from services.outcomes.adapters import tables
from services.outcomes.bootstrap import bootstrap
from services.outcomes.entrypoints.consumers import build_consumers
from services.outcomes.entrypoints.http import router
from shared.platform.definition import ServiceApi
from shared.platform.service import ServiceDefinition

API = ServiceApi(
    summary="Outcomes: measures scored as they arrive (UCLA-3, ONS, SWEMWBS, ONS-4, De Jong Gierveld, MYCaW) "
    "and reports on change in loneliness, the referral funnel and measure completeness.",
    description=(
        "Outcomes publishes no events: it consumes referrals, triage decisions and case events and answers "
        "reports over HTTP (JSON, CSV or SVG)."
    ),
)

DEFINITION = ServiceDefinition(
    name="outcomes",
    schema=tables.SCHEMA,
    migrations=Path(__file__).parent / "adapters" / "migrations",
    outbox=tables.outbox,
    routers=[router],
    consumers=build_consumers,
    bootstrap=bootstrap,
    api=API,
)
