"""The workspace with JavaScript on (issue 15): htmx's hx-boost swaps each page in without a full reload, with
history; a form with problems (422) is swapped in too, its error summary focused; axe-core finds the swapped page
clean. The same pages with JavaScript off are test_browser_workspace.py's and test_browser_offers.py's."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.e2e.test_browser_offers import _offered
from tests.e2e.test_browser_workspace import _refer, _until_text
from tests.e2e.workspace_browser import check_page, new_account, new_context, sign_in

pytestmark = pytest.mark.e2e

# Set on the window once a page has loaded: a full page load would start a new window object without it.
MARK = "window.__marker = 1"
MARKED = "() => window.__marker === 1"
SUMMARY_FOCUSED = "() => document.activeElement !== null && document.activeElement.matches('.nhsuk-error-summary')"


@pytest.fixture(scope="module")
async def workspace(shared_system):
    return shared_system.start_workspace()


async def test_a_connector_records_a_contact_with_htmx_swapping_each_page_in(shared_system, workspace, browser):
    system = shared_system
    api_key = await system.setup_partner(partner_id=f"ws-gp-{uuid.uuid4().hex[:6]}")
    # Speaks Polish and travels to E5: the best fit for this referral, and one who answers offers.
    worker = await system.add_worker("connector", "21", auto_accept=False, languages=["pl"], travel_districts=["E5"])
    connector = await new_account(system, ["connector"], worker_id=worker, programmes=["demo"])
    referral_id = await _refer(system, api_key, language="pl", given_name="Halina", family_name="Htmx",
                               postcode="E5 0LL", phone="01632 960 021")
    offer = await _offered(system, worker, referral_id)
    case_id = str(offer["case_id"])

    context = await new_context(browser, javascript=True)
    page = await context.new_page()
    # Every script the pages load, to prove htmx came from the workspace itself.
    scripts: list[str] = []
    page.on("request", lambda request: scripts.append(request.url) if request.resource_type == "script" else None)
    await sign_in(page, workspace, connector, start="/offers")
    # Signing in is a boosted form too: its post is done once the address bar shows where it led.
    await page.wait_for_url(f"{workspace}/offers")
    await _until_text(page, workspace + "/offers", "Accept offer 1")
    assert await page.evaluate("() => typeof htmx === 'object' && htmx.version.startsWith('2.')")
    assert any(url.startswith(workspace + "/static/htmx.min.js") for url in scripts), scripts
    assert all(url.startswith(workspace + "/") for url in scripts), scripts
    await page.evaluate(MARK)

    # Accepting (a boosted form): the redirect to the case is swapped in, and the address bar follows it.
    await page.get_by_role("button", name="Accept offer 1").click()
    await page.wait_for_url(f"{workspace}/cases/{case_id}*")
    assert await page.evaluate(MARKED)

    # The caseload and the case, by boosted links.
    await page.get_by_role("navigation", name="Workspace").get_by_role("link", name="My caseload").click()
    await page.wait_for_url(f"{workspace}/cases")
    await page.locator(f'main a[href="/cases/{case_id}"]').click()
    await page.wait_for_url(f"{workspace}/cases/{case_id}")
    await page.get_by_role("link", name="Record a contact or an attempt").click()
    await page.locator("h1", has_text="Record a contact").wait_for()
    assert await page.evaluate(MARKED)

    # No minutes: the 422 page is swapped in, its error summary focused, as without JavaScript by autofocus.
    await page.check('input[name="reached"][value="no"]')
    await page.check('input[name="kind"][value="phone"]')
    await page.locator('main form button[type="submit"]').last.click()
    summary = page.locator(".nhsuk-error-summary")
    await summary.wait_for()
    assert "minutes" in (await summary.inner_text()).lower()
    await page.wait_for_function(SUMMARY_FOCUSED)
    assert await page.evaluate(MARKED)  # no full page load
    assert (await page.title()).startswith("Error:")
    await check_page(page, "htmx-contact-error")

    # Put right: saved, and back on the case with the attempt on its timeline, still without a full load.
    await page.fill("#minutes", "3")
    await page.fill("#note", "Rang twice; no answer, try the mornings")
    await page.locator('main form button[type="submit"]').last.click()
    await page.wait_for_url(f"{workspace}/cases/{case_id}?saved=*")
    await page.locator(".app-notice", has_text="Attempt recorded").wait_for()
    assert "Rang twice; no answer" in await page.locator("main").inner_text()
    assert await page.evaluate(MARKED)
    await check_page(page, "htmx-case-saved")

    # Back: history, the page reloaded from the workspace (htmx keeps no copy of it in session storage).
    await page.go_back()
    await page.locator("h1", has_text="Record a contact").wait_for()
    assert await page.evaluate("() => sessionStorage.getItem('htmx-history-cache')") is None
    await context.close()

    # What crossed the wire: the attempt, once (the refused post sent nothing to caseload).
    events = [r["event_type"] for r in await system.sql(
        "SELECT e.event_type FROM caseload.case_events e JOIN caseload.cases c ON c.id = e.case_id "
        "WHERE c.referral_id = $1", uuid.UUID(referral_id))]
    assert events.count("case.contact_recorded") == 1


async def test_a_refusal_page_is_swapped_in_when_an_offer_has_gone_meanwhile(shared_system, workspace, browser):
    """With JavaScript on, a 409 from a boosted form is swapped in as the page (htmx would otherwise leave
    the old page up and show nothing): the worker reads why, on the workspace's layout, without a reload."""
    system = shared_system
    api_key = await system.setup_partner(partner_id=f"ws-gp-{uuid.uuid4().hex[:6]}")
    # Speaks Somali and travels to E9: the best fit for this referral, and one who answers offers.
    worker = await system.add_worker("connector", "21", auto_accept=False, languages=["so"], travel_districts=["E9"])
    connector = await new_account(system, ["connector"], worker_id=worker, programmes=["demo"])
    referral_id = await _refer(system, api_key, language="so", given_name="Hodan", family_name="Gone",
                               postcode="E9 5LN", phone="01632 960 022")
    offer = await _offered(system, worker, referral_id)

    context = await new_context(browser, javascript=True)
    page = await context.new_page()
    await sign_in(page, workspace, connector, start="/offers")
    await page.wait_for_url(f"{workspace}/offers")
    await _until_text(page, workspace + "/offers", "Accept offer 1")
    assert "Somali" in await page.locator("main").inner_text()  # the language by name, not "so"
    await page.evaluate(MARK)

    # Meanwhile the offer is declined elsewhere (another tab, the API): accepting it now is refused.
    async with httpx.AsyncClient(base_url=system.url("caseload"), timeout=10) as http:
        declined = await http.post(f"/v1/offers/{offer['id']}/decline", json={"reason": "away"},
                                   headers=system.staff_headers("connector", subject=connector["email"],
                                                                worker_id=worker, programmes=["demo"]))
    assert declined.status_code == 200, declined.text
    await page.get_by_role("button", name="Accept offer 1").click()
    await page.locator("h1", has_text="That cannot be done now").wait_for()
    assert await page.evaluate(MARKED)  # swapped in, not a full page load
    assert (await page.title()).startswith("That cannot be done now")
    said = await page.locator("main").inner_text()
    assert "This offer is no longer open" in said and "Go to your offers" in said
    await check_page(page, "htmx-offer-gone")
    await context.close()
    [case] = await system.sql("SELECT worker_id FROM caseload.cases WHERE referral_id = $1", uuid.UUID(referral_id))
    assert str(case["worker_id"]) != worker  # the refused accept took nothing
