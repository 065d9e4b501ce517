"""Reproduce the British Red Cross evaluation's UCLA-3 figures from records.

820 people whose start and end scores follow the published distribution go through
the real pipeline (intake, triage, caseload, outcomes) as closed cases. The report must
count 569 / 221 / 30 improved / same / worse (69.4% / 26.9% / 3.7%) and 279 of the 676
lonely at the start no longer lonely; the mean change and its CI are the report's own.
"""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest

pytestmark = pytest.mark.e2e
PROGRAMME = "brc-community-connectors"

# (start, end, people): built so the marginals match the published figures (see the module docstring).
COHORT = [
    (6, 5, 21), (7, 5, 40), (8, 5, 50), (9, 5, 85), (9, 4, 59), (9, 3, 24),  # lonely -> not lonely: 279
    (9, 8, 104), (9, 7, 100), (9, 6, 36),  # lonely, improved, still lonely: 240
    (5, 4, 30), (5, 3, 20),  # not lonely, improved: 50
    (8, 8, 141), (4, 4, 80),  # the same: 221
    (7, 8, 12), (7, 9, 4), (4, 5, 12), (3, 5, 2),  # worse: 30
]


def items_for(total: int) -> list[int]:
    items = [1, 1, 1]
    for i in range(total - 3):
        items[i % 3] += 1
    return items


def nhs_numbers(count: int, rng: random.Random) -> list[str]:
    numbers = set()
    while len(numbers) < count:
        digits = [rng.randint(0, 9) for _ in range(9)]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            numbers.add("".join(map(str, digits)) + str(check))
    return sorted(numbers)


async def test_report_reproduces_the_published_british_red_cross_figures(shared_system):
    system = shared_system
    rng = random.Random(820)
    for _ in range(8):
        await system.add_worker("volunteer", "60", programme=PROGRAMME, max_open_cases=200)
    key = await system.setup_partner(programmes=(PROGRAMME,), partner_id="brc-records")
    pairs = [(start, end) for start, end, people in COHORT for _ in range(people)]
    assert len(pairs) == 820
    numbers = nhs_numbers(820, rng)
    sources = [("statutory", "nhs_gp"), ("self", "self_referral"), ("third_sector", "charity"),
               ("statutory", "social_services")]
    limit = asyncio.Semaphore(12)

    async with httpx.AsyncClient(timeout=30) as http:
        async def refer(i: int) -> str:
            category, subcategory = sources[i % len(sources)]
            body = {"partner_referral_id": f"BRC-{i}", "programme_id": PROGRAMME,
                    "person": {"given_name": "Person", "family_name": f"Cohort{i}", "nhs_number": numbers[i],
                               "age_years": 18 + i % 70, "gender": ["female", "male"][i % 2]},
                    "consent": {"to_referral": True},
                    "referrer": {"source_category": category, "source_subcategory": subcategory}}
            while True:
                async with limit:
                    response = await http.post(f"{system.url('intake')}/v1/referrals", headers={"X-API-Key": key},
                                               json=body)
                if response.status_code != 429:
                    break
                # As a partner must: past intake's rate limit, send again after the time it names.
                await asyncio.sleep(float(response.headers["Retry-After"]))
            assert response.status_code == 201, response.text
            return response.json()["referral_id"]

        referral_ids = await asyncio.gather(*(refer(i) for i in range(820)))
        cases = await system.wait_for(
            "SELECT c.id, c.referral_id, c.worker_id FROM caseload.cases c WHERE c.programme_id = $1 AND c.status = 'assigned'",
            PROGRAMME, predicate=lambda rows: len(rows) == 820, timeout_s=600)
        case_of = {str(c["referral_id"]): c["id"] for c in cases}
        # Each case is worked by the volunteer who holds it: a worker's token moves its own cases only.
        worker_of = {str(c["referral_id"]): str(c["worker_id"]) for c in cases}

        async def close(i: int) -> None:
            start, end = pairs[i]
            url = f"{system.url('caseload')}/v1/cases/{case_of[referral_ids[i]]}"
            volunteer = system.staff_headers("volunteer", worker_id=worker_of[referral_ids[i]])
            async with limit:
                contact = await http.post(f"{url}/contacts", headers=volunteer, json={"kind": "phone", "minutes": 15})
                assert contact.status_code == 201, contact.text
                closed = await http.post(f"{url}/close", headers=volunteer, json={
                    "reason": "planned_end",
                    "measures": [{"instrument": "ucla3", "timepoint": "baseline", "items": items_for(start)},
                                 {"instrument": "ucla3", "timepoint": "end", "items": items_for(end)}]})
                assert closed.status_code == 200, closed.text

        await asyncio.gather(*(close(i) for i in range(820)))
        await system.wait_for("SELECT count(*) AS n FROM outcomes.measures WHERE programme_id = $1", PROGRAMME,
                              predicate=lambda rows: rows[0]["n"] == 1640, timeout_s=300)
        await system.wait_for("SELECT count(*) AS n FROM outcomes.case_facts WHERE programme_id = $1 "
                              "AND closed_at IS NOT NULL", PROGRAMME,
                              predicate=lambda rows: rows[0]["n"] == 820, timeout_s=300)

        # Outcomes hears of decisions on their own topic; wait until it has all of them too.
        await system.wait_for("SELECT count(*) AS n FROM outcomes.referral_facts WHERE programme_id = $1 "
                              "AND decision = 'accepted'", PROGRAMME,
                              predicate=lambda rows: rows[0]["n"] == 820, timeout_s=300)
        analyst = system.staff_headers("manager")  # reports are a manager's
        report = (await http.get(f"{system.url('outcomes')}/v1/reports/outcomes",
                                 params={"programme_id": PROGRAMME}, headers=analyst)).json()
        [overall] = report["groups"]
        assert (overall["paired"], overall["improved"], overall["same"], overall["worse"]) == (820, 569, 221, 30)
        assert (overall["improved_pct"], overall["same_pct"], overall["worse_pct"]) == (69.4, 26.9, 3.7)
        assert (overall["lonely_at_start"], overall["lonely_to_not_lonely"]) == (676, 279)
        assert overall["lonely_to_not_lonely_pct"] == 41.3
        # Published: mean change -1.8 (SD 1.8). The report computes them, and the CI, from the records.
        assert round(overall["mean_change"], 1) == -1.8 and round(overall["sd_change"], 1) == 1.8
        low, high = overall["ci95_mean_change"]
        assert low < overall["mean_change"] < high and 0.2 < high - low < 0.3

        # The same records, broken down, as CSV, as a chart; completeness and the funnel agree.
        by_source = (await http.get(f"{system.url('outcomes')}/v1/reports/outcomes", headers=analyst,
                                    params={"programme_id": PROGRAMME, "breakdown": "source"})).json()
        assert sum(g["paired"] for g in by_source["groups"]) == 820
        assert {g["group"] for g in by_source["groups"]} == {"statutory", "self", "third_sector"}
        by_support = (await http.get(f"{system.url('outcomes')}/v1/reports/outcomes", headers=analyst,
                                     params={"programme_id": PROGRAMME, "breakdown": "support"})).json()
        assert [(g["group"], g["paired"]) for g in by_support["groups"]] == [("volunteer", 820)]
        csv_text = (await http.get(f"{system.url('outcomes')}/v1/reports/outcomes", headers=analyst,
                                   params={"programme_id": PROGRAMME, "format": "csv"})).text
        header, row = csv_text.strip().splitlines()
        assert header.startswith("group,paired,improved,same,worse") and row.startswith("all,820,569,221,30")
        svg = await http.get(f"{system.url('outcomes')}/v1/reports/outcomes", headers=analyst,
                             params={"programme_id": PROGRAMME, "format": "svg", "breakdown": "age_band"})
        assert svg.headers["content-type"].startswith("image/svg+xml") and "<svg" in svg.text and "<title" in svg.text
        completeness = (await http.get(f"{system.url('outcomes')}/v1/reports/completeness", headers=analyst,
                                       params={"programme_id": PROGRAMME})).json()
        programme_row = next(r for r in completeness["rows"] if r["level"] == "programme")
        assert (programme_row["closed_cases"], programme_row["with_baseline_pct"], programme_row["with_end_pct"],
                programme_row["with_follow_up_pct"]) == (820, 100.0, 100.0, 0.0)
        funnel = (await http.get(f"{system.url('outcomes')}/v1/reports/funnel", headers=analyst,
                                 params={"programme_id": PROGRAMME})).json()
        assert (funnel["referrals"], funnel["people"], funnel["accepted"], funnel["contacted"], funnel["closed"]) == (
            820, 820, 820, 820, 820)
        assert funnel["closure_reasons"] == [{"reason": "planned_end", "cases": 820}]
