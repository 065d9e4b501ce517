"""A connector corrects the person's phone number from their case, in a real browser (JavaScript off) against
the running system: intake's refusal of a number that is not one is shown on the form with what was typed,
and once corrected the case says so and shows the new number, which intake keeps only sealed; how they prefer
to be contacted is changed as consent, from the link the form gives.
axe-core checks the form as it starts; it is photographed at phone and desktop widths (docs/screenshots/)."""

from __future__ import annotations

import json
import uuid

import pytest

from shared.platform.sealing import is_sealed
from tests.e2e.test_browser_workspace import _refer, _until_text
from tests.e2e.workspace_browser import check_page, new_account, new_context, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def workspace(shared_system):
    return shared_system.start_workspace()


async def test_a_connector_corrects_the_phone_number_on_the_case(shared_system, workspace, browser):
    system = shared_system
    api_key = await system.setup_partner(partner_id=f"cd-gp-{uuid.uuid4().hex[:6]}")
    referral_id = await _refer(system, api_key, given_name="Corinne", family_name="Changed", phone="01632 960 031")
    [case] = await system.wait_for("SELECT id, worker_id FROM caseload.cases WHERE referral_id = $1 AND "
                                   "status = 'assigned'", uuid.UUID(referral_id), timeout_s=180)
    await system.wait_for("SELECT 1 FROM intake.case_holders WHERE case_id = $1 AND worker_id = $2",
                          case["id"], case["worker_id"])
    connector = await new_account(system, ["connector"], worker_id=str(case["worker_id"]), programmes=["demo"])

    context = await new_context(browser)  # JavaScript off: everything works without it
    page = await context.new_page()
    case_url = f"{workspace}/cases/{case['id']}"
    await sign_in(page, workspace, connector, start=f"/cases/{case['id']}")
    await _until_text(page, case_url, "Change contact details")
    await page.get_by_role("link", name="Change contact details").click()
    await page.wait_for_url(f"{case_url}/person/edit")
    assert await page.input_value("#phone") == "+441632960031"  # what intake holds now
    await check_page(page, "contact-details-form")  # opens the address again: the form as it starts

    # A number that is not one: intake refuses it, and the form says so against the field, keeping it.
    await page.fill("#phone", "12345")
    await page.fill("#best_times", "After 6pm on weekdays")
    await page.get_by_role("button", name="Save").click()
    summary = page.locator(".nhsuk-error-summary")
    await summary.wait_for()
    assert "phone number" in await summary.inner_text()
    assert [await a.get_attribute("href") for a in await summary.locator("a").all()] == ["#phone"]
    assert await page.input_value("#phone") == "12345"
    assert await page.input_value("#best_times") == "After 6pm on weekdays"

    await page.fill("#phone", "01632 960 032")
    await page.get_by_role("button", name="Save").click()
    await page.wait_for_url(f"{case_url}?saved=*")
    assert "Contact details updated" in await page.locator(".app-notice").inner_text()
    main = await page.locator("main").inner_text()
    assert "+441632960032" in main and "After 6pm on weekdays" in main

    [row] = await system.sql("SELECT person #>> '{}' AS person FROM intake.referrals WHERE id = $1",
                             uuid.UUID(referral_id))
    assert is_sealed(row["person"]) and "1632960032" not in row["person"]
    [change] = await system.sql("SELECT actor, fields FROM intake.audit_trail WHERE case_id = $1 "
                                "AND action = 'change'", case["id"])
    assert list(change["fields"]) == ["phone", "best_times"]

    # How they prefer to be contacted is one of their wishes: recorded as consent on the case (caseload), it
    # reaches intake by caseload's event, and the case shows it from there.
    await page.goto(f"{case_url}/person/edit")
    await page.get_by_role("link", name="record a change to consent").click()
    await page.wait_for_url(f"{case_url}/consent")
    await page.check('input[name="preferred_contact"][value="text"]')
    await page.check('input[name="do_not_contact_by"][value="home_visit"]')  # and no home visits
    await check_page(page, "consent-form")
    await page.check('input[name="reported_by"][value="person"]')
    await page.get_by_role("button", name="Save").click()
    await page.wait_for_url(f"{case_url}?saved=*")
    await system.wait_for("SELECT 1 FROM intake.referral_consents WHERE referral_id = $1 AND "
                          "consent->>'preferred_contact' = 'text'", uuid.UUID(referral_id))
    [held] = await system.sql("SELECT consent FROM caseload.cases WHERE id = $1", case["id"])
    wishes = json.loads(held["consent"]) if isinstance(held["consent"], str) else held["consent"]
    assert wishes["do_not_contact_by"] == ["home_visit"], wishes
    await page.goto(f"{case_url}/consent")  # the form opens with what caseload now holds
    assert await page.is_checked('input[name="do_not_contact_by"][value="home_visit"]')
    assert not await page.is_checked('input[name="do_not_contact_by"][value="phone"]')
    await page.goto(case_url)
    row = page.locator(".nhsuk-summary-list__row", has_text="Preferred contact")
    assert (await row.locator("dd").inner_text()).strip() == "text"
    await context.close()
