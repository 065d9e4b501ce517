"""The docs pages (/docs, /redoc) load nothing from the internet: every URL they name is the service's own,
and it serves it."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from referrals.launcher import SERVICES
from shared.platform import api_docs
from shared.platform.service import create_app

EXPECTED_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


@pytest.fixture(scope="module", params=SERVICES)
def client(request):
    return TestClient(create_app(api_docs.definition_of(request.param), api_docs._settings()))  # no lifespan


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_name_only_local_urls_and_each_is_served(client, page):
    response = client.get(page)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert not re.search(r"(https?:)?//", response.text), "the page loads something from another host"
    assert re.search(r"""['"]/openapi\.json['"]""", response.text), "the page does not read this service's OpenAPI"
    assets = set(re.findall(r"""(?:src|href)=["'](/[^"']+)["']""", response.text))
    assert assets and all(url.startswith("/docs/static/") for url in assets), assets
    for url in assets:
        served = client.get(url)
        assert served.status_code == 200, url
        expected = EXPECTED_TYPES[url[url.rindex("."):]]
        assert served.headers["content-type"].startswith(expected), (url, served.headers["content-type"])
        assert len(served.content) > 1000, url


def test_swagger_ui_is_version_5_which_reads_openapi_3_1(client):
    script = client.get("/docs/static/swagger-ui-bundle.js").text
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")
    assert re.search(r'"5\.\d+\.\d+"', script), "Swagger UI before 5 cannot show OpenAPI 3.1"


def test_only_the_named_assets_are_served(client):
    assert client.get("/docs/static/swagger-ui-bundle.js.map").status_code == 404
    assert client.get("/docs/static/core.py").status_code == 404
