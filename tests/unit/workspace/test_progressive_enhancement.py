"""htmx in the workspace (issue 15): every page links htmx and our one script from this origin, configures htmx by
a meta tag the Content-Security-Policy allows, and boosts its links and forms; the pages work without them."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from tests.unit.workspace.support import FakeServices, client_for, signed_in

TEMPLATES = Path(__file__).resolve().parents[3] / "services" / "workspace" / "entrypoints" / "templates"


class _Head(HTMLParser):
    """The scripts, the htmx-config meta tag and the <body>'s attributes of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict] = []
        self.config: str | None = None
        self.body: dict = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts.append(attrs)
        elif tag == "meta" and attrs.get("name") == "htmx-config":
            self.config = attrs["content"]
        elif tag == "body":
            self.body = attrs


def _parsed(html: str) -> _Head:
    head = _Head()
    head.feed(html)
    return head


def _swapped(config: dict, status: int) -> bool:
    """What htmx 2 does with a response of this status: the first rule whose code (a regex) matches decides."""
    rule = next(r for r in config["responseHandling"] if re.search(r["code"], str(status)))
    return rule["swap"]


def test_every_page_links_htmx_and_our_script_from_this_origin():
    for client, path in ((client_for(FakeServices()), "/sign-in"), (signed_in(FakeServices()), "/")):
        page = _parsed(client.get(path).text)
        sources = [s["src"] for s in page.scripts]
        assert sources == ["/static/htmx.min.js?v=2.0.11", "/static/workspace.js"], path
        assert all("defer" in s for s in page.scripts)  # no inline script: the CSP allows only 'self' files
        assert page.body.get("hx-boost") == "true", path


def test_htmx_is_configured_within_the_content_security_policy():
    client = client_for(FakeServices())
    response = client.get("/sign-in")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "unsafe" not in response.headers["content-security-policy"]
    config = json.loads(_parsed(response.text).config)
    assert config["includeIndicatorStyles"] is False  # an inline <style> would be refused
    assert config["allowEval"] is False
    assert config["historyCacheSize"] == 0  # pages with people's details are not kept in session storage


def test_refusals_and_forms_with_problems_are_swapped_in():
    config = json.loads(_parsed(client_for(FakeServices()).get("/sign-in").text).config)
    for status in (200, 401, 403, 404, 409, 422, 503):
        assert _swapped(config, status), status
    assert not _swapped(config, 204)


def test_downloads_are_not_boosted():
    """htmx boosts a link with `download` too, and would swap the CSV in as the page: each opts out."""
    downloads = [line for f in TEMPLATES.glob("*.html") for line in f.read_text().splitlines() if " download" in line]
    assert len(downloads) >= 2
    assert all('hx-boost="false"' in line for line in downloads), downloads


def test_the_served_htmx_is_the_one_package_json_pins():
    from shared.web import assets

    pinned = json.loads((TEMPLATES.parents[3] / "package.json").read_text())["dependencies"]["htmx.org"]
    assert pinned == assets.HTMX_VERSION and pinned.startswith("2.")
