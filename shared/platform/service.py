"""One service process: FastAPI for HTTP, FastStream for events, the outbox relay, migrations.

Start order: migrations, topics, producer, relay, subscribers. Stop order is the
reverse: subscribers first (in-flight handlers finish and commit their offsets
within the graceful timeout), then the relay finishes its batch, then the
producer flushes.
"""

from __future__ import annotations

import asyncio
import inspect
from datetime import timedelta
from contextlib import asynccontextmanager

import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from faststream.kafka import KafkaBroker

from shared.platform import health, metrics, openapi
from shared.platform.auth import StaffPrincipal, require_staff, route_access
from shared.platform.definition import ServiceContext, ServiceDefinition
from shared.platform.docs_routes import api_info, docs_router
from shared.platform.db import make_engine
from shared.platform.dead_letter_routes import dead_letter_replays_router, dead_letter_router
from shared.platform.http import install_http_plumbing
from shared.platform.input_limits import InputLimitsMiddleware
from shared.platform.throttle import FailedAttempts
from shared.platform.logging import configure_logging, get_logger
from shared.platform.messaging.kafka import ensure_topics, make_producer
from shared.platform.messaging.dead_letter_archive import DeadLetterArchive
from shared.platform.sealing import LocalKeyEncryptionKey
from shared.platform.messaging.lag import GroupLag
from shared.platform.messaging.relay import OutboxRelay
from shared.platform.messaging.signing import (
    EnvelopeSigner,
    EnvelopeVerifier,
    check_service_keys,
    load_private_key,
    parse_verify_keys,
)
from shared.platform.migrations import upgrade_to_head
from shared.platform.sessions import RevokedSessions, revocations_consumer
from shared.platform.settings import PlatformSettings
from shared.platform.tracing import configure_tracing, shutdown_tracing
from shared.schemas.topics import CONSUMER_GROUPS, Topics

__all__ = ["ServiceContext", "ServiceDefinition", "create_app", "run"]  # the definition types are re-exported for services

log = get_logger(__name__)


def create_app(definition: ServiceDefinition, settings: PlatformSettings | None = None) -> FastAPI:
    settings = settings or PlatformSettings()
    configure_logging(definition.name, settings.log_level)
    configure_tracing(definition.name, otlp_endpoint=settings.otel_exporter_otlp_endpoint,
                      trace_file=settings.trace_file)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Checked first: keys that are not this service's own, or that miss a producer, stop the
        # service before it touches anything (the settings already refused missing or placeholder ones).
        signing_key = load_private_key(settings.event_signing_key)
        verify_keys = parse_verify_keys(settings.event_verify_keys)
        check_service_keys(definition.name, signing_key, verify_keys)
        signer = EnvelopeSigner(definition.name, signing_key)
        verifier = EnvelopeVerifier(verify_keys)
        await upgrade_to_head(definition.migrations, settings.database_url, definition.schema)
        log.info("migrations_applied", schema=definition.schema)
        topics = Topics(settings.topic_prefix)
        for attempt in range(1, 6):
            try:
                # A broker busy rebalancing can leave an admin request unanswered: ask again.
                await asyncio.wait_for(
                    ensure_topics(settings.kafka, topics, list(CONSUMER_GROUPS)), timeout=15
                )
                break
            except TimeoutError:
                log.warning("topics_not_ready_retrying", attempt=attempt)
        else:
            raise RuntimeError("the broker did not answer topic requests")
        log.info("topics_ready")
        engine = make_engine(settings.database_url)
        producer = make_producer(settings.kafka)
        await producer.start()
        ctx = ServiceContext(definition.name, settings, engine, producer, topics, signer=signer, verifier=verifier)
        app.state.ctx = ctx
        # Read by require_staff for tokens that carry a sign-in session (shared/platform/sessions.py).
        app.state.revoked_sessions = revoked = RevokedSessions(engine, definition.schema)
        if definition.bootstrap:
            ctx.dependencies = definition.bootstrap(ctx)
        if definition.startup is not None:
            await definition.startup(ctx)
        ctx.relay = OutboxRelay(
            engine=engine,
            outbox=definition.outbox,
            producer=producer,
            topics=topics,
            signer=signer,
            kafka=settings.kafka,
            poll_interval_s=settings.relay_poll_interval_ms / 1000,
            batch_size=settings.relay_batch_size,
            retention=timedelta(hours=settings.outbox_retention_hours),
        )
        ctx.relay.start()
        broker = KafkaBroker(
            **settings.kafka.broker_options(),
            graceful_timeout=settings.graceful_timeout_s,
            logger=None,
        )
        # The platform's own subscription, in every service: identity's session revocations (shared/platform/sessions.py).
        ctx.consumers = [*definition.consumers(ctx), revocations_consumer(ctx, revoked)]
        ctx.dead_letters = DeadLetterArchive(engine, definition.schema,
                                             LocalKeyEncryptionKey.from_setting(settings.data_encryption_key),
                                             {c.group: c.replay_parked for c in ctx.consumers if c.replay_parked})
        for consumer in ctx.consumers:
            consumer.archive = ctx.dead_letters
            consumer.register(broker)
        log.info("subscribers_starting")
        await broker.start()
        tasks = [asyncio.create_task(job()) for job in (definition.background(ctx) if definition.background else [])]
        log.info("service_started", port=settings.http_port, consumers=[c.group for c in ctx.consumers])
        app.state.ready = True
        try:
            yield
        finally:
            app.state.ready = False
            log.info("service_stopping")
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await broker.stop()
            await asyncio.gather(*(probe.stop() for probe in ctx.lag_probes.values()), return_exceptions=True)
            await ctx.relay.stop()
            await producer.stop()
            await engine.dispose()
            shutdown_tracing()
            log.info("service_stopped")

    # /docs and /redoc are docs_router's: FastAPI's own load their scripts from a CDN.
    # Every route passes the policy table first (shared/platform/policy.py): one with no row is refused.
    app = FastAPI(**api_info(definition), lifespan=lifespan, docs_url=None, redoc_url=None,
                  dependencies=[Depends(route_access)], **_without_native_telemetry())
    openapi.install(app)
    app.state.settings = settings
    app.state.service_name = definition.name
    app.state.ready = False
    app.state.revoked_sessions = None  # until the lifespan has a database engine
    app.state.failed_attempts = FailedAttempts(settings.auth_max_failures, settings.auth_failure_window_s,
                                               settings.auth_lockout_s)
    # Added first, so the plumbing (correlation id, trace span) wraps its refusals too.
    app.add_middleware(InputLimitsMiddleware, limits=definition.input_limits)
    install_http_plumbing(app)
    app.include_router(_health_router(definition))
    app.include_router(_metrics_router(definition))
    app.include_router(docs_router(definition))
    app.include_router(dead_letter_router())
    app.include_router(dead_letter_replays_router())
    for router in definition.routers:
        app.include_router(router)
    return app


def _without_native_telemetry() -> dict:
    """Newer FastAPI traces requests itself; ours (shared.platform.http) does it on every version,
    and FastAPI's own telemetry logs exception messages, which can quote personal data."""
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters:
        return {"telemetry": {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}}
    return {}


def _metrics_router(definition: ServiceDefinition) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/metrics", include_in_schema=False)
    async def prometheus(request: Request, _: StaffPrincipal = Depends(require_staff())) -> Response:
        ctx: ServiceContext | None = getattr(request.app.state, "ctx", None)
        if ctx is not None:
            try:
                async with ctx.engine.connect() as conn:
                    await metrics.refresh_outbox(conn, definition.name, definition.outbox)
                    if definition.domain_gauges is not None:
                        await definition.domain_gauges(conn)
                await asyncio.wait_for(_refresh_lag(ctx), timeout=3)
            except Exception:  # noqa: BLE001 - a scrape shows what it can; the failure is logged
                log.warning("metrics_refresh_failed", exc_info=True)
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    return router


async def _refresh_lag(ctx: ServiceContext) -> None:
    for consumer in ctx.consumers:
        probe = ctx.lag_probes.get(consumer.group)
        if probe is None:
            probe = ctx.lag_probes[consumer.group] = GroupLag(
                ctx.settings.kafka, f"{ctx.settings.topic_prefix}{consumer.group}", consumer.topic)
        for partition, lag in (await probe.read()).items():
            metrics.CONSUMER_LAG.labels(consumer.group, str(partition)).set(lag)


def _health_router(definition: ServiceDefinition) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health/live")
    async def live() -> dict:
        return {"status": "live", "service": definition.name}

    @router.get("/health/ready")
    async def ready(request: Request, response: Response) -> dict:
        """Ready only when started, the database and the broker answer, and every consumer is in its group."""
        checks: dict[str, str] = {}
        ctx: ServiceContext | None = getattr(request.app.state, "ctx", None)
        if not request.app.state.ready or ctx is None:
            response.status_code = 503
            return {"status": "starting", "service": definition.name}
        database, broker = await asyncio.gather(health.database_problem(ctx.engine),
                                                health.broker_problem(ctx.producer))
        checks["database"] = "ok" if database is None else f"failing: {database}"
        checks["broker"] = "ok" if broker is None else f"failing: {broker}"
        for consumer in ctx.consumers:
            # Events are only handled by consumers that joined their group: until then, not ready.
            problem = consumer.membership()
            checks[f"consumer {consumer.group}"] = "ok" if problem is None else f"failing: {problem}"
        ok = all(v == "ok" for v in checks.values())
        if not ok:
            response.status_code = 503
        return {"status": "ready" if ok else "not ready", "service": definition.name, "checks": checks}

    return router


class _Server(uvicorn.Server):
    """Exit with status 0 after a requested, graceful stop (uvicorn re-raises the signal otherwise)."""

    def handle_exit(self, sig, frame) -> None:
        super().handle_exit(sig, frame)
        self._captured_signals.clear()


def run(definition: ServiceDefinition) -> None:
    settings = PlatformSettings()
    app = create_app(definition, settings)
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.graceful_timeout_s),
    )
    _Server(config).run()
