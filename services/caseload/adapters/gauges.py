"""Caseload's queue gauges for Prometheus, read from its tables at scrape time."""

from __future__ import annotations

import sqlalchemy as sa
from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.platform.metrics import REGISTRY, zero

# A waiting case's site is the one whose workers cover the person's postcode district; "unspecified"
# when no site, or more than one, does (the case then waits for whichever frees up first).
WAITING = Gauge("referrals_waiting_list_depth", "People waiting for a worker", ["programme", "site"],
                registry=REGISTRY)
OLDEST_WAIT = Gauge("referrals_waiting_list_oldest_wait_seconds", "Longest current wait", ["programme", "site"],
                    registry=REGISTRY)
OPEN_OFFERS = Gauge("referrals_offers_open", "Offers waiting for an answer", ["programme"], registry=REGISTRY)
EXPIRED_OFFERS = Gauge("referrals_offers_expired", "Offers that lapsed unanswered (all time)", ["programme"],
                       registry=REGISTRY)
AWAITING_CONTACT = Gauge("referrals_awaiting_first_contact", "Assigned cases with no first contact yet",
                         ["programme"], registry=REGISTRY)
AWAITING_CONTACT_OLDEST = Gauge("referrals_awaiting_first_contact_oldest_age_seconds",
                                "Time since assignment of the longest-uncontacted case", ["programme"],
                                registry=REGISTRY)
BREACHES = Gauge("referrals_first_contact_breaches_open", "Assigned cases past their first-contact deadline "
                 "with no contact yet", ["programme"], registry=REGISTRY)
HOURS_USED = Gauge("referrals_capacity_hours_used", "Weekly hours booked on open cases", ["programme", "site"],
                   registry=REGISTRY)
HOURS_CONTRACTED = Gauge("referrals_capacity_hours_contracted", "Weekly casework hours of active workers",
                         ["programme", "site"], registry=REGISTRY)


async def refresh(conn: AsyncConnection) -> None:
    zero(WAITING, OLDEST_WAIT, OPEN_OFFERS, EXPIRED_OFFERS, AWAITING_CONTACT, AWAITING_CONTACT_OLDEST, BREACHES,
         HOURS_USED, HOURS_CONTRACTED)
    rows = await conn.execute(sa.text("""
        SELECT c.programme_id, coalesce(covering.site, 'unspecified') AS site, count(*) AS waiting,
               coalesce(extract(epoch FROM now() - min(c.waiting_since)), 0) AS oldest
        FROM caseload.cases c
        LEFT JOIN LATERAL (
            SELECT min(w.site) AS site FROM caseload.workers w
            WHERE w.active AND w.programme_id = c.programme_id AND w.site IS NOT NULL
              AND c.needs->>'postcode_district' = ANY(w.travel_districts)
            HAVING count(DISTINCT w.site) = 1) covering ON true
        WHERE c.status = 'waiting' GROUP BY 1, 2"""))
    for r in rows:
        WAITING.labels(r.programme_id, r.site).set(r.waiting)
        OLDEST_WAIT.labels(r.programme_id, r.site).set(float(r.oldest))
    rows = await conn.execute(sa.text("""
        SELECT c.programme_id, count(*) FILTER (WHERE o.status = 'open') AS open,
               count(*) FILTER (WHERE o.status = 'expired') AS expired
        FROM caseload.offers o JOIN caseload.cases c ON c.id = o.case_id GROUP BY 1"""))
    for r in rows:
        OPEN_OFFERS.labels(r.programme_id).set(r.open)
        EXPIRED_OFFERS.labels(r.programme_id).set(r.expired)
    rows = await conn.execute(sa.text("""
        SELECT programme_id, count(*) AS n, extract(epoch FROM now() - min(assigned_at)) AS oldest,
               count(*) FILTER (WHERE first_contact_due_at < now()) AS breached
        FROM caseload.cases WHERE status = 'assigned' AND first_contact_at IS NULL GROUP BY 1"""))
    for r in rows:
        AWAITING_CONTACT.labels(r.programme_id).set(r.n)
        AWAITING_CONTACT_OLDEST.labels(r.programme_id).set(float(r.oldest or 0))
        BREACHES.labels(r.programme_id).set(r.breached)
    rows = await conn.execute(sa.text("""
        SELECT programme_id, coalesce(site, 'unspecified') AS site, sum(load_hours) AS used,
               sum(capacity_hours) AS contracted
        FROM caseload.workers WHERE active GROUP BY 1, 2"""))
    for r in rows:
        HOURS_USED.labels(r.programme_id, r.site).set(float(r.used))
        HOURS_CONTRACTED.labels(r.programme_id, r.site).set(float(r.contracted))
