"""The services' HTTP APIs, called with the signed-in person's token: one client per service.

Each answer the services refuse becomes one of the service layer's refusals (service_layer/errors.py), so
the pages show the service's own rule: 401 signs the person out, 403 is "not yours", 404 "not found",
409 and 422 the service's own words.
"""

from __future__ import annotations

from typing import Any

import httpx

from services.workspace.service_layer.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    NotSignedIn,
    Unavailable,
)


def _problems(response: httpx.Response) -> list[dict[str, str]]:
    """The problems a refusal names: problem details' `errors` (field, problem), else its detail alone."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return [{"field": "", "message": "The service refused this."}]
    found = [{"field": str(e.get("field", "")).removeprefix("<body>"), "message": str(e.get("problem", ""))}
             for e in body.get("errors") or [] if isinstance(e, dict)]
    return found or [{"field": "", "message": str(body.get("detail") or body.get("title") or "Refused")}]


class ServiceApi:
    """One service's API, as one person (their bearer token)."""

    def __init__(self, client: httpx.AsyncClient, base_url: str, token: str | None = None) -> None:
        self._client = client
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def request(self, method: str, path: str, *, json: Any = None,
                      params: dict[str, Any] | None = None) -> Any:
        params = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            response = await self._client.request(method, self._base + path, json=json, params=params,
                                                  headers=self._headers)
        except httpx.HTTPError as exc:
            raise Unavailable(type(exc).__name__) from None
        if response.status_code == 401:
            raise NotSignedIn()
        if response.status_code == 403:
            raise Forbidden(_problems(response)[0]["message"])
        if response.status_code == 404:
            raise NotFound(path)
        if response.status_code == 409:
            raise Conflict(_problems(response)[0]["message"])
        if response.status_code in (400, 422):
            raise Invalid(_problems(response))
        if response.status_code >= 400:
            raise Unavailable(f"{response.status_code}")
        if response.status_code == 204 or not response.content:
            return None
        if response.headers.get("content-type", "").startswith("application/json") or \
                response.headers.get("content-type", "").startswith("application/problem+json"):
            return response.json()
        return response.text

    async def get(self, path: str, **params: Any) -> Any:
        return await self.request("GET", path, params=params)

    async def post(self, path: str, body: Any = None) -> Any:
        return await self.request("POST", path, json=body if body is not None else {})
