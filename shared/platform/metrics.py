"""Prometheus metrics every service exposes at /metrics.

Counters and histograms are updated as work happens; gauges about queues that
live in the database (outbox backlog, review queue, waiting list...) are read
fresh from the database when Prometheus scrapes, so every replica reports the
same truth. Labels carry ids and codes, never personal data.
"""

from __future__ import annotations


import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy.ext.asyncio import AsyncConnection

REGISTRY = CollectorRegistry()

EVENTS_CONSUMED = Counter("referrals_events_consumed_total", "Records handled by a consumer, by outcome",
                          ["consumer", "event_type", "outcome"], registry=REGISTRY)
HANDLER_SECONDS = Histogram("referrals_event_handler_seconds", "Time to handle one event", ["consumer"],
                            registry=REGISTRY, buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
RETRIES = Counter("referrals_event_retries_total", "Handler attempts that failed and were retried", ["consumer"],
                  registry=REGISTRY)
DEAD_LETTERED = Counter("referrals_events_dead_lettered_total", "Records parked on a dead-letter topic",
                        ["consumer", "error_type"], registry=REGISTRY)
EVENTS_PUBLISHED = Counter("referrals_events_published_total", "Events the outbox relay published",
                           ["service", "event_type"], registry=REGISTRY)
OUTBOX_BACKLOG = Gauge("referrals_outbox_backlog", "Outbox rows not yet published", ["service"], registry=REGISTRY)
OUTBOX_OLDEST = Gauge("referrals_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row",
                      ["service"], registry=REGISTRY)
CONSUMER_LAG = Gauge("referrals_consumer_lag", "Records on a partition not yet committed by the group",
                     ["consumer", "partition"], registry=REGISTRY)


async def refresh_outbox(conn: AsyncConnection, service: str, outbox: sa.Table) -> None:
    row = (await conn.execute(sa.select(
        sa.func.count(), sa.func.extract("epoch", sa.func.now() - sa.func.min(outbox.c.created_at)))
        .where(outbox.c.published_at.is_(None)))).one()
    OUTBOX_BACKLOG.labels(service).set(row[0])
    OUTBOX_OLDEST.labels(service).set(float(row[1] or 0))


def render() -> bytes:
    return generate_latest(REGISTRY)


def zero(*gauges: Gauge) -> None:
    """Set every series a gauge has shown to 0 before a refresh, so a queue that emptied reads 0."""
    for gauge in gauges:
        for labels in list(gauge._metrics):  # noqa: SLF001 - prometheus_client keeps its series here
            gauge.labels(*labels).set(0)
