"""The triage service: wiring of its routes, subscribers, rule sets, tables and migrations."""

from __future__ import annotations

from pathlib import Path

from services.triage.adapters import gauges, tables
from services.triage.bootstrap import TriageDependencies, bootstrap
from services.triage.domain.ruleset import load_ruleset_files
from services.triage.entrypoints.consumers import build_consumers
from services.triage.entrypoints.http import router
from services.triage.service_layer import handlers
from shared.platform.definition import Publication, ServiceApi
from shared.platform.service import ServiceContext, ServiceDefinition
from shared.schemas import topics

API = ServiceApi(
    summary="Triage: every referral received is decided by its programme's versioned rule set, with reasons.",
    description=(
        "Decisions are accepted (complexity band, pathway, priority, expected weekly hours), declined (coded "
        "reason, signposting), redirected (crisis, safeguarding, statutory care) or needs review. Staff work the "
        "review queue, override decisions, publish rule set versions and try drafts against past referrals."
    ),
    publishes=(
        Publication(topics.TRIAGE_DECISIONS, ("triage.decided",),
                    description="Every decision (and every later override), keyed by referral id."),
    ),
)


async def load_rulesets(ctx: ServiceContext) -> None:
    deps: TriageDependencies = ctx.dependencies
    await handlers.load_shipped(load_ruleset_files(deps.shipped_rulesets), uow_factory=deps.uow_factory)


DEFINITION = ServiceDefinition(
    name="triage",
    schema=tables.SCHEMA,
    migrations=Path(__file__).parent / "adapters" / "migrations",
    outbox=tables.outbox,
    routers=[router],
    consumers=build_consumers,
    bootstrap=bootstrap,
    domain_gauges=gauges.refresh,
    startup=load_rulesets,
    api=API,
)
