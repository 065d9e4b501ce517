"""What the workspace's browser tests share: Chromium, staff accounts, axe-core and screenshots."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import uuid
from pathlib import Path

import httpx
from playwright.async_api import Page

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
# Headless, as root, on a closed network: without these Chromium reaches for Google's hosts at start.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Written by the tests, kept by CI and linked from the README (docs/screenshots/README.md lists them).
SCREENSHOTS = Path(os.environ.get("WORKSPACE_SCREENSHOTS", ROOT / "docs" / "screenshots"))
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}


def launch_args(plugins_own: dict) -> dict:
    """What pytest-playwright launches: Debian's Chromium (no browser download), headless, with ARGS.
    The `browser` fixture every browser test takes is the plugin's, launched once per run with these."""
    assert os.path.exists(CHROMIUM), f"no Chromium at {CHROMIUM}: scripts/setup.sh installs Debian's chromium"
    return {**plugins_own, "executable_path": CHROMIUM, "args": ARGS}


async def new_account(system, roles: list[str], worker_id: str | None = None, programmes=None,
                      partner_id: str | None = None) -> dict:
    """A staff account made through identity's admin API; its email and password to sign in with."""
    password = secrets.token_urlsafe(18)
    email = f"{roles[0]}-{uuid.uuid4().hex[:8]}@staff.example.org"
    body = {"name": f"Test {roles[0]}", "email": email, "roles": roles, "password": password}
    if worker_id:
        body["worker_id"] = worker_id
    if programmes is not None:
        body["programmes"] = programmes
    if partner_id is not None:
        body["partner_id"] = partner_id  # a referrer's partner
    async with httpx.AsyncClient(base_url=system.url("identity"), timeout=20) as http:
        created = await http.post("/v1/accounts", headers=system.staff_headers("admin"), json=body)
    assert created.status_code == 201, created.text
    return {"email": email, "password": password, **created.json()}


async def new_context(browser, **options):
    """A browser context as the tests use it: JavaScript off unless asked, CSP bypassed for axe-core only."""
    javascript = options.pop("javascript", False)
    context = await browser.new_context(java_script_enabled=javascript, bypass_csp=True, viewport=DESKTOP, **options)
    context.javascript = javascript  # read by check_page
    return context


async def sign_in(page: Page, base: str, account: dict, start: str = "/") -> None:
    await page.goto(base + start)
    await page.wait_for_url("**/sign-in?next=*")
    await page.fill("#email", account["email"])
    await page.fill("#password", account["password"])
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_load_state()


async def axe_violations(page: Page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it stands (WCAG 2.x A and AA rules)."""
    assert AXE.is_file(), f"no {AXE}: run `npm ci` (package.json lists axe-core)"
    # The workspace's Content-Security-Policy refuses inline scripts: contexts bypass it for this tool alone.
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


async def check_page(page: Page, name: str) -> None:
    """axe-core finds no serious or critical problem, and the page is photographed at phone and desktop widths.

    axe-core is JavaScript: on a page browsed with JavaScript off, the same address is opened as the same person
    (the context's cookies) with it on, and checked there. The pages have no script of their own, so both show
    the same document."""
    if getattr(page.context, "javascript", True):
        checked, extra = page, None
    else:
        extra = await page.context.browser.new_context(
            bypass_csp=True, viewport=DESKTOP, storage_state=await page.context.storage_state())
        checked = await extra.new_page()
        await checked.goto(page.url)
    try:
        violations = await axe_violations(checked)
        assert violations == [], f"{name}: {json.dumps(violations, indent=1)}"
        await screenshot(checked, name)
    finally:
        if extra is not None:
            await extra.close()


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        await page.set_viewport_size(size)
        await page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    if original:
        await page.set_viewport_size(original)
