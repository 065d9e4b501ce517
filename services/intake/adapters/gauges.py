"""Intake's queue gauges for Prometheus, read from its tables at scrape time."""

from __future__ import annotations

import sqlalchemy as sa
from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.platform.metrics import REGISTRY, zero

# Received but not yet decided by triage: should be near zero; growth means triage is stuck or behind.
AWAITING_TRIAGE = Gauge("referrals_awaiting_triage", "Referrals received with no triage decision yet",
                        ["programme"], registry=REGISTRY)
AWAITING_TRIAGE_OLDEST = Gauge("referrals_awaiting_triage_oldest_age_seconds",
                               "Age of the oldest referral with no triage decision yet", ["programme"],
                               registry=REGISTRY)
MATCH_REVIEWS = Gauge("referrals_match_reviews_open", "Uncertain person matches waiting for a person to check",
                      registry=REGISTRY)
MATCH_REVIEWS_OLDEST = Gauge("referrals_match_reviews_oldest_age_seconds", "Age of the oldest open match review",
                             registry=REGISTRY)
WEBHOOKS_PENDING = Gauge("referrals_webhook_deliveries_pending", "Status webhooks not yet delivered to a partner",
                         ["partner"], registry=REGISTRY)
WEBHOOKS_FAILED = Gauge("referrals_webhook_deliveries_failed", "Status webhooks given up on after every retry",
                        ["partner"], registry=REGISTRY)


async def refresh(conn: AsyncConnection) -> None:
    zero(AWAITING_TRIAGE, AWAITING_TRIAGE_OLDEST, WEBHOOKS_PENDING, WEBHOOKS_FAILED)
    rows = await conn.execute(sa.text("""
        SELECT programme_id, count(*) AS n, extract(epoch FROM now() - min(received_at)) AS oldest
        FROM intake.referrals WHERE status = 'received' GROUP BY 1"""))
    for r in rows:
        AWAITING_TRIAGE.labels(r.programme_id).set(r.n)
        AWAITING_TRIAGE_OLDEST.labels(r.programme_id).set(float(r.oldest or 0))
    row = (await conn.execute(sa.text("""
        SELECT count(*) AS n, coalesce(extract(epoch FROM now() - min(created_at)), 0) AS oldest
        FROM intake.match_reviews WHERE status = 'open'"""))).one()
    MATCH_REVIEWS.set(row.n)
    MATCH_REVIEWS_OLDEST.set(float(row.oldest))
    rows = await conn.execute(sa.text("""
        SELECT partner_id, count(*) FILTER (WHERE delivered_at IS NULL AND failed_at IS NULL) AS pending,
               count(*) FILTER (WHERE failed_at IS NOT NULL) AS failed
        FROM intake.webhook_deliveries GROUP BY 1"""))
    for r in rows:
        WEBHOOKS_PENDING.labels(r.partner_id).set(r.pending)
        WEBHOOKS_FAILED.labels(r.partner_id).set(r.failed)
