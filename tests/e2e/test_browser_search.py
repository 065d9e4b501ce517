"""Referral search in the staff workspace, in a real browser (Debian's Chromium, driven by Playwright) against
the running system: a coordinator finds a referral by name (misspelt, marked as sounding alike) and NHS number,
reads the empty state and the error summary, and a connector is kept out. axe-core checks each page; each is
photographed at phone and desktop widths (docs/screenshots/)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.e2e.workspace_browser import check_page, new_account, new_context, sign_in

pytestmark = pytest.mark.e2e

NHS_NUMBER = "9434765919"  # a valid check digit


@pytest.fixture(scope="module")
async def workspace(shared_system):
    """The shared system with the workspace started on it; the workspace's URL."""
    return shared_system.start_workspace()


async def test_a_coordinator_finds_a_referral_and_a_connector_cannot_search(shared_system, workspace, browser):
    system = shared_system
    family = f"Findable{uuid.uuid4().hex[:6]}"
    partner = f"search-gp-{uuid.uuid4().hex[:6]}"
    api_key = await system.setup_partner(programmes=("demo",), partner_id=partner)
    async with httpx.AsyncClient(base_url=system.url("intake"), timeout=30) as http:
        sent = await http.post("/v1/referrals", headers={"X-API-Key": api_key}, json={
            "partner_referral_id": f"FIND-{family}", "programme_id": "demo", "consent": {"to_referral": True},
            "person": {"given_name": "Edith", "family_name": family, "preferred_name": "Edie", "age_years": 88,
                       "postcode": "LS6 2QB", "nhs_number": NHS_NUMBER}})
        assert sent.status_code == 201, sent.text
    referral_id = sent.json()["referral_id"]
    coordinator = await new_account(system, ["coordinator"], programmes=["demo"])

    context = await new_context(browser)  # JavaScript off: the GET form works without it
    page = await context.new_page()
    await sign_in(page, workspace, coordinator, start="/")
    await page.locator("main").get_by_role("link", name="Find a referral").click()
    await page.wait_for_url(f"{workspace}/search")
    assert await page.locator("h1").inner_text() == "Find a referral"

    await page.fill("#name", f"edith {family.lower()}")
    await page.get_by_role("button", name="Search").click()
    await page.wait_for_url(f"{workspace}/search?*")
    row = page.locator(f'tr[data-referral-id="{referral_id}"]')
    shown = await row.inner_text()
    assert f"Edith {family}" in shown and "Known as Edie" in shown and f"FIND-{family}" in shown and partner in shown
    assert "sounds like" not in shown
    await check_page(page, "search-results")
    reads = await system.sql("SELECT actor, purpose FROM intake.audit_trail WHERE referral_id = $1::uuid", referral_id)
    assert reads and {(r["actor"], r["purpose"]) for r in reads} == {(coordinator["id"], "referral search")}

    # Misspelt, the name still finds her by how it sounds, and the page says so in words.
    await page.goto(f"{workspace}/search")
    await page.fill("#name", f"Edyth {family.replace('Findable', 'Fyndabel')}")
    await page.get_by_role("button", name="Search").click()
    await page.wait_for_url(f"{workspace}/search?*")
    row = page.locator(f'tr[data-referral-id="{referral_id}"]')
    assert "Name sounds like what you searched for" in await row.inner_text()
    assert "Check the person's other details" in await page.locator("main").inner_text()
    await check_page(page, "search-sounds-like")

    await page.goto(f"{workspace}/search")
    await page.fill("#nhs_number", "943 476 5919")
    await page.fill("#partner_id", partner)
    await page.get_by_role("button", name="Search").click()
    await page.wait_for_url(f"{workspace}/search?*")
    assert await page.locator(f'tr[data-referral-id="{referral_id}"]').count() == 1

    await page.goto(f"{workspace}/search")
    await page.fill("#name", "Bartholomew Quigley")  # sounds like no name in the system
    await page.get_by_role("button", name="Search").click()
    await page.wait_for_url(f"{workspace}/search?*")
    assert "No referral in your programmes matches" in await page.locator("main").inner_text()
    await check_page(page, "search-none")

    await page.goto(f"{workspace}/search")
    await page.fill("#nhs_number", "1234567890")  # ten digits, the wrong check digit: intake says so
    await page.get_by_role("button", name="Search").click()
    summary = page.locator(".nhsuk-error-summary")
    await summary.wait_for()
    assert "NHS number" in await summary.inner_text()
    assert (await page.title()).startswith("Error:")
    await check_page(page, "search-error")
    await context.close()

    worker = await system.add_worker("connector", "21")
    connector = await new_account(system, ["connector"], worker_id=worker, programmes=["demo"])
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, workspace, connector, start="/")
    assert await page.get_by_role("link", name="Find a referral").count() == 0
    response = await page.goto(f"{workspace}/search?name=Edith")
    assert response.status == 403
    await context.close()
