"""The self-referral pages in a real browser (Debian's Chromium, driven by Playwright): styled by
NHS.UK frontend, usable without JavaScript, errors summarised and linked, a referral made and followed."""

from __future__ import annotations

import pytest

from services.intake.domain.status import PLAIN_WORDS
from tests.support.sealed import opened_json, sealed

pytestmark = pytest.mark.e2e


async def test_a_person_refers_themselves_and_follows_it_in_a_browser(shared_system, new_context):
    """`new_context` is pytest-playwright's: on a failure it keeps a screenshot and a trace in test-results/."""
    system = shared_system
    await system.setup_partner(partner_id="browser-gp")  # opens the demo programme
    base = f"{system.url('intake')}/self-referral/demo"
    context = await new_context(java_script_enabled=False)  # the pages must work without it
    page = await context.new_page()
    response = await page.goto(base)
    assert response.status == 200
    assert await page.locator("h1").count() == 1
    # The page links NHS.UK frontend's stylesheet, and the service serves it.
    sheets = [await link.get_attribute("href") for link in await page.locator('link[rel="stylesheet"]').all()]
    assert any("nhsuk-frontend" in href for href in sheets), sheets
    css = await context.request.get(system.url("intake") + next(h for h in sheets if "nhsuk-frontend" in h))
    assert css.status == 200 and "Frutiger" in await css.text()

    await page.check('input[name="filled_by"][value="myself"]')
    await page.fill('input[name="given_name"]', "Brenda")
    await page.fill('input[name="family_name"]', "Browser")
    await page.fill('input[name="dob_day"]', "14")
    await page.fill('input[name="dob_month"]', "3")
    await page.fill('input[name="dob_year"]', "1948")
    await page.fill('input[name="postcode"]', "e8 3bb")
    await page.fill('input[name="phone"]', "01632 960 001")  # the form's own hint: an Ofcom drama number
    await page.check('input[name="contact_preferred"][value="phone"]')
    await page.locator('form button[type="submit"]').first.click()

    # No consent: the error summary at the top names the problem and links to the field.
    summary = page.locator(".nhsuk-error-summary")
    await summary.wait_for()
    link = summary.locator("a").first
    target = (await link.get_attribute("href")).lstrip("#")
    assert await page.locator(f"#{target}").count() == 1
    assert await page.input_value('input[name="family_name"]') == "Browser"  # what was typed is kept

    await page.check('input[name="consent_to_referral"]')
    await page.locator('form button[type="submit"]').first.click()
    await page.wait_for_url("**/confirmation?reference=*")
    reference = page.url.split("reference=")[1]
    assert reference in await page.locator("main").inner_text()

    [row] = await system.sql("SELECT person FROM intake.referrals WHERE self_reference = $1", reference)
    assert (await opened_json(system, row["person"], sealed.PERSON))["phone"] == "+441632960001"

    await page.goto(f"{base}/status")
    await page.fill('input[name="reference"]', reference.lower())
    await page.fill('input[name="postcode"]', "E8 3BB")
    await page.locator('main form button[type="submit"]').first.click()
    await page.wait_for_load_state()
    words = await page.locator("main").inner_text()
    assert any(said in words for said in PLAIN_WORDS.values()), words
