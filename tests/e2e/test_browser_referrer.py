"""A referrer (a partner's member of staff) in a real browser against the running system: signs in to the
workspace, makes a referral with the form, sees it received, and sees the status change once the case is
assigned; another partner's referrer does not see it. axe-core checks each page, photographed at both widths."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.e2e.workspace_browser import check_page, new_account, new_context, sign_in

pytestmark = pytest.mark.e2e


async def _row_text(page, url: str, reference: str, wanted: str, timeout_s: float = 120) -> str:
    """Reload the list until the referral's row shows `wanted` (a status arrives by event: it takes what it takes)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        await page.goto(url)
        row = page.locator("table tbody tr", has_text=reference)
        text = await row.inner_text() if await row.count() else ""
        if wanted in text:
            return text
        assert asyncio.get_running_loop().time() < deadline, f"{reference} never showed {wanted!r}: {text!r}"
        await asyncio.sleep(0.5)


async def test_a_referrer_makes_a_referral_and_follows_its_status(system, browser):
    system.start()
    workspace = system.start_workspace()
    partner_a, partner_b = (f"ref-gp-{uuid.uuid4().hex[:6]}" for _ in range(2))
    await system.setup_partner(partner_id=partner_a)
    await system.setup_partner(partner_id=partner_b)
    await system.add_worker("connector", "21", travel_districts=["E8"])  # takes the case at once
    referrer_a = await new_account(system, ["referrer"], partner_id=partner_a)
    referrer_b = await new_account(system, ["referrer"], partner_id=partner_b)
    # Triage is stopped while the referral is made, so "received" is what it is until triage starts again.
    system.stop("triage")

    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, workspace, referrer_a, start="/referrals")
    await page.wait_for_url(f"{workspace}/referrals")
    await check_page(page, "referrals-none")
    await page.get_by_role("button", name="Make a referral").click()
    await page.wait_for_url(f"{workspace}/referrals/new")
    await check_page(page, "referral-form")

    # Sent with nothing filled in: the error summary names each problem, and nothing is referred.
    await page.get_by_role("button", name="Send referral").click()
    summary = page.locator(".nhsuk-error-summary")
    await summary.wait_for()
    assert "Enter their first name" in await summary.inner_text()
    assert "agreed to be referred" in await summary.inner_text()

    reference = f"GP-{uuid.uuid4().hex[:8]}"
    await page.fill("#given_name", "Olwen")
    await page.fill("#family_name", "Formfilled")
    await page.fill("#dob-day", "2")
    await page.fill("#dob-month", "3")
    await page.fill("#dob-year", "1941")
    await page.fill("#postcode", "E8 1DY")
    await page.fill("#phone", "01632 960 004")
    await page.fill("#reason", "Lonely since her husband died; would like company")
    await page.fill("#partner_referral_id", reference)
    await page.check("#consent")
    await page.get_by_role("button", name="Send referral").click()
    await page.wait_for_url(f"{workspace}/referrals?saved=*")
    row = await _row_text(page, f"{workspace}/referrals", reference, "Received")
    assert "the scheme has the referral" in row
    await check_page(page, "referrals")

    # Intake filed it under partner A, sent by the form: what crossed the wire.
    [stored] = await system.sql("SELECT partner_id, status FROM intake.referrals WHERE partner_referral_id = $1",
                                reference)
    assert (stored["partner_id"], stored["status"]) == (partner_a, "received")

    # Partner B's referrer does not see it.
    other = await new_context(browser)
    other_page = await other.new_page()
    await sign_in(other_page, workspace, referrer_b, start="/referrals")
    await other_page.wait_for_url(f"{workspace}/referrals")
    assert reference not in await other_page.locator("main").inner_text()
    assert "not made any referrals yet" in await other_page.locator("main").inner_text()
    await other.close()

    # Triage decides, caseload assigns: the status the referrer sees changes.
    system.start("triage")
    row = await _row_text(page, f"{workspace}/referrals", reference, "Assigned")
    assert "Someone has been chosen to support this person" in row
    await context.close()
