"""Issue 15's follow-up views through the real broker and database: the submissions intake refused, listed
for the coordinators of the partners' programmes and opened (audited) only by them; unmet needs recorded on
real cases counted by kind and area in outcomes; and both workspace pages in a browser as a coordinator."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest

from tests.e2e.workspace_browser import check_page, new_account, new_context, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def workspace(shared_system):
    return shared_system.start_workspace()


def _refused_body(marker: str) -> dict:
    """A referral intake refuses: a date of birth that is no date, and a key that is a person's name."""
    return {"partner_referral_id": marker, "programme_id": "demo", "rose_marchetti": "my neighbour",
            "person": {"given_name": "Rose", "family_name": "Marchetti", "date_of_birth": "Smarch 1941",
                       "postcode": "N16 0AA"},
            "consent": {"to_referral": True}}


async def _partner(system, programmes: tuple[str, ...]) -> tuple[str, str]:
    partner_id = f"rj-{uuid.uuid4().hex[:8]}"
    return partner_id, await system.setup_partner(programmes=programmes, partner_id=partner_id)


async def _send_refused(system, api_key: str, marker: str) -> dict:
    body = _refused_body(marker)
    async with httpx.AsyncClient(base_url=system.url("intake"), timeout=20) as http:
        response = await http.post("/v1/referrals", headers={"X-API-Key": api_key}, json=body)
    assert response.status_code == 422, response.text
    return body


async def test_refusals_are_listed_for_their_programmes_coordinators_and_opened_by_them_alone(shared_system):
    system = shared_system
    demo_partner, demo_key = await _partner(system, ("demo",))
    north_partner, north_key = await _partner(system, ("north",))
    sent = await _send_refused(system, demo_key, "RJ-1")
    await _send_refused(system, north_key, "RJ-2")

    coordinator = system.staff_headers("coordinator", subject="coord-demo", programmes=["demo"])
    async with httpx.AsyncClient(base_url=system.url("intake"), timeout=20) as http:
        listed = await http.get("/v1/rejected-submissions", headers=coordinator)
        assert listed.status_code == 200, listed.text
        partners = {s["partner_id"] for s in listed.json()}
        assert demo_partner in partners and north_partner not in partners
        [mine] = [s for s in listed.json() if s["partner_id"] == demo_partner]
        assert mine["channel"] == "partner_api"
        fields = {r["field"] for r in mine["reasons"]}
        assert "person.date_of_birth" in fields and "a field we did not expect" in fields
        # What was sent stays out of the list: the bad date, the names, the key that was a name.
        for value in ("Smarch", "Rose", "Marchetti", "rose_marchetti", "N16"):
            assert value not in json.dumps(mine), value

        opened = await http.get(f"/v1/rejected-submissions/{mine['id']}", headers=coordinator)
        assert opened.status_code == 200, opened.text
        assert json.loads(opened.json()["body"]) == sent and opened.json()["erased"] is False
        trail = await http.get("/v1/audit-trail", params={"actor": "coord-demo"},
                               headers=system.staff_headers("auditor"))
        assert [(e["action"], e["person_id"], e["fields"], e["purpose"]) for e in trail.json()] == [
            ("read", mine["id"], ["body"], f"rejected submission {mine['id']}")]

        # The coordinator of another programme neither lists nor opens it; an operator lists but does not open.
        elsewhere = system.staff_headers("coordinator", subject="coord-north", programmes=["north"])
        assert demo_partner not in {s["partner_id"] for s in
                                    (await http.get("/v1/rejected-submissions", headers=elsewhere)).json()}
        assert (await http.get(f"/v1/rejected-submissions/{mine['id']}", headers=elsewhere)).status_code == 403
        operator = system.staff_headers("operator")
        assert mine["id"] in {s["id"] for s in (await http.get("/v1/rejected-submissions", headers=operator)).json()}
        assert (await http.get(f"/v1/rejected-submissions/{mine['id']}", headers=operator)).status_code == 403
        for role in ("connector", "manager"):
            assert (await http.get("/v1/rejected-submissions", headers=system.staff_headers(role))).status_code == 403
        only_theirs = await http.get("/v1/rejected-submissions", params={"partner_id": north_partner},
                                     headers=system.staff_headers("admin"))
        assert {s["partner_id"] for s in only_theirs.json()} == {north_partner}
        assert (await http.get(f"/v1/rejected-submissions/{uuid.uuid4()}",
                               headers=system.staff_headers("admin"))).status_code == 404

        # Followed up by its coordinator: it leaves the waiting list and says who and what.
        refused_follow_up = await http.post(f"/v1/rejected-submissions/{mine['id']}/follow-up", headers=elsewhere,
                                            json={"outcome": "partner_told"})
        assert refused_follow_up.status_code == 403
        assert (await http.post(f"/v1/rejected-submissions/{mine['id']}/follow-up", headers=coordinator,
                                json={"outcome": "rang Rose"})).status_code == 422
        done = await http.post(f"/v1/rejected-submissions/{mine['id']}/follow-up", headers=coordinator,
                               json={"outcome": "partner_told"})
        assert done.status_code == 200, done.text
        assert (done.json()["followed_up"], done.json()["followed_up_by"]) == ("partner_told", "coord-demo")
        waiting = await http.get("/v1/rejected-submissions", params={"waiting": "true"}, headers=coordinator)
        assert mine["id"] not in {s["id"] for s in waiting.json()}


async def _case_for_new_referral(system, api_key: str, postcode: str) -> str:
    """A referral the demo ruleset accepts, made a case and assigned; the case's id."""
    body = {"partner_referral_id": f"UN-{uuid.uuid4().hex[:10]}", "programme_id": "demo",
            "person": {"given_name": "Testperson", "family_name": uuid.uuid4().hex[:8], "age_years": 77,
                       "postcode": postcode, "phone": "01632 960 002"},
            "contact_preferences": {"preferred": "phone", "best_times": "Mornings"},
            "reason": "Lonely since her husband died; would like company and to get out more",
            "consent": {"to_referral": True, "to_contact": True}}
    async with httpx.AsyncClient(base_url=system.url("intake"), timeout=20) as http:
        response = await http.post("/v1/referrals", headers={"X-API-Key": api_key}, json=body)
    assert response.status_code in (200, 201, 202), response.text
    referral_id = uuid.UUID(response.json()["referral_id"])
    [case] = await system.wait_for("SELECT id FROM caseload.cases WHERE referral_id = $1 AND status = 'assigned'",
                                   referral_id, timeout_s=120)
    return str(case["id"])


async def _report_when(http, headers, params, predicate, timeout_s: float = 120) -> dict:
    """Outcomes hears of needs by event: ask until the report shows them (as long as that takes)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        response = await http.get("/v1/reports/unmet-needs", params=params, headers=headers)
        assert response.status_code == 200, response.text
        if predicate(response.json()):
            return response.json()
        assert asyncio.get_running_loop().time() < deadline, f"the report never showed them: {response.json()}"
        await asyncio.sleep(0.5)


async def record_needs(system, api_key: str, kinds: dict[str, list[str]]) -> None:
    """For each postcode, a case of its own with these needs recorded by the coordinator."""
    coordinator = system.staff_headers("coordinator")
    async with httpx.AsyncClient(base_url=system.url("caseload"), timeout=20) as http:
        for postcode, needs in kinds.items():
            case_id = await _case_for_new_referral(system, api_key, postcode)
            for need in needs:
                recorded = await http.post(f"/v1/cases/{case_id}/unmet-needs", headers=coordinator,
                                           json={"need": need, "detail": "She asked twice; nothing nearby"})
                assert recorded.status_code in (200, 201), recorded.text


async def test_unmet_needs_are_counted_by_kind_and_area_with_cases(shared_system):
    system = shared_system
    _, key = await _partner(system, ("demo",))
    tag = uuid.uuid4().hex[:6]
    befriending, shed = f"befriending in somali {tag}", f"men's shed {tag}"
    await record_needs(system, key, {"E8 1DY": [f"Befriending in Somali {tag}", shed],
                                     "E8 3AB": [f" befriending in somali {tag} "],
                                     "N16 0AA": [befriending, befriending]})

    def mine(report: dict, level: str) -> list[dict]:
        return [r for r in report[level] if tag in (r.get("kind") or "")]

    manager = system.staff_headers("manager", programmes=["demo"])
    async with httpx.AsyncClient(base_url=system.url("outcomes"), timeout=20) as http:
        report = await _report_when(http, manager, {}, lambda r: sum(k["times"] for k in mine(r, "by_kind")) == 5)
        assert report["filters"]["programme_id"] == "demo"
        # Kinds are told apart by their words, not their case or spacing; cases are counted once each.
        assert mine(report, "by_kind") == [{"kind": befriending, "times": 4, "cases": 3},
                                           {"kind": shed, "times": 1, "cases": 1}]
        assert sorted((r["area"], r["kind"], r["times"], r["cases"]) for r in mine(report, "by_kind_and_area")) == [
            ("E8", befriending, 2, 2), ("E8", shed, 1, 1), ("N16", befriending, 2, 1)]
        areas = {r["area"] for r in report["by_area"]}
        assert {"E8", "N16"} <= areas
        # No more of the person than the district: no full postcode, no detail.
        assert "1DY" not in json.dumps(report) and "nothing nearby" not in json.dumps(report)

        csv = await http.get("/v1/reports/unmet-needs", params={"format": "csv"}, headers=manager)
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        assert f"{befriending},N16,2,1" in csv.text.splitlines()

        elsewhere = system.staff_headers("manager", programmes=["north"])
        assert (await http.get("/v1/reports/unmet-needs", params={"programme_id": "demo"},
                               headers=elsewhere)).status_code == 403
        assert (await http.get("/v1/reports/unmet-needs",
                               headers=system.staff_headers("connector"))).status_code == 403


async def test_a_coordinator_opens_both_pages_in_a_browser(shared_system, workspace, browser):  # noqa: F811
    system = shared_system
    _, key = await _partner(system, ("demo",))
    await _send_refused(system, key, "RJ-BROWSER")
    tag = uuid.uuid4().hex[:6]
    await record_needs(system, key, {"E8 1DY": [f"Befriending in Somali {tag}"], "N16 0AA": [f"Men's shed {tag}"]})
    async with httpx.AsyncClient(base_url=system.url("outcomes"), timeout=20) as http:
        await _report_when(http, system.staff_headers("manager"), {"programme_id": "demo"},
                           lambda r: sum(tag in k["kind"] for k in r["by_kind"]) == 2)

    coordinator = await new_account(system, ["coordinator"], programmes=["demo"])
    context = await new_context(browser)
    page = await context.new_page()
    try:
        await sign_in(page, workspace, coordinator, start="/rejected-submissions")
        await page.wait_for_url(f"{workspace}/rejected-submissions")
        assert "Rejected submissions" in await page.title()
        table = await page.locator("main table").inner_text()
        assert "person: date of birth" in table and "a field we do not accept" in table
        assert "Smarch" not in table and "Marchetti" not in table
        await check_page(page, "rejected-submissions")
        await page.get_by_role("link", name="Open").first.click()
        await page.wait_for_url(f"{workspace}/rejected-submissions/*")
        assert "Smarch 1941" in await page.locator("pre").inner_text()  # as sent, for the coordinator
        followed = page.url.rsplit("/", 1)[1]
        await check_page(page, "rejected-submission")

        # Told the partner: marked, it leaves those waiting and shows among all with what was done.
        await page.goto(workspace + "/rejected-submissions")
        before = await page.locator("main table tbody tr").count()
        await page.locator(f'form[action="/rejected-submissions/{followed}/follow-up"] button',
                           has_text="Partner told").click()
        await page.wait_for_url(f"{workspace}/rejected-submissions?saved=*")
        assert await page.locator("main table tbody tr").count() == before - 1
        await page.get_by_role("link", name="Show those already followed up too").click()
        row = page.locator("main table tbody tr", has=page.locator(f'a[href="/rejected-submissions/{followed}"]'))
        assert "Partner told what to change" in await row.inner_text()

        response = await page.goto(workspace + "/reports/unmet-needs?programme_id=demo")
        assert response.status == 200 and "Unmet needs" in await page.title()
        assert await page.locator("main svg[role=img]").count() == 2
        assert f"befriending in somali {tag}" in await page.locator("main").inner_text()
        await check_page(page, "unmet-needs")
        async with page.expect_download() as download:
            await page.get_by_role("link", name="Download these figures (CSV)").click()
        assert (await download.value).suggested_filename == "unmet-needs.csv"
    finally:
        await context.close()

    # A coordinator of a programme no partner refers to: the list says there is nothing, and why it would show.
    quiet = await new_account(system, ["coordinator"], programmes=[f"quiet-{tag}"])
    context = await new_context(browser)
    page = await context.new_page()
    try:
        await sign_in(page, workspace, quiet, start="/rejected-submissions")
        await page.wait_for_url(f"{workspace}/rejected-submissions")
        assert "No rejected submissions" in await page.locator("main").inner_text()
        await check_page(page, "rejected-submissions-none")
    finally:
        await context.close()
