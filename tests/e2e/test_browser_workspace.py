"""The staff workspace in a real browser (Debian's Chromium, driven by Playwright) against the running system
on the real broker and database: signing in and out, a connector's day, a volunteer kept out of another's case.
axe-core checks every main page; each is photographed at phone and desktop widths (docs/screenshots/)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, timedelta

import httpx
import pytest
import yaml

from tests.e2e.workspace_browser import ROOT, check_page, new_account, new_context, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def workspace(shared_system):
    """The shared system with the workspace started on it; the workspace's URL."""
    return shared_system.start_workspace()


async def test_signing_in_and_out(shared_system, workspace, browser):
    coordinator = await new_account(shared_system, ["coordinator"])
    context = await new_context(browser)  # JavaScript off: everything works without it
    page = await context.new_page()
    # Signed out, a page sends you to sign in first.
    await page.goto(workspace + "/")
    await page.wait_for_url("**/sign-in?next=*")
    await check_page(page, "sign-in")

    await page.fill("#email", coordinator["email"])
    await page.fill("#password", "not the password at all")
    await page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".nhsuk-error-summary")
    await summary.wait_for()
    assert "not right" in await summary.inner_text()

    await page.fill("#password", coordinator["password"])
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(workspace + "/")
    assert await page.locator("h1").inner_text() == "Your workspace"
    assert coordinator["email"] in await page.locator("header").inner_text()
    await check_page(page, "home-coordinator")

    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url("**/sign-in*")
    await page.goto(workspace + "/")
    await page.wait_for_url("**/sign-in?next=*")  # the session is gone
    await context.close()


async def _refer(system, api_key: str, **person) -> str:
    """A partner's referral through intake's API, as a GP's system sends it; its referral id. Each is a person
    of their own (a second referral for the same person would be linked to the first, not made a case)."""
    body = {"partner_referral_id": f"WS-{uuid.uuid4().hex[:10]}", "programme_id": "demo",
            "person": {"given_name": "Türkan", "family_name": "Testcase", "age_years": 77, "postcode": "E8 1DY",
                       "phone": "01632 960 002", **person},
            "contact_preferences": {"preferred": "phone", "best_times": "Mornings",
                                    "safe_contact_instructions": "Ask for Türkan by name; do not leave messages"},
            "reason": "Lonely since her husband died; would like company and to get out more",
            "consent": {"to_referral": True, "to_contact": True}}
    async with httpx.AsyncClient(base_url=system.url("intake"), timeout=20) as http:
        response = await http.post("/v1/referrals", headers={"X-API-Key": api_key}, json=body)
    assert response.status_code in (200, 201, 202), response.text
    return response.json()["referral_id"]


async def _until_text(page, url: str, text: str, timeout_s: float = 90) -> None:
    """Reload `url` until the page shows `text` (an offer arrives by event: it takes as long as it takes)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        await page.goto(url)
        if text in await page.locator("main").inner_text():
            return
        assert asyncio.get_running_loop().time() < deadline, f"{url} never showed {text!r}"
        await asyncio.sleep(0.5)


async def _answer(page, prefix: str, answers: list[int]) -> None:
    for index, value in enumerate(answers, start=1):
        await page.check(f'input[name="{prefix}item_{index}"][value="{value}"]')


async def test_a_connectors_day(shared_system, workspace, browser):
    system = shared_system
    api_key = await system.setup_partner(partner_id=f"ws-gp-{uuid.uuid4().hex[:6]}")
    # Speaks Turkish and travels to E8: the best fit for this referral, and one who answers offers.
    worker = await system.add_worker("connector", "21", auto_accept=False, languages=["tr"], travel_districts=["E8"])
    connector = await new_account(system, ["connector"], worker_id=worker, programmes=["demo"])
    referral_id = await _refer(system, api_key, language="tr")

    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, workspace, connector, start="/offers")
    await _until_text(page, workspace + "/offers", "Accept offer 1")
    await check_page(page, "offers")
    await page.get_by_role("button", name="Accept offer 1").click()
    await page.wait_for_url(f"{workspace}/cases/*")
    case_url = page.url.split("?")[0]

    # Whom to call, and how: the person's details from intake's registry, the safe-contact instruction first
    # (intake hears of the assignment by event: until then the page says to reload).
    await _until_text(page, case_url, "Türkan Testcase")
    main = await page.locator("main").inner_text()
    assert "Türkan Testcase" in main and "+441632960002" in main
    assert "do not leave messages" in main and "Mornings" in main
    assert "First contact" in main  # what is due
    await check_page(page, "case")

    async def record(link: str, fill, saved: str, photo: str | None = None) -> None:
        await page.goto(case_url)
        await page.get_by_role("link", name=link).click()
        await page.wait_for_load_state()
        await fill()
        if photo:
            await check_page(page, photo)
        await page.locator('main form button[type="submit"]').last.click()
        await page.wait_for_url(f"{case_url}?saved=*")
        assert saved in await page.locator(".app-notice").inner_text()

    async def attempt():
        await page.check('input[name="reached"][value="no"]')
        await page.check('input[name="kind"][value="phone"]')
        await page.fill("#minutes", "2")

    async def first_contact():
        await page.check('input[name="reached"][value="yes"]')
        await page.check('input[name="kind"][value="home_visit"]')
        await page.fill("#minutes", "60")
        await page.fill("#travel_minutes", "20")
        await page.fill("#note", "Met at home; keen on the Thursday lunch club")

    await record("Record a contact or an attempt", attempt, "Attempt recorded", photo="contact-form")
    await record("Record a contact or an attempt", first_contact, "Contact recorded")
    # The note is on the case's timeline, opened for the worker; caseload keeps it only sealed.
    assert "keen on the Thursday lunch club" in await page.locator("main").inner_text()
    stored = await system.sql("SELECT data::text AS data FROM caseload.case_events e JOIN caseload.cases c "
                              "ON c.id = e.case_id WHERE c.referral_id = $1", uuid.UUID(referral_id))
    assert stored and not any("Thursday lunch club" in row["data"] for row in stored)

    async def ucla3_baseline():
        await page.check('input[name="timepoint"][value="baseline"]')
        await _answer(page, "", [3, 3, 2])

    async def swemwbs_baseline():
        await page.check('input[name="timepoint"][value="baseline"]')
        await _answer(page, "", [2, 2, 3, 2, 3, 1, 3])

    await record("Record UCLA 3-item loneliness scale", ucla3_baseline, "UCLA 3-item loneliness scale recorded",
                 photo="measure-ucla3")
    await record("Record Short Warwick-Edinburgh Mental Wellbeing Scale (SWEMWBS)", swemwbs_baseline,
                 "recorded")

    async def ons4_baseline():
        await page.check('input[name="timepoint"][value="baseline"]')
        await _answer(page, "", [7, 8, 6, 3])

    await record("Record ONS personal wellbeing (ONS-4)", ons4_baseline, "ONS personal wellbeing (ONS-4) recorded",
                 photo="measure-ons4")

    async def goal():
        await page.fill("#description", "Go to the Thursday lunch club at the community centre")

    async def signpost():
        await page.fill("#destination", "Hackney Turkish community lunch club")
        await page.fill("#category", "social")

    await record("Add a goal", goal, "Goal added")
    await record("Signpost to an activity or service", signpost, "Signpost recorded")
    await page.locator('button[name="taken_up"][value="yes"]').click()
    await page.wait_for_url(f"{case_url}?saved=*")
    assert "taken up" in await page.locator("main").inner_text()

    async def close():
        await page.check('input[name="reason"][value="planned_end"]')
        await _answer(page, "ucla3_", [1, 1, 2])
        await _answer(page, "swemwbs_", [4, 4, 3, 4, 4, 4, 4])
        await page.check("#confirm")

    await record("Close the case", close, "Case closed", photo="close-form")
    assert "Closed case" in await page.locator("main").inner_text()

    # What crossed the wire: caseload holds the contacts, measures, goal, signpost and closure.
    events = [r["event_type"] for r in await system.sql(
        "SELECT e.event_type FROM caseload.case_events e JOIN caseload.cases c ON c.id = e.case_id "
        "WHERE c.referral_id = $1 ORDER BY e.id", uuid.UUID(referral_id))]
    assert events.count("case.contact_recorded") == 2
    [case] = await system.sql("SELECT first_contact_at, closure_reason FROM caseload.cases WHERE referral_id = $1",
                              uuid.UUID(referral_id))
    assert case["first_contact_at"] is not None and case["closure_reason"] == "planned_end"
    assert events.count("case.measure_recorded") == 5  # three baselines, two at the end (ONS-4 is not asked then)
    assert {"case.goal_set", "case.signposted", "case.signpost_take_up_recorded", "case.closed"} <= set(events)
    await context.close()

    # The outcome reaches the manager's report, under the worker's name: UCLA-3 from 8 at the start to 4.
    [named] = await system.sql("SELECT name FROM caseload.workers WHERE id = $1", uuid.UUID(worker))
    manager = await new_account(system, ["manager"])
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, workspace, manager, start="/reports?instrument=ucla3&breakdown=worker")
    await _until_text(page, f"{workspace}/reports?instrument=ucla3&breakdown=worker", named["name"])
    row = page.locator("table tbody tr", has_text=named["name"])
    cells = [c.strip() for c in await row.locator("th, td").all_inner_texts()]
    assert cells[:2] == [named["name"], "1"] and cells[5:7] == ["8.0", "4.0"], cells
    chart = await page.locator("svg.app-chart").inner_html()
    assert named["name"][:28] in chart and ">8<" in chart and ">4<" in chart
    await check_page(page, "report")
    csv = await context.request.get(f"{workspace}/reports/outcomes.csv?instrument=ucla3&worker_id={worker}")
    assert csv.status == 200 and csv.headers["content-type"].startswith("text/csv")
    await context.close()


async def test_a_volunteer_cannot_open_another_workers_case(shared_system, workspace, browser):
    system = shared_system
    api_key = await system.setup_partner(partner_id=f"ws-gp-{uuid.uuid4().hex[:6]}")
    referral_id = await _refer(system, api_key, given_name="Vera", family_name="Elsewhere", postcode="N1 9GU",
                               phone="01632 960 003")
    # Offered or given to one of the module's connectors: someone else's case, either way.
    [case] = await system.wait_for("SELECT id FROM caseload.cases WHERE referral_id = $1 AND worker_id IS NOT NULL",
                                   uuid.UUID(referral_id))
    volunteer_worker = await system.add_worker("volunteer", "4")
    volunteer = await new_account(system, ["volunteer"], worker_id=volunteer_worker, programmes=["demo"])

    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, workspace, volunteer, start=f"/cases/{case['id']}")
    response = await page.goto(f"{workspace}/cases/{case['id']}")
    assert response.status == 403
    assert await page.locator("h1").inner_text() == "You cannot open this page"
    assert "Vera" not in await page.locator("main").inner_text()
    await check_page(page, "forbidden")
    await context.close()


async def test_a_coordinator_decides_a_triage_review_and_a_person_match(shared_system, workspace, browser):
    system = shared_system
    api_key = await system.setup_partner(programmes=("hackney-connect", "demo"),
                                         partner_id=f"ws-gp-{uuid.uuid4().hex[:6]}")
    async with httpx.AsyncClient(base_url=system.url("intake"), timeout=20) as http:
        # On the borough's edge: Hackney's rules send it to a person.
        border = await http.post("/v1/referrals", headers={"X-API-Key": api_key}, json={
            "programme_id": "hackney-connect", "consent": {"to_referral": True},
            "person": {"given_name": "Tri", "family_name": "Border", "age_years": 72, "postcode": "N16 0AA"}})
        assert border.status_code == 201, border.text
        # Same name and postcode, dates of birth a day apart: the registry is unsure they are one person.
        family = f"Hesitant{uuid.uuid4().hex[:4]}"
        for day, reference in (("01", "M-1"), ("02", "M-2")):
            sent = await http.post("/v1/referrals", headers={"X-API-Key": api_key}, json={
                "programme_id": "demo", "partner_referral_id": f"{reference}-{family}", "consent": {"to_referral": True},
                "person": {"given_name": "Test", "family_name": family, "date_of_birth": f"1950-06-{day}",
                           "postcode": "E8 1DY"}})
            assert sent.status_code == 201, sent.text
    border_id = uuid.UUID(border.json()["referral_id"])
    [review] = await system.wait_for("SELECT id FROM triage.reviews WHERE referral_id = $1", border_id)
    [match] = await system.wait_for("SELECT id FROM intake.match_reviews WHERE referral_id = $1",
                                    uuid.UUID(sent.json()["referral_id"]))
    coordinator = await new_account(system, ["coordinator"])

    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, workspace, coordinator, start="/reviews")
    await check_page(page, "triage-reviews")
    await page.get_by_role("link", name=f"Review {str(review['id'])[:8]}").click()
    await page.wait_for_url(f"{workspace}/reviews/{review['id']}")
    assert "N16" in await page.locator("main").inner_text()  # the facts the rules read
    await check_page(page, "triage-review")
    await page.check('input[name="decision"][value="accepted"]')
    await page.fill("#note", "Lives on the Hackney side of Stoke Newington Church Street")
    await page.get_by_role("button", name="Save decision").click()
    await page.wait_for_url(f"{workspace}/reviews?saved=*")
    [decided] = await system.sql("SELECT decision, decided_by FROM triage.decisions WHERE referral_id = $1", border_id)
    assert decided["decision"] == "accepted" and decided["decided_by"]

    await page.goto(f"{workspace}/match-reviews")
    await check_page(page, "match-reviews")
    await page.get_by_role("link", name=f"Match review {str(match['id'])[:8]}").click()
    await page.wait_for_url(f"{workspace}/match-reviews/{match['id']}")
    # Both records side by side, read from intake's registry: the dates of birth a day apart.
    compared = await page.locator("#side-by-side").inner_text()
    assert "1950-06-01" in compared and "1950-06-02" in compared and family in compared
    # Each record read for the review is in intake's audit trail, with the review as its purpose.
    reads = await system.sql("SELECT actor FROM intake.audit_trail WHERE purpose = $1",
                             f"match review {match['id']}")
    assert len(reads) >= 2 and {r["actor"] for r in reads} == {coordinator["id"]}
    await check_page(page, "match-review")
    await page.check('input[name="same_person"][value="yes"]')
    await page.get_by_role("button", name="Save decision").click()
    await page.wait_for_url(f"{workspace}/match-reviews?saved=*")
    people = await system.sql("SELECT DISTINCT person_id FROM intake.referrals WHERE partner_referral_id LIKE $1",
                              f"%-{family}")
    assert len(people) == 1  # filed under one person
    await context.close()


async def test_an_operator_sees_a_dead_letter_and_its_reason(shared_system, workspace, browser):
    system = shared_system
    # A partner's Kafka submission with a key that authenticates nobody: intake dead-letters it, with a reason.
    marker = f"DL-{uuid.uuid4().hex[:8]}"
    await system.produce_raw(system.topics.partner_submissions, b'{"programme_id": "demo"}', key=marker.encode(),
                             headers=[("partner-id", b"nobody-gp"), ("api-key", b"ccr_nope.nope")])
    await system.wait_for("SELECT 1 FROM intake.dead_letters WHERE message_key = $1", marker.encode(), timeout_s=60)
    operator = await new_account(system, ["operator"])

    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, workspace, operator, start="/dead-letters")
    await page.wait_for_url(f"{workspace}/dead-letters")
    row = page.locator("table tbody tr", has_text="partner-submission")
    assert "authentication failed" in await row.first.inner_text()  # the reason, and no personal data in it
    await check_page(page, "dead-letters")
    await context.close()


async def test_the_watching_pages_open_accessible_for_those_who_use_them(shared_system, workspace, browser):
    """The coordinator's waiting list and capacity, the manager's funnel and completeness reports and a
    connector's caseload list: each opens under its own title, passes axe and is photographed."""
    system = shared_system
    worker = await system.add_worker("connector", "21")
    pages = (
        (["coordinator"], None, (("/waiting-list", "Waiting list", "waiting-list"),
                                 ("/capacity", "Capacity", "capacity"))),
        (["manager"], None, (("/reports/funnel", "Referral funnel", "funnel"),
                             ("/reports/completeness", "Measure completeness", "completeness"))),
        (["connector"], worker, (("/cases", "My caseload", "caseload"),)),
    )
    for roles, worker_id, visits in pages:
        account = await new_account(system, roles, worker_id=worker_id, programmes=["demo"])
        context = await new_context(browser)
        page = await context.new_page()
        try:
            await sign_in(page, workspace, account, start=visits[0][0])
            for path, title, photo in visits:
                response = await page.goto(workspace + path)
                assert response.status == 200, path
                assert title in await page.title(), path
                await check_page(page, photo)
        finally:
            await context.close()


async def test_a_coordinator_adds_a_worker_changes_their_hours_and_a_programme_setting_and_sees_the_effect(
        shared_system, workspace, browser):
    """A programme of the test's own (its own rule set, partner and coordinator), so the settings it changes touch
    no other test: a worker added and their hours changed in the workspace; review every 2 weeks, not 6; then a
    referral's case goes to that worker with its review due 2 weeks after it was assigned."""
    system = shared_system
    programme = f"settings-{uuid.uuid4().hex[:6]}"
    ruleset = {**yaml.safe_load((ROOT / "services/triage/rulesets/demo/1.yaml").read_text()),
               "programme_id": programme, "version": "1", "effective_from": "2026-01-01T00:00:00Z"}
    async with httpx.AsyncClient(timeout=20) as http:
        published = await http.post(f"{system.url('triage')}/v1/rulesets", headers=system.staff_headers("admin"),
                                    content=yaml.safe_dump(ruleset))
    assert published.status_code == 201, published.text
    api_key = await system.setup_partner(programmes=(programme,), partner_id=f"ws-gp-{uuid.uuid4().hex[:6]}")
    coordinator = await new_account(system, ["coordinator"], programmes=[programme])
    worker_name = f"Priya Settings {uuid.uuid4().hex[:4]}"

    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, workspace, coordinator, start=f"/workers?programme_id={programme}")
    await page.wait_for_url(f"{workspace}/workers?programme_id={programme}")
    assert "No workers" in await page.locator("main").inner_text()
    await page.get_by_role("link", name="Add a worker").click()
    await page.wait_for_url(f"{workspace}/workers/new*")
    await check_page(page, "worker-new")
    await page.fill("#name", worker_name)
    await page.check('input[name="role"][value="connector"]')
    await page.fill("#capacity_hours", "10")
    await page.fill("#site", "North")
    await page.fill("#availability", "Mondays to Wednesdays, 9 to 5")
    await page.check('input[name="auto_accept_offers"][value="yes"]')
    await page.get_by_role("button", name="Add worker").click()
    await page.wait_for_url(f"{workspace}/workers?programme_id={programme}&saved=*")
    row = page.locator("#workers tbody tr", has_text=worker_name)
    cells = await row.locator("td").all_inner_texts()
    assert cells[:6] == ["Connector", "North", "10.00", "0.00", "0 of 25", "Mondays to Wednesdays, 9 to 5"], cells
    await check_page(page, "workers")

    await row.get_by_role("link", name=f"Change {worker_name}").click()
    await page.wait_for_url(f"{workspace}/workers/*/edit")
    edit_url = page.url
    await check_page(page, "worker-edit")
    await page.fill("#capacity_hours", "99")  # more than caseload takes: said on the field, nothing sent
    await page.get_by_role("button", name="Save worker").click()
    await page.locator(".nhsuk-error-summary").wait_for()
    assert "from 0.01 to 60" in await page.locator(".nhsuk-error-summary").inner_text()
    await page.fill("#capacity_hours", "14")
    await page.fill("#languages", "Turkish, Somali")  # by name: caseload keeps the codes
    await page.fill("#availability", "")  # emptied: cleared, not kept
    await page.get_by_role("button", name="Save worker").click()
    await page.wait_for_url(f"{workspace}/workers?programme_id={programme}&saved=*")
    cells = await page.locator("#workers tbody tr", has_text=worker_name).locator("td").all_inner_texts()
    assert cells[2] == "14.00" and cells[5] == "Not given", cells
    [worker] = await system.sql("SELECT id, capacity_hours, languages, availability FROM caseload.workers "
                                "WHERE name = $1", worker_name)
    assert str(worker["capacity_hours"]) == "14.00"
    assert worker["languages"] == ["tr", "so"] and worker["availability"] is None
    await page.goto(edit_url)
    assert await page.input_value("#languages") == "Turkish, Somali"
    await page.goto(f"{workspace}/workers?programme_id={programme}")

    await page.get_by_role("link", name=f"Settings for {programme}").click()
    await page.wait_for_url(f"{workspace}/programmes/{programme}/settings")
    assert await page.input_value("#review_weeks") == "6"  # caseload's default, until the programme sets one
    await check_page(page, "programme-settings")
    await page.fill("#review_weeks", "2")
    await page.get_by_role("button", name="Save settings").click()
    await page.wait_for_url(f"{workspace}/programmes/{programme}/settings?saved=*")
    assert await page.input_value("#review_weeks") == "2"  # read back from caseload
    assert "Settings saved" in await page.locator("main").inner_text()

    # The effect: a referral into the programme becomes a case for the worker, its review due in 2 weeks.
    async with httpx.AsyncClient(base_url=system.url("intake"), timeout=20) as http:
        sent = await http.post("/v1/referrals", headers={"X-API-Key": api_key}, json={
            "programme_id": programme, "partner_referral_id": f"ST-{uuid.uuid4().hex[:8]}",
            "consent": {"to_referral": True, "to_contact": True},
            "person": {"given_name": "Sett", "family_name": "Ings", "age_years": 70, "postcode": "E8 1DY"}})
    assert sent.status_code == 201, sent.text
    [case] = await system.wait_for("SELECT id, assigned_at, review_due_at FROM caseload.cases "
                                   "WHERE referral_id = $1 AND worker_id = $2", uuid.UUID(sent.json()["referral_id"]),
                                   worker["id"], timeout_s=90)
    due = case["assigned_at"].astimezone(UTC) + timedelta(weeks=2)
    assert case["review_due_at"] == case["assigned_at"] + timedelta(weeks=2)
    await page.goto(f"{workspace}/cases/{case['id']}")
    assert f"Review: {due.strftime('%d %b %Y')}" in await page.locator("main").inner_text()
    await page.goto(f"{workspace}/workers?programme_id={programme}")
    cells = await page.locator("#workers tbody tr", has_text=worker_name).locator("td").all_inner_texts()
    assert cells[4] == "1 of 25" and cells[3] != "0.00", cells  # the case counts against their hours
    await context.close()

    # The form's error state, checked where it is drawn: check_page re-opens a JavaScript-off page's address
    # (a GET), which would show the form afresh, so this context has JavaScript on (the page has no script).
    context = await new_context(browser, javascript=True)
    page = await context.new_page()
    await sign_in(page, workspace, coordinator, start=edit_url.removeprefix(workspace))
    await page.wait_for_url(edit_url)
    await page.fill("#capacity_hours", "")
    await page.get_by_role("button", name="Save worker").click()
    summary = page.locator(".nhsuk-error-summary")
    await summary.wait_for()
    assert "Enter contracted hours" in await summary.inner_text()
    await check_page(page, "worker-edit-error")
    await context.close()
