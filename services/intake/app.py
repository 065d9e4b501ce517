"""The intake service: wiring of its routes, subscribers, background work, tables and migrations."""

from __future__ import annotations

from pathlib import Path

from services.intake.adapters import gauges, tables
from services.intake.bootstrap import bootstrap
from services.intake.entrypoints.consumers import build_consumers
from services.intake.entrypoints.http import router
from shared.platform.definition import Publication, ServiceApi
from shared.platform.input_limits import MIB, InputLimits
from shared.platform.messaging.kafka import ensure_topic
from shared.platform.service import ServiceContext, ServiceDefinition
from shared.schemas import topics

API = ServiceApi(
    summary="Intake: referrals in from every channel, stored as sent, validated, matched to a person and published.",
    description=(
        "Partners post referrals over the JSON API (`X-API-Key`, idempotent), FHIR R4, CSV batches or Kafka; "
        "people refer themselves with the form; staff take referrals by phone and from outreach. Every accepted "
        "referral becomes `referral.received`, naming the person by a pseudonymous id: intake is the person registry, "
        "and identifying and contact data stay in it (`GET /v1/cases/{case_id}/person`). Referrers follow their referrals by `GET /v1/referrals/{id}`, "
        "signed webhook, or their own status topic."
    ),
    publishes=(
        Publication(topics.REFERRALS, ("referral.received",), versions=(2,),
                    description="Every accepted referral, keyed by referral id: pseudonymous (version 2), the "
                    "person's details stay in intake's registry."),
        Publication(topics.REFERRALS, ("referral.details_corrected",),
                    description="A correction of a case's person changed what caseload matches on (language, "
                    "interpreter need, postcode district), keyed by referral id: coded values only."),
        Publication(
            topics.referral_status_topic("{partner_id}"), ("referral.status_changed",),
            description="A partner's own topic: the status of each of its referrals as it changes, keyed by "
            "referral id (one topic per partner, so broker ACLs keep partners apart).",
            parameters=(("partner_id", "The referring partner's id"),),
        ),
        Publication(topics.ERASURES, ("person.erased",),
                    description="A person erased from the registry, keyed by pseudonymous person id: every "
                    "service destroys its own data key for the person, so what it sealed is unreadable."),
    ),
)


async def partner_status_topics(ctx: ServiceContext) -> None:
    """Every partner's status topic exists before the relay publishes to it (e.g. on a fresh broker)."""
    async with ctx.dependencies.uow() as uow:
        partner_ids = await uow.partners.ids()
    for partner_id in partner_ids:
        await ensure_topic(ctx.settings.kafka, ctx.topics.referral_status(partner_id))


def background(ctx: ServiceContext):
    return [ctx.dependencies.webhooks.run, ctx.dependencies.retention, ctx.dependencies.search_indexing]


def routers():
    from services.intake.entrypoints.fhir import router as fhir_router
    from services.intake.entrypoints.registry import router as registry_router
    from services.intake.entrypoints.rejected import router as rejected_router
    from services.intake.entrypoints.search import router as search_router
    from services.intake.entrypoints.self_referral.routes import router as web_router

    return [router, registry_router, search_router, rejected_router, fhir_router, web_router]


DEFINITION = ServiceDefinition(
    name="intake",
    schema=tables.SCHEMA,
    migrations=Path(__file__).parent / "adapters" / "migrations",
    outbox=tables.outbox,
    routers=routers(),
    bootstrap=bootstrap,
    consumers=build_consumers,
    background=background,
    startup=partner_status_topics,
    domain_gauges=gauges.refresh,
    # A FHIR message carries more than a referral needs; a council's batch file holds many.
    input_limits=InputLimits(bodies=(("/fhir/", 1 * MIB), ("/v1/referral-batches", 5 * MIB)),
                             fhir_prefixes=("/fhir/",), html_prefixes=("/self-referral/",),
                             # Every submission is kept as sent, with what was wrong with it.
                             submission_prefixes=("/v1/referrals", "/v1/phone-referrals", "/fhir/Bundle",
                                                  "/fhir/ServiceRequest")),
    api=API,
)
