"""The outcomes benchmark's workload: a large history of closed cases loaded straight into outcomes' tables,
and the reports timed over it. `referrals benchmark outcomes` runs it and prints the figures.
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from services.outcomes.adapters.views import SqlOutcomesViews
from services.outcomes.service_layer import reports
from shared.platform.db import make_engine
from shared.platform.migrations import upgrade_to_head

PROGRAMMES = ["hackney-connect", "leicester-ageing-together", "brc-community-connectors", "demo", "other-scheme"]
SOURCES = [("statutory", "nhs_gp"), ("self", "self_referral"), ("third_sector", "charity"),
           ("statutory", "social_services"), ("provider_own_service", "outreach")]
GROUPS = ["young_parent", "recently_bereaved", "separated", "no_children_at_home", "health_issues",
          "mobility_limitations"]
BANDS = ["18-24", "25-34", "35-49", "50-64", "65-74", "75-84", "85+"]
CHUNK = 50_000
MIGRATIONS = Path(__file__).resolve().parent / "adapters" / "migrations"


async def load(database_url: str, cases: int, seed: int = 1) -> float:
    rng = random.Random(seed)
    workers = [uuid.uuid4() for _ in range(max(10, cases // 2000))]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    conn = await asyncpg.connect(database_url)
    began = time.perf_counter()
    try:
        for offset in range(0, cases, CHUNK):
            referrals, case_rows, measures = [], [], []
            for _ in range(min(CHUNK, cases - offset)):
                referral, case = uuid.uuid4(), uuid.uuid4()
                programme = rng.choice(PROGRAMMES)
                received = start + timedelta(minutes=rng.randint(0, 60 * 24 * 700))
                category, subcategory = rng.choice(SOURCES)
                groups = rng.sample(GROUPS, rng.choice([0, 1, 1, 2, 3]))
                referrals.append((referral, uuid.uuid4(), programme, "bench", category, subcategory,
                                  rng.choice(BANDS), rng.choice(["female", "male", None]), groups, "E8", received,
                                  "accepted", None, received + timedelta(hours=2)))
                assigned = received + timedelta(days=rng.randint(0, 20))
                closed = assigned + timedelta(days=rng.randint(5, 120))
                contacts = rng.randint(0, 15)
                worker = rng.choice(workers)
                case_rows.append((case, referral, programme, worker, rng.choice(["connector", "volunteer"]),
                                  received, assigned, assigned + timedelta(days=2) if contacts else None, closed,
                                  rng.choice(["planned_end", "service_user_choice", "lost_contact", "other"]),
                                  contacts, contacts * 30))
                baseline = rng.randint(3, 9)
                end = max(3, min(9, baseline + rng.choice([-3, -2, -2, -1, -1, 0, 0, 1])))
                for timepoint, score in (("baseline", baseline), ("end", end)) + (
                        (("follow_up", max(3, min(9, end + rng.choice([0, 1, 2])))),) if rng.random() < 0.1 else ()):
                    category_ = "most_lonely" if score >= 8 else "lonely" if score >= 6 else "not_lonely"
                    measures.append((case, "ucla3", timepoint, "1", programme, worker, float(score), category_,
                                     closed))
            await conn.copy_records_to_table(
                "referral_facts", schema_name="outcomes", records=referrals,
                columns=["referral_id", "person_id", "programme_id", "partner_id", "source_category",
                         "source_subcategory", "age_band", "gender", "trigger_groups", "postcode_district",
                         "received_at", "decision", "decision_reason", "decided_at"])
            await conn.copy_records_to_table(
                "case_facts", schema_name="outcomes", records=case_rows,
                columns=["case_id", "referral_id", "programme_id", "worker_id", "worker_role", "opened_at",
                         "assigned_at", "first_contact_at", "closed_at", "closure_reason", "contacts",
                         "contact_minutes"])
            await conn.copy_records_to_table(
                "measures", schema_name="outcomes", records=measures,
                columns=["case_id", "instrument", "timepoint", "instrument_version", "programme_id", "worker_id",
                         "score", "category", "recorded_at"])
        await conn.execute("ANALYZE outcomes.referral_facts; ANALYZE outcomes.case_facts; ANALYZE outcomes.measures")
    finally:
        await conn.close()
    return time.perf_counter() - began


async def time_reports(database_url: str, repeats: int = 3) -> list[tuple[str, float, float]]:
    engine = make_engine(database_url)
    cases = [
        ("UCLA-3 change, one programme", lambda v: reports.change_report(v, programme_id="hackney-connect")),
        ("UCLA-3 change, all programmes", lambda v: reports.change_report(v)),
        ("... by referral source", lambda v: reports.change_report(v, programme_id="hackney-connect",
                                                                    breakdown="source")),
        ("... by trigger group", lambda v: reports.change_report(v, programme_id="brc-community-connectors",
                                                                  breakdown="trigger_group")),
        ("... one year, by contacts", lambda v: reports.change_report(
            v, programme_id="demo", closed_from=datetime(2024, 6, 1, tzinfo=UTC),
            closed_to=datetime(2025, 6, 1, tzinfo=UTC), breakdown="contacts")),
        ("funnel, one programme", lambda v: reports.funnel(v, "hackney-connect", None, None)),
        ("completeness, one programme", lambda v: reports.completeness(v, "leicester-ageing-together")),
    ]
    views = SqlOutcomesViews(engine)
    results = []
    try:
        for name, run in cases:
            timings = []
            for _ in range(repeats):
                began = time.perf_counter()
                await run(views)
                timings.append((time.perf_counter() - began) * 1000)
            results.append((name, statistics.median(timings), max(timings)))
    finally:
        await engine.dispose()
    return results


async def prepare(database_url: str) -> None:
    """outcomes' schema at head on an empty database."""
    await upgrade_to_head(MIGRATIONS, database_url, "outcomes")
