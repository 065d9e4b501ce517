"""Triage's review-queue gauges for Prometheus, read from its tables at scrape time."""

from __future__ import annotations

import sqlalchemy as sa
from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.platform.metrics import REGISTRY, zero

DEPTH = Gauge("referrals_review_queue_depth", "Referrals waiting for a person to decide", ["programme"],
              registry=REGISTRY)
OLDEST = Gauge("referrals_review_queue_oldest_age_seconds", "Age of the oldest undecided review", ["programme"],
               registry=REGISTRY)
OVERDUE = Gauge("referrals_review_queue_overdue", "Reviews past their due time", ["programme"], registry=REGISTRY)


async def refresh(conn: AsyncConnection) -> None:
    zero(DEPTH, OLDEST, OVERDUE)
    rows = await conn.execute(sa.text("""
        SELECT programme_id, count(*) AS depth, extract(epoch FROM now() - min(created_at)) AS oldest,
               count(*) FILTER (WHERE due_at < now()) AS overdue
        FROM triage.reviews WHERE status <> 'decided' GROUP BY 1"""))
    for r in rows:
        DEPTH.labels(r.programme_id).set(r.depth)
        OLDEST.labels(r.programme_id).set(float(r.oldest or 0))
        OVERDUE.labels(r.programme_id).set(r.overdue)
