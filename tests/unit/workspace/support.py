"""The workspace app with the services answered by a fake (httpx.MockTransport) that records each call."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from fastapi.testclient import TestClient

from services.workspace.app import create_app
from services.workspace.bootstrap import bootstrap
from services.workspace.settings import WorkspaceSettings

SETTINGS = dict(INTAKE_URL="http://intake", TRIAGE_URL="http://triage", CASELOAD_URL="http://caseload",
                OUTCOMES_URL="http://outcomes", IDENTITY_URL="http://identity", AUTH_SECRET="s" * 40,
                WORKSPACE_COOKIE_SECURE=False)
PASSWORD = "correct horse battery"


def token_for(roles: list[str], worker_id: str | None = None, ttl_s: int = 3600,
              programmes: list[str] | None = None) -> str:
    """A token as identity would issue it (the workspace reads it, the services verify it)."""
    now = int(time.time())
    claims = {"sub": "account-1", "roles": roles, "iat": now, "exp": now + ttl_s}
    if worker_id:
        claims["wid"] = worker_id
    if programmes is not None:
        claims["prg"] = programmes
    return jwt.encode(claims, "identity's own secret, not the workspace's", algorithm="HS256")


@dataclass
class FakeServices:
    """Routes (method, host, path regex) -> a handler (request, match) -> httpx.Response; every call kept."""

    routes: list[tuple[str, str, re.Pattern, Callable]] = field(default_factory=list)
    calls: list[httpx.Request] = field(default_factory=list)
    roles: list[str] = field(default_factory=lambda: ["connector"])
    worker_id: str | None = "5d1c6a3e-0000-4000-8000-000000000001"
    programmes: list[str] | None = None  # the account's programmes (the token's `prg`); None: every programme

    def on(self, method: str, host: str, path: str, answer: Any) -> None:
        handler = answer if callable(answer) else (lambda request, match, answer=answer: httpx.Response(200, json=answer))
        self.routes.insert(0, (method, host, re.compile(path + "$"), handler))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        if (request.method, request.url.host, request.url.path) == ("POST", "identity", "/v1/sessions"):
            import json

            body = json.loads(request.content)
            if body.get("password") != PASSWORD:
                return httpx.Response(401, json={"detail": "invalid credentials"})
            return httpx.Response(201, json={"access_token": token_for(self.roles, self.worker_id, programmes=self.programmes),
                                             "expires_in": 3600, "session_id": "s", "token_type": "bearer"})
        if (request.method, request.url.host, request.url.path) == ("DELETE", "identity", "/v1/sessions/current"):
            return httpx.Response(204)
        for method, host, pattern, handler in self.routes:
            if method == request.method and host == request.url.host and (m := pattern.match(request.url.path)):
                return handler(request, m)
        return httpx.Response(404, json={"detail": "not found"})

    def bodies(self, method: str, path: str) -> list[dict]:
        import json

        return [json.loads(c.content or b"{}") for c in self.calls if c.method == method and c.url.path == path]


def client_for(fake: FakeServices) -> TestClient:
    app = create_app(bootstrap(WorkspaceSettings(**SETTINGS), httpx.MockTransport(fake)))
    return TestClient(app, follow_redirects=False)


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    return CSRF.search(html).group(1)


def signed_in(fake: FakeServices, email: str = "alex@example.org") -> TestClient:
    client = client_for(fake)
    page = client.get("/sign-in")
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": csrf_of(page.text),
                                             "next": "/"})
    assert response.status_code == 303, response.text
    return client
