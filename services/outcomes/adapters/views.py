"""Outcomes' read side: the queries the reports and the case view count from, over the facts' tables.

Read-only: each call takes a connection from the engine for its own snapshot and gives it back.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.outcomes.service_layer.ports import CompletenessRows, FunnelRows, OutcomesViews

from . import tables as t

BREAKDOWNS = {
    "trigger_group": "trigger_group",
    "source": "r.source_category",
    "age_band": "r.age_band",
    "gender": "r.gender",
    "support": "c.worker_role",
    "contacts": ("CASE WHEN c.contacts = 0 THEN '0' WHEN c.contacts = 1 THEN '1' WHEN c.contacts <= 3 THEN '2-3' "
                 "WHEN c.contacts <= 7 THEN '4-7' ELSE '8+' END"),
}


def _conditions(**given: tuple[str, Any]) -> tuple[str, dict[str, Any]]:
    """Report filters: `name=(sql using :name, value)`; those given a value are ANDed together.

    Returns ("TRUE AND ..." , parameters), ready for a WHERE clause.
    """
    used = {name: (sql, value) for name, (sql, value) in given.items() if value}
    return " AND ".join(["TRUE", *(sql for sql, _ in used.values())]), {n: v for n, (_, v) in used.items()}


def _filters(programme_id, worker_id, closed_from, closed_to) -> tuple[str, dict[str, Any]]:
    return _conditions(programme_id=("c.programme_id = :programme_id", programme_id),
                       worker_id=("c.worker_id = :worker_id", worker_id),
                       closed_from=("c.closed_at >= :closed_from", closed_from),
                       closed_to=("c.closed_at < :closed_to", closed_to))


async def _rows(conn: AsyncConnection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in (await conn.execute(sa.text(sql), params)).mappings().all()]


class SqlOutcomesViews(OutcomesViews):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def case_measures(self, case_id: uuid.UUID) -> list[dict[str, Any]]:
        m = t.measures
        async with self._engine.connect() as conn:
            rows = (await conn.execute(sa.select(m).where(m.c.case_id == case_id)
                                       .order_by(m.c.instrument, m.c.recorded_at))).mappings().all()
        return [dict(r) for r in rows]

    async def shares_data(self, case_id: uuid.UUID) -> bool:
        c, r = t.case_facts, t.referral_facts
        async with self._engine.connect() as conn:
            said = (await conn.execute(sa.select(r.c.to_data_sharing).join(c, c.c.referral_id == r.c.referral_id)
                                       .where(c.c.case_id == case_id))).scalar()
        return said is not False

    async def change_rows(self, *, instrument: str, better_sign: int, meaningful: float, programme_id: str | None,
                          worker_id: str | None, closed_from: datetime | None, closed_to: datetime | None,
                          breakdown: str | None) -> list[dict[str, Any]]:
        where, params = _filters(programme_id, worker_id, closed_from, closed_to)
        params["instrument"] = instrument
        group = BREAKDOWNS[breakdown] if breakdown else "'all'"
        lateral = ", unnest(CASE WHEN cardinality(r.trigger_groups) = 0 THEN ARRAY['none or not assessed'] " \
                  "ELSE r.trigger_groups END) AS trigger_group" if breakdown == "trigger_group" else ""
        lonely = "IN ('lonely', 'most_lonely')"
        sql = f"""
            SELECT {group} AS grp,
                   count(*) AS paired,
                   count(*) FILTER (WHERE (e.score - b.score) * :sign > 0) AS improved,
                   count(*) FILTER (WHERE e.score = b.score) AS same,
                   count(*) FILTER (WHERE (e.score - b.score) * :sign < 0) AS worse,
                   avg(e.score - b.score) AS mean_change,
                   stddev_samp(e.score - b.score) AS sd_change,
                   avg(b.score) AS mean_start, avg(e.score) AS mean_end,
                   count(*) FILTER (WHERE b.category {lonely}) AS lonely_at_start,
                   count(*) FILTER (WHERE b.category {lonely} AND e.category NOT IN ('lonely', 'most_lonely'))
                       AS lonely_to_not_lonely,
                   count(f.score) AS with_follow_up,
                   avg(f.score - b.score) AS mean_change_to_follow_up,
                   avg(f.score - e.score) AS mean_change_end_to_follow_up,
                   count(*) FILTER (WHERE f.score IS NOT NULL AND (f.score - b.score) * :sign > 0)
                       AS improved_at_follow_up,
                   count(*) FILTER (WHERE (e.score - b.score) * :sign >= :meaningful) AS meaningful_improvement
            FROM {t.SCHEMA}.measures b
            JOIN {t.SCHEMA}.measures e ON e.case_id = b.case_id AND e.instrument = b.instrument
                 AND e.timepoint = 'end'
            JOIN {t.SCHEMA}.case_facts c ON c.case_id = b.case_id
            LEFT JOIN {t.SCHEMA}.referral_facts r ON r.referral_id = c.referral_id
            LEFT JOIN {t.SCHEMA}.measures f ON f.case_id = b.case_id AND f.instrument = b.instrument
                 AND f.timepoint = 'follow_up' AND f.score IS NOT NULL
            {lateral}
            WHERE b.instrument = :instrument AND b.timepoint = 'baseline' AND b.score IS NOT NULL
                  AND e.score IS NOT NULL AND {where}
            GROUP BY 1 ORDER BY 1
        """
        params |= {"sign": better_sign, "meaningful": meaningful}
        async with self._engine.connect() as conn:
            return await _rows(conn, sql, params)

    async def funnel(self, programme_id: str | None, received_from: datetime | None,
                     received_to: datetime | None) -> FunnelRows:
        where, params = _conditions(programme_id=("r.programme_id = :programme_id", programme_id),
                                    received_from=("r.received_at >= :received_from", received_from),
                                    received_to=("r.received_at < :received_to", received_to))
        s = t.SCHEMA
        async with self._engine.connect() as conn:
            head = (await conn.execute(sa.text(f"""
                SELECT count(*) AS referrals, count(DISTINCT r.person_id) AS people,
                       count(*) FILTER (WHERE r.decision = 'accepted') AS accepted,
                       count(*) FILTER (WHERE r.decision = 'declined') AS declined,
                       count(*) FILTER (WHERE r.decision = 'redirected') AS redirected,
                       count(*) FILTER (WHERE r.decision = 'needs_review') AS in_review,
                       count(c.case_id) AS cases, count(c.assigned_at) AS assigned,
                       count(c.first_contact_at) AS contacted, count(c.closed_at) AS closed,
                       percentile_cont(0.5) WITHIN GROUP
                           (ORDER BY extract(epoch FROM c.first_contact_at - r.received_at) / 86400)
                           AS median_days_to_first_contact,
                       percentile_cont(0.5) WITHIN GROUP
                           (ORDER BY extract(epoch FROM c.closed_at - c.assigned_at) / 86400)
                           AS median_days_in_service,
                       avg(c.contacts) FILTER (WHERE c.closed_at IS NOT NULL) AS mean_contacts_per_closed_case,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY c.contacts) FILTER (WHERE c.closed_at IS NOT NULL)
                           AS median_contacts_per_closed_case,
                       count(*) FILTER (WHERE c.closed_at IS NOT NULL AND c.contacts = 0) AS closed_without_contact
                FROM {s}.referral_facts r LEFT JOIN {s}.case_facts c ON c.referral_id = r.referral_id
                WHERE {where}"""), params)).mappings().one()
            declined = await _rows(conn, f"""
                SELECT r.decision, r.decision_reason AS reason, count(*) AS referrals FROM {s}.referral_facts r
                WHERE {where} AND r.decision IN ('declined', 'redirected') GROUP BY 1, 2 ORDER BY 3 DESC""", params)
            closures = await _rows(conn, f"""
                SELECT c.closure_reason AS reason, count(*) AS cases FROM {s}.referral_facts r
                JOIN {s}.case_facts c ON c.referral_id = r.referral_id
                WHERE {where} AND c.closed_at IS NOT NULL GROUP BY 1 ORDER BY 2 DESC""", params)
            signposts = await _rows(conn, f"""
                SELECT sp.destination, count(*) AS signposted, count(*) FILTER (WHERE sp.taken_up) AS taken_up,
                       count(*) FILTER (WHERE sp.taken_up IS NULL) AS take_up_unknown
                FROM {s}.referral_facts r JOIN {s}.case_facts c ON c.referral_id = r.referral_id
                JOIN {s}.signposts sp ON sp.case_id = c.case_id WHERE {where} GROUP BY 1 ORDER BY 2 DESC""", params)
            unmet = await _rows(conn, f"""
                SELECT u.need, u.postcode_district AS area, count(*) AS times FROM {s}.referral_facts r
                JOIN {s}.case_facts c ON c.referral_id = r.referral_id JOIN {s}.unmet_needs u ON u.case_id = c.case_id
                WHERE {where} GROUP BY 1, 2 ORDER BY 3 DESC""", params)
        return FunnelRows(dict(head), declined, closures, signposts, unmet)

    async def completeness(self, programme_id: str | None, instrument: str) -> CompletenessRows:
        s = t.SCHEMA
        params = {"instrument": instrument, "programme_id": programme_id}
        programme_filter = "AND c.programme_id = :programme_id" if programme_id else ""
        async with self._engine.connect() as conn:
            rows = await _rows(conn, f"""
                SELECT c.programme_id, c.worker_id, count(*) AS closed_cases,
                       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM {s}.measures m WHERE m.case_id = c.case_id
                             AND m.instrument = :instrument AND m.timepoint = 'baseline' AND m.score IS NOT NULL))
                             AS with_baseline,
                       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM {s}.measures m WHERE m.case_id = c.case_id
                             AND m.instrument = :instrument AND m.timepoint = 'end' AND m.score IS NOT NULL))
                             AS with_end,
                       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM {s}.measures m WHERE m.case_id = c.case_id
                             AND m.instrument = :instrument AND m.timepoint = 'follow_up' AND m.score IS NOT NULL))
                             AS with_follow_up
                FROM {s}.case_facts c WHERE c.closed_at IS NOT NULL {programme_filter}
                GROUP BY ROLLUP (c.programme_id, c.worker_id) ORDER BY 1, 2""", params)
            reasons = await _rows(conn, f"""
                SELECT m.timepoint, coalesce(m.not_collected_reason, 'invalid: ' || m.invalid_reason) AS reason,
                       count(*) AS cases
                FROM {s}.measures m JOIN {s}.case_facts c ON c.case_id = m.case_id
                WHERE m.instrument = :instrument AND m.score IS NULL {programme_filter}
                GROUP BY 1, 2 ORDER BY 3 DESC""", params)
        return CompletenessRows(rows, reasons)

    async def unmet_need_counts(self, programme_id: str | None, recorded_from: datetime | None,
                                recorded_to: datetime | None) -> list[dict[str, Any]]:
        where, params = _conditions(programme_id=("u.programme_id = :programme_id", programme_id),
                                    recorded_from=("u.recorded_at >= :recorded_from", recorded_from),
                                    recorded_to=("u.recorded_at < :recorded_to", recorded_to))
        # A kind as staff typed it, told apart from another only by its words (not case or spacing);
        # grouping sets give each level's distinct cases, which adding up the finer rows would not.
        sql = f"""
            WITH needs AS (
                SELECT lower(btrim(u.need)) AS kind, coalesce(u.postcode_district, 'not known') AS area, u.case_id
                FROM {t.SCHEMA}.unmet_needs u WHERE {where})
            SELECT CASE WHEN GROUPING(kind) = 0 THEN kind END AS kind,
                   CASE WHEN GROUPING(area) = 0 THEN area END AS area,
                   count(*) AS times, count(DISTINCT case_id) AS cases
            FROM needs GROUP BY GROUPING SETS ((kind, area), (kind), (area), ())
            ORDER BY GROUPING(kind), GROUPING(area), times DESC, kind, area"""
        async with self._engine.connect() as conn:
            return await _rows(conn, sql, params)
