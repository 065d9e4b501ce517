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
import uuid
from datetime import datetime
from typing import Any

from services.outcomes.domain.instruments import INSTRUMENTS
from services.outcomes.service_layer.ports import OutcomesViews
from services.outcomes.service_layer.scope import programme_in_reach, require_case_in_reach
from shared.platform.spreadsheet import safe_cell


class UnknownInstrument(ValueError):
    """A report asked for an instrument outcomes does not know."""

    def __init__(self, instrument: str) -> None:
        super().__init__(f"unknown instrument; one of {', '.join(INSTRUMENTS)}")
        self.instrument = instrument


WITHHELD = "the person did not consent to data sharing: counted in aggregate reports, never shown individually"


class NoMeasuresRecorded(LookupError):
    """The case has no measures (or is not a case outcomes has heard of)."""

    def __init__(self, case_id: uuid.UUID) -> None:
        super().__init__("no measures recorded for that case")
        self.case_id = case_id


# Two-sided 95% t critical values for small samples; above 30 the normal value is close enough.
_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
        11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086,
        25: 2.060, 30: 2.042}


def t95(df: int) -> float:
    if df > 30:
        return 1.96 if df > 120 else 1.98
    return _T95.get(df) or _T95[min(k for k in _T95 if k >= df)]


async def change_report(views: OutcomesViews, *, instrument: str = "ucla3", programme_id: str | None = None,
                        worker_id: str | None = None, closed_from: datetime | None = None,
                        closed_to: datetime | None = None, breakdown: str | None = None,
                        programmes: frozenset[str] | None = None) -> dict[str, Any]:
    """`programmes`: those the asking account works in (None: every one); the report covers only those."""
    programme_id = programme_in_reach(programme_id, programmes)
    if instrument not in INSTRUMENTS:
        raise UnknownInstrument(instrument)
    spec = INSTRUMENTS[instrument]
    rows = await views.change_rows(instrument=instrument, better_sign=-1 if spec.better == "lower" else 1,
                                   meaningful=spec.meaningful_change or 1, programme_id=programme_id,
                                   worker_id=worker_id, closed_from=closed_from, closed_to=closed_to,
                                   breakdown=breakdown)
    groups = [_summarise(r, spec) for r in rows]
    return {"instrument": instrument, "instrument_name": spec.name, "better": spec.better,
            "filters": {"programme_id": programme_id, "worker_id": worker_id,
                        "closed_from": closed_from.isoformat() if closed_from else None,
                        "closed_to": closed_to.isoformat() if closed_to else None},
            "breakdown": breakdown, "groups": groups}


def headline(report: dict[str, Any]) -> dict[str, Any]:
    """The first (for an unbroken-down report, the only) group's figures, or zeros when nothing is paired."""
    empty = {"paired": 0, "improved": 0, "same": 0, "worse": 0, "mean_change": None}
    return report["groups"][0] if report["groups"] else empty


async def case_measures(views: OutcomesViews, case_id: uuid.UUID,
                        programmes: frozenset[str] | None = None) -> dict[str, Any]:
    """A case's measures, and its start-to-end change on each instrument scored at both."""
    measures = await views.case_measures(case_id)
    if not measures:
        raise NoMeasuresRecorded(case_id)
    require_case_in_reach(measures, programmes)
    if not await views.shares_data(case_id):
        # The person did not consent to data sharing: they are counted in the aggregate reports only.
        return {"case_id": str(case_id), "withheld": WITHHELD, "measures": [], "changes": []}
    changes = []
    for instrument in sorted({m["instrument"] for m in measures}):
        by_time = {m["timepoint"]: m for m in measures if m["instrument"] == instrument}
        start, end = by_time.get("baseline"), by_time.get("end")
        if start and end and start["score"] is not None and end["score"] is not None:
            changes.append({"instrument": instrument, "start": float(start["score"]), "end": float(end["score"]),
                            "change": float(end["score"] - start["score"]),
                            "direction": INSTRUMENTS[instrument].improved(float(start["score"]), float(end["score"])),
                            "category_start": start["category"], "category_end": end["category"]})
    return {"case_id": str(case_id), "measures": measures, "changes": changes}


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
        # Group names come from what referrers and staff typed (a referral's source): never a formula.
        writer.writerow({k: safe_cell(";".join(map(str, v)) if isinstance(v, list) else v) for k, v in g.items()})
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


async def funnel(views: OutcomesViews, programme_id: str | None, received_from: datetime | None,
                 received_to: datetime | None, programmes: frozenset[str] | None = None) -> dict[str, Any]:
    programme_id = programme_in_reach(programme_id, programmes)
    rows = await views.funnel(programme_id, received_from, received_to)
    return {"programme_id": programme_id, **{k: _plain(v) for k, v in rows.head.items()},
            "declined_or_redirected_by_reason": rows.declined_or_redirected,
            "closure_reasons": rows.closure_reasons, "signposts": rows.signposts,
            "unmet_needs": rows.unmet_needs}


def _plain(value):
    return round(float(value), 2) if value is not None and not isinstance(value, int) else value


async def completeness(views: OutcomesViews, programme_id: str | None, instrument: str = "ucla3",
                       programmes: frozenset[str] | None = None) -> dict[str, Any]:
    """For each programme and worker: the share of closed cases with each measure, and why the rest are missing."""
    programme_id = programme_in_reach(programme_id, programmes)
    found = await views.completeness(programme_id, instrument)
    rows = found.rows
    result = []
    for r in rows:
        n = r["closed_cases"]
        level = "all" if r["programme_id"] is None else ("programme" if r["worker_id"] is None else "worker")
        result.append({"level": level, "programme_id": r["programme_id"],
                       "worker_id": str(r["worker_id"]) if r["worker_id"] else None, "closed_cases": n,
                       **{f"{k}_pct": round(100 * r[k] / n, 1) if n else None
                          for k in ("with_baseline", "with_end", "with_follow_up")},
                       **{k: r[k] for k in ("with_baseline", "with_end", "with_follow_up")}})
    return {"instrument": instrument, "rows": result, "missing_reasons": found.missing_reasons}


async def unmet_needs(views: OutcomesViews, programme_id: str | None = None, recorded_from: datetime | None = None,
                      recorded_to: datetime | None = None,
                      programmes: frozenset[str] | None = None) -> dict[str, Any]:
    """Needs nothing local met, as workers recorded them: by kind, by area (the person's postcode district,
    which outcomes already holds: nothing more precise), and both together, each with how many times and in
    how many cases. Commissioners read it to see what to fund, and where."""
    programme_id = programme_in_reach(programme_id, programmes)
    rows = await views.unmet_need_counts(programme_id, recorded_from, recorded_to)
    total = next((r for r in rows if r["kind"] is None and r["area"] is None), {"times": 0, "cases": 0})
    count = lambda r: {"times": r["times"], "cases": r["cases"]}  # noqa: E731
    return {"filters": {"programme_id": programme_id,
                        "recorded_from": recorded_from.isoformat() if recorded_from else None,
                        "recorded_to": recorded_to.isoformat() if recorded_to else None},
            **count(total),
            "by_kind": [{"kind": r["kind"], **count(r)} for r in rows if r["kind"] is not None and r["area"] is None],
            "by_area": [{"area": r["area"], **count(r)} for r in rows if r["kind"] is None and r["area"] is not None],
            "by_kind_and_area": [{"kind": r["kind"], "area": r["area"], **count(r)} for r in rows
                                 if r["kind"] is not None and r["area"] is not None]}


def unmet_needs_csv(report: dict[str, Any]) -> str:
    """One row per kind and area; the kinds are what staff typed, so never a formula."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["kind", "area", "times", "cases"])
    for r in report["by_kind_and_area"]:
        writer.writerow([safe_cell(r["kind"]), safe_cell(r["area"]), r["times"], r["cases"]])
    return out.getvalue()
