"""Every workspace page needs a signed-in session, except the few that cannot: sign in, health, stylesheets
and scripts.

The workspace is not in the platform's policy table (shared/platform/policy.py covers the services' APIs):
what a person may do is decided by the service each page calls, with the person's own token."""

from __future__ import annotations

from fastapi.routing import iter_route_contexts

from services.workspace.entrypoints.web import current_session
from tests.unit.workspace.support import FakeServices, client_for

PUBLIC = {("GET", "/sign-in"), ("POST", "/sign-in"), ("GET", "/health/live"), ("GET", "/health/ready"),
          ("GET", "/static/nhsuk-frontend.min.css"), ("GET", "/static/app.css"), ("GET", "/static/workspace.css"),
          ("GET", "/static/htmx.min.js"), ("GET", "/static/workspace.js")}


def _needs_session(route) -> bool:
    return any(d.call is current_session for d in route.dependant.dependencies)


def test_every_route_but_the_public_ones_needs_a_session():
    app = client_for(FakeServices()).app
    routes = [(method, c.route.path, c.route) for c in iter_route_contexts(app.router.routes)
              if getattr(c.route, "dependant", None) is not None for method in c.route.methods - {"HEAD"}]
    assert len(routes) > 25
    public = {(m, p) for m, p, r in routes if not _needs_session(r)}
    assert public == PUBLIC


def test_the_stylesheets_are_served():
    client = client_for(FakeServices())
    for path in ("/static/app.css", "/static/workspace.css", "/static/nhsuk-frontend.min.css"):
        response = client.get(path)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/css"), path


def test_the_scripts_are_served():
    client = client_for(FakeServices())
    for path in ("/static/htmx.min.js", "/static/workspace.js"):
        response = client.get(path)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/javascript"), path
    assert "htmx" in client.get("/static/htmx.min.js").text
