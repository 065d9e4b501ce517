"""The self-referral pages' layout and stylesheets: one base layout (NHS.UK frontend) for every page,
the stylesheets served by the router, and pages that still render when NHS.UK frontend's CSS is absent."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import services.intake.entrypoints.self_referral.assets as assets
import services.intake.entrypoints.self_referral.pages as pages
from services.intake.entrypoints.self_referral import (
    render_confirmation,
    render_form,
    render_not_found,
    render_status,
)
from services.intake.entrypoints.self_referral.routes import router
from shared.web import assets as shared_assets
from tests.unit.test_self_referral_form import (
    all_nodes,
    assert_accessible,
    by_id,
    parse,
    title_of,
)

NHSUK_URL = f"{assets.URL_PATH}/{assets.NHSUK_STYLESHEET}"
APP_URL = f"{assets.URL_PATH}/{assets.APP_STYLESHEET}"


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    app.include_router(router)
    return TestClient(app)


def _layout(page: str) -> dict:
    """What the base layout puts on every page."""
    doc = parse(page)
    nodes = all_nodes(doc)
    return {
        "lang": next(n for n in nodes if n.tag == "html").attrs["lang"],
        "stylesheets": [n.attrs["href"] for n in nodes if n.tag == "link" and n.attrs.get("rel") == "stylesheet"],
        "skip_link": [n.attrs["href"] for n in nodes if "nhsuk-skip-link" in (n.attrs.get("class") or "")],
        "main": [(n.attrs.get("id"), n.attrs.get("class")) for n in nodes if n.tag == "main"],
        "scripts": [n for n in nodes if n.tag == "script"],
    }


PAGES = {
    "form": lambda: render_form(programme_id="hackney", programme_name="Hackney Connect", action="/self-referral/x"),
    "confirmation": lambda: render_confirmation(reference="CC-1", programme_name="Hackney Connect"),
    "not found": render_not_found,
    "status": lambda: render_status(programme_id="hackney", reference="", postcode="", found=None),
    "status found": lambda: render_status(programme_id="hackney", reference="CC-1", postcode="E8 1DY", found=True,
                                          status_words="Someone has been chosen to support you"),
    "status not found": lambda: render_status(programme_id="hackney", reference="CC-1", postcode="E8 1DY",
                                              found=False),
}


@pytest.mark.parametrize("name", PAGES)
def test_every_page_uses_the_one_base_layout(name):
    page = PAGES[name]()
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert parse(page).unbalanced == []
    assert _layout(page) == {
        "lang": "en-GB",
        "stylesheets": assets.stylesheet_urls(),
        "skip_link": ["#maincontent"],
        "main": [("maincontent", "nhsuk-main-wrapper")],
        "scripts": [],
    }


def test_stylesheets_are_ours_last_and_under_the_routers_static_path():
    urls = assets.stylesheet_urls()
    assert [u.split("?")[0] for u in urls] == [NHSUK_URL, APP_URL]
    assert urls[0].endswith(f"?v={assets.NHSUK_FRONTEND_VERSION}")


def test_the_status_page_is_accessible_and_escapes_what_was_typed():
    page = render_status(programme_id='h"><b>', reference='<script>x', postcode='"E8', found=False)
    assert "<script" not in page.lower()
    doc = parse(page)
    assert_accessible(doc)
    ids = by_id(doc)
    assert ids["reference"].attrs["value"] == "<script>x"
    assert ids["postcode"].attrs["value"] == '"E8'
    assert ids["postcode"].attrs["autocomplete"] == "postal-code"
    form = next(n for n in all_nodes(doc) if n.tag == "form")
    assert form.attrs["method"] == "get" and form.attrs["action"] == '/self-referral/h"><b>/status'
    assert "could not find a referral" in page
    assert title_of(doc) == "Check your referral"


def test_the_status_page_says_the_status_in_a_live_region():
    doc = parse(render_status(programme_id="h", reference="CC-1", postcode="E8 1DY", found=True,
                              status_words="Someone has been chosen to support you"))
    (region,) = [n for n in all_nodes(doc) if n.attrs.get("role") == "status"]
    assert "Someone has been chosen to support you" in region.text()
    assert not [n for n in all_nodes(doc) if n.attrs.get("role") == "alert"]


def test_a_staff_page_can_extend_the_base_layout():
    template = pages._ENV.from_string(
        '{% extends "base.html" %}{% block main %}<h1>Caseload</h1><table></table>{% endblock %}'
    )
    page = template.render(title="Caseload", service_name="Connector workspace",
                           stylesheets=assets.stylesheet_urls())
    layout = _layout(page)
    assert layout["stylesheets"] == assets.stylesheet_urls() and layout["main"] == [("maincontent", "nhsuk-main-wrapper")]
    assert "Connector workspace" in page and "<table>" in page
    assert "nhsuk-grid-column-two-thirds" not in page  # `main` replaces the form's narrow column


def test_the_router_serves_both_stylesheets_as_css(client):
    # scripts/setup.sh installs NHS.UK frontend with npm; the browser test checks it styles the pages.
    assert assets.path_of(assets.NHSUK_STYLESHEET) is not None, "nhsuk-frontend is not installed: run `npm ci`"
    for url in (NHSUK_URL, APP_URL):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("text/css")
        assert response.text.strip()
    assert ".nhsuk-error-summary" in client.get(NHSUK_URL).text
    assert ".app-summary-list" in client.get(APP_URL).text


def test_only_the_known_files_are_served(client):
    assert client.get(f"{assets.URL_PATH}/fields.py").status_code == 404
    assert assets.path_of("fields.py") is None and assets.path_of("../templates/base.html") is None


def test_without_nhsuk_frontend_the_pages_render_unstyled(client, monkeypatch, tmp_path: Path):
    monkeypatch.setattr(assets, "_nhsuk_candidates", lambda: [tmp_path / "missing.css"])
    assert client.get(NHSUK_URL).status_code == 404
    assert client.get(APP_URL).status_code == 200
    page = PAGES["form"]()
    assert_accessible(parse(page))
    assert NHSUK_URL in page  # the link is still there; the browser just gets no styles


def test_the_error_summary_links_are_styled_by_our_stylesheet():
    # _error_summary.html renames NHS.UK frontend's __body and __list classes; app.css must style them.
    css = (shared_assets.STATIC / "app.css").read_text()
    summary = (shared_assets.TEMPLATES / "_error_summary.html").read_text()
    for name in ("app-summary-body", "app-summary-list"):
        assert name in summary and f".{name}" in css
