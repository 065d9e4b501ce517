"""Each service's route table as its app serves it: (method, path template, how the route authenticates)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from shared.platform.api_docs import _settings as docs_settings
from shared.platform.api_docs import definition_of
from shared.platform.service import create_app

SERVICES = ("intake", "triage", "caseload", "outcomes", "identity")


@dataclass(frozen=True)
class ServedRoute:
    service: str
    method: str
    path: str
    guard: str  # "staff", "partner" or "none": the credential dependency the route declares


def _guards(dependant) -> set[str]:
    found = set()
    for dependency in dependant.dependencies:
        name = getattr(dependency.call, "__qualname__", "")
        if name.startswith("require_staff"):
            found.add("staff")
        elif name.startswith("require_partner"):
            found.add("partner")
        found |= _guards(dependency)
    return found


def routes_of_app(service: str, app: FastAPI) -> Iterator[ServedRoute]:
    for context in iter_route_contexts(app.router.routes):
        route = context.route
        dependant = getattr(route, "dependant", None)
        guards = _guards(dependant) if dependant is not None else set()
        assert len(guards) <= 1, f"{route.path} declares both a staff and a partner credential"
        for method in sorted(set(getattr(route, "methods", None) or ()) - {"HEAD"}):
            yield ServedRoute(service, method, route.path, next(iter(guards), "none"))


def served_routes(service: str) -> list[ServedRoute]:
    return list(routes_of_app(service, create_app(definition_of(service), docs_settings())))
