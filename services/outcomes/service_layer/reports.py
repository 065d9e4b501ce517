"""Outcome, funnel and completeness reports, counted from the records the same way every time.

Paired change: a case counts when it has both a start (baseline) and an end score on
the instrument. Improved / same / worse follow the instrument's direction (lower is
better on UCLA-3). Mean change is end minus start, with the sample SD and a 95%
confidence interval (t distribution). "Lonely" is the instrument's own cut-off
(UCLA-3: 6-9).
"""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.outcomes.adapters import tables as t
from services.outcomes.domain.instruments import INSTRUMENTS

BREAKDOWNS = {
    "trigger_group": "trigger_group",
    "source": "r.source_category",
    "age_band": "r.age_band",
    "gender": "r.gender",
    "support": "c.worker_role",
    "contacts": ("CASE WHEN c.contacts = 0 THEN '0' WHEN c.contacts = 1 THEN '1' WHEN c.contacts <= 3 THEN '2-3' "
                 "WHEN c.contacts <= 7 THEN '4-7' ELSE '8+' END"),
}

# Two-sided 95% t critical values for small samples; above 30 the normal value is close enough.
_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
        11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086,
        25: 2.060, 30: 2.042}


def t95(df: int) -> float:
    if df > 30:
        return 1.96 if df > 120 else 1.98
    return _T95.get(df) or _T95[min(k for k in _T95 if k >= df)]


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


async def change_report(conn: AsyncConnection, *, instrument: str = "ucla3", programme_id: str | None = None,
                        worker_id: str | None = None, closed_from: datetime | None = None,
                        closed_to: datetime | None = None, breakdown: str | None = None) -> dict[str, Any]:
    spec = INSTRUMENTS[instrument]
    better_sign = -1 if spec.better == "lower" else 1
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
               count(*) FILTER (WHERE f.score IS NOT NULL AND (f.score - b.score) * :sign > 0) AS improved_at_follow_up,
               count(*) FILTER (WHERE (e.score - b.score) * :sign >= :meaningful) AS meaningful_improvement
        FROM {t.SCHEMA}.measures b
        JOIN {t.SCHEMA}.measures e ON e.case_id = b.case_id AND e.instrument = b.instrument AND e.timepoint = 'end'
        JOIN {t.SCHEMA}.case_facts c ON c.case_id = b.case_id
        LEFT JOIN {t.SCHEMA}.referral_facts r ON r.referral_id = c.referral_id
        LEFT JOIN {t.SCHEMA}.measures f ON f.case_id = b.case_id AND f.instrument = b.instrument
             AND f.timepoint = 'follow_up' AND f.score IS NOT NULL
        {lateral}
        WHERE b.instrument = :instrument AND b.timepoint = 'baseline' AND b.score IS NOT NULL
              AND e.score IS NOT NULL AND {where}
        GROUP BY 1 ORDER BY 1
    """
    params |= {"sign": better_sign, "meaningful": spec.meaningful_change or 1}
    rows = (await conn.execute(sa.text(sql), params)).mappings().all()
    groups = [_summarise(dict(r), spec) for r in rows]
    return {"instrument": instrument, "instrument_name": spec.name, "better": spec.better,
            "filters": {"programme_id": programme_id, "worker_id": worker_id,
                        "closed_from": closed_from.isoformat() if closed_from else None,
                        "closed_to": closed_to.isoformat() if closed_to else None},
            "breakdown": breakdown, "groups": groups}


def _summarise(r: dict[str, Any], spec) -> dict[str, Any]:
    n = r["paired"]
    mean = float(r["mean_change"]) if r["mean_change"] is not None else None
    sd = float(r["sd_change"]) if r["sd_change"] is not None else None
    ci = None
    if mean is not None and sd is not None and n > 1:
        half = t95(n - 1) * sd / math.sqrt(n)
        ci = [round(mean - half, 3), round(mean + half, 3)]
    pct = (lambda k: round(100 * r[k] / n, 1) if n else None)
    shares = _shares_adding_to_100([r["improved"], r["same"], r["worse"]])
    summary = {
        "group": r["grp"], "paired": n, "improved": r["improved"], "same": r["same"], "worse": r["worse"],
        "improved_pct": shares[0], "same_pct": shares[1], "worse_pct": shares[2],
        "mean_start": _round(r["mean_start"]), "mean_end": _round(r["mean_end"]),
        "mean_change": _round(mean), "sd_change": _round(sd), "ci95_mean_change": ci,
        "with_follow_up": r["with_follow_up"],
        "mean_change_start_to_follow_up": _round(r["mean_change_to_follow_up"]),
        "mean_change_end_to_follow_up": _round(r["mean_change_end_to_follow_up"]),
        "still_improved_at_follow_up": r["improved_at_follow_up"],
    }
    if spec.id in ("ucla3", "djg6", "ons_loneliness"):
        summary["lonely_at_start"] = r["lonely_at_start"]
        summary["lonely_to_not_lonely"] = r["lonely_to_not_lonely"]
        summary["lonely_to_not_lonely_pct"] = (round(100 * r["lonely_to_not_lonely"] / r["lonely_at_start"], 1)
                                               if r["lonely_at_start"] else None)
    if spec.meaningful_change:
        summary["meaningful_improvement"] = r["meaningful_improvement"]
        summary["meaningful_improvement_pct"] = pct("meaningful_improvement")
    if spec.uk_mean is not None:
        summary["uk_mean"] = spec.uk_mean
        summary["end_minus_uk_mean"] = _round(float(r["mean_end"]) - spec.uk_mean) if r["mean_end"] is not None else None
    return summary


def _shares_adding_to_100(counts: list[int]) -> list[float | None]:
    """Percentages to one decimal that add up to exactly 100 (largest remainder), as evaluations publish them."""
    total = sum(counts)
    if not total:
        return [None] * len(counts)
    tenths = [1000 * c / total for c in counts]
    floors = [int(x) for x in tenths]
    for i in sorted(range(len(counts)), key=lambda i: tenths[i] - floors[i], reverse=True)[: 1000 - sum(floors)]:
        floors[i] += 1
    return [f / 10 for f in floors]


def _round(value, digits: int = 3):
    return round(float(value), digits) if value is not None else None


def to_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    groups = report["groups"]
    columns = ["group", *[k for k in (groups[0] if groups else {}) if k != "group"]]
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for g in groups:
        writer.writerow({k: (";".join(map(str, v)) if isinstance(v, list) else v) for k, v in g.items()})
    return out.getvalue()


def to_svg(report: dict[str, Any]) -> str:
    """A stacked bar per group: improved, same, worse (as shares), labelled for screen readers too."""
    groups = report["groups"]
    width, bar_h, gap, left = 640, 28, 12, 170
    height = 60 + len(groups) * (bar_h + gap) + 30
    colours = {"improved": "#00703c", "same": "#b1b4b6", "worse": "#d4351c"}
    title = f"{report['instrument_name']}: change from start to end"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-labelledby="t d" font-family="sans-serif" font-size="13">',
             f'<title id="t">{_esc(title)}</title>',
             '<desc id="d">' + _esc("; ".join(
                 f"{g['group']}: {g['improved_pct']}% improved, {g['same_pct']}% same, {g['worse_pct']}% worse "
                 f"(n={g['paired']})" for g in groups)) + "</desc>",
             f'<text x="10" y="24" font-size="16" font-weight="bold">{_esc(title)}</text>']
    for i, g in enumerate(groups):
        y = 50 + i * (bar_h + gap)
        parts.append(f'<text x="10" y="{y + bar_h * 0.7}">{_esc(str(g["group"]))} (n={g["paired"]})</text>')
        x = left
        for key in ("improved", "same", "worse"):
            share = (g[key] / g["paired"]) if g["paired"] else 0
            w = share * (width - left - 20)
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colours[key]}">'
                         f'<title>{key}: {g[f"{key}_pct"]}%</title></rect>')
            x += w
    legend_y = height - 16
    for j, key in enumerate(("improved", "same", "worse")):
        parts.append(f'<rect x="{left + j * 120}" y="{legend_y - 11}" width="12" height="12" fill="{colours[key]}"/>'
                     f'<text x="{left + j * 120 + 18}" y="{legend_y}">{key}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def funnel(conn: AsyncConnection, programme_id: str | None, received_from: datetime | None,
                 received_to: datetime | None) -> dict[str, Any]:
    where, params = _conditions(programme_id=("r.programme_id = :programme_id", programme_id),
                                received_from=("r.received_at >= :received_from", received_from),
                                received_to=("r.received_at < :received_to", received_to))
    s = t.SCHEMA
    head = (await conn.execute(sa.text(f"""
        SELECT count(*) AS referrals, count(DISTINCT r.person_id) AS people,
               count(*) FILTER (WHERE r.decision = 'accepted') AS accepted,
               count(*) FILTER (WHERE r.decision = 'declined') AS declined,
               count(*) FILTER (WHERE r.decision = 'redirected') AS redirected,
               count(*) FILTER (WHERE r.decision = 'needs_review') AS in_review,
               count(c.case_id) AS cases, count(c.assigned_at) AS assigned, count(c.first_contact_at) AS contacted,
               count(c.closed_at) AS closed,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM c.first_contact_at - r.received_at) / 86400)
                   AS median_days_to_first_contact,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM c.closed_at - c.assigned_at) / 86400)
                   AS median_days_in_service,
               avg(c.contacts) FILTER (WHERE c.closed_at IS NOT NULL) AS mean_contacts_per_closed_case,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY c.contacts) FILTER (WHERE c.closed_at IS NOT NULL)
                   AS median_contacts_per_closed_case,
               count(*) FILTER (WHERE c.closed_at IS NOT NULL AND c.contacts = 0) AS closed_without_contact
        FROM {s}.referral_facts r LEFT JOIN {s}.case_facts c ON c.referral_id = r.referral_id
        WHERE {where}"""), params)).mappings().one()
    declined = (await conn.execute(sa.text(f"""
        SELECT r.decision, r.decision_reason AS reason, count(*) AS referrals FROM {s}.referral_facts r
        WHERE {where} AND r.decision IN ('declined', 'redirected') GROUP BY 1, 2 ORDER BY 3 DESC"""), params)).mappings().all()
    closures = (await conn.execute(sa.text(f"""
        SELECT c.closure_reason AS reason, count(*) AS cases FROM {s}.referral_facts r
        JOIN {s}.case_facts c ON c.referral_id = r.referral_id
        WHERE {where} AND c.closed_at IS NOT NULL GROUP BY 1 ORDER BY 2 DESC"""), params)).mappings().all()
    signposts = (await conn.execute(sa.text(f"""
        SELECT sp.destination, count(*) AS signposted, count(*) FILTER (WHERE sp.taken_up) AS taken_up,
               count(*) FILTER (WHERE sp.taken_up IS NULL) AS take_up_unknown
        FROM {s}.referral_facts r JOIN {s}.case_facts c ON c.referral_id = r.referral_id
        JOIN {s}.signposts sp ON sp.case_id = c.case_id WHERE {where} GROUP BY 1 ORDER BY 2 DESC"""), params)).mappings().all()
    unmet = (await conn.execute(sa.text(f"""
        SELECT u.need, u.postcode_district AS area, count(*) AS times FROM {s}.referral_facts r
        JOIN {s}.case_facts c ON c.referral_id = r.referral_id JOIN {s}.unmet_needs u ON u.case_id = c.case_id
        WHERE {where} GROUP BY 1, 2 ORDER BY 3 DESC"""), params)).mappings().all()
    return {"programme_id": programme_id, **{k: _plain(v) for k, v in head.items()},
            "declined_or_redirected_by_reason": [dict(r) for r in declined],
            "closure_reasons": [dict(r) for r in closures], "signposts": [dict(r) for r in signposts],
            "unmet_needs": [dict(r) for r in unmet]}


def _plain(value):
    return round(float(value), 2) if value is not None and not isinstance(value, int) else value


async def completeness(conn: AsyncConnection, programme_id: str | None, instrument: str = "ucla3") -> dict[str, Any]:
    """For each programme and worker: the share of closed cases with each measure, and why the rest are missing."""
    s = t.SCHEMA
    params = {"instrument": instrument, "programme_id": programme_id}
    programme_filter = "AND c.programme_id = :programme_id" if programme_id else ""
    rows = (await conn.execute(sa.text(f"""
        SELECT c.programme_id, c.worker_id, count(*) AS closed_cases,
               count(*) FILTER (WHERE EXISTS (SELECT 1 FROM {s}.measures m WHERE m.case_id = c.case_id
                     AND m.instrument = :instrument AND m.timepoint = 'baseline' AND m.score IS NOT NULL)) AS with_baseline,
               count(*) FILTER (WHERE EXISTS (SELECT 1 FROM {s}.measures m WHERE m.case_id = c.case_id
                     AND m.instrument = :instrument AND m.timepoint = 'end' AND m.score IS NOT NULL)) AS with_end,
               count(*) FILTER (WHERE EXISTS (SELECT 1 FROM {s}.measures m WHERE m.case_id = c.case_id
                     AND m.instrument = :instrument AND m.timepoint = 'follow_up' AND m.score IS NOT NULL))
                     AS with_follow_up
        FROM {s}.case_facts c WHERE c.closed_at IS NOT NULL {programme_filter}
        GROUP BY ROLLUP (c.programme_id, c.worker_id) ORDER BY 1, 2"""), params)).mappings().all()
    reasons = (await conn.execute(sa.text(f"""
        SELECT m.timepoint, coalesce(m.not_collected_reason, 'invalid: ' || m.invalid_reason) AS reason, count(*) AS cases
        FROM {s}.measures m JOIN {s}.case_facts c ON c.case_id = m.case_id
        WHERE m.instrument = :instrument AND m.score IS NULL {programme_filter}
        GROUP BY 1, 2 ORDER BY 3 DESC"""), params)).mappings().all()
    result = []
    for r in rows:
        n = r["closed_cases"]
        level = "all" if r["programme_id"] is None else ("programme" if r["worker_id"] is None else "worker")
        result.append({"level": level, "programme_id": r["programme_id"],
                       "worker_id": str(r["worker_id"]) if r["worker_id"] else None, "closed_cases": n,
                       **{f"{k}_pct": round(100 * r[k] / n, 1) if n else None
                          for k in ("with_baseline", "with_end", "with_follow_up")},
                       **{k: r[k] for k in ("with_baseline", "with_end", "with_follow_up")}})
    return {"instrument": instrument, "rows": result, "missing_reasons": [dict(r) for r in reasons]}
