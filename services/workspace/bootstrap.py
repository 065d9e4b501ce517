"""The workspace's composition root: the HTTP client to the services and the session cookie, wired once."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from services.workspace.adapters.cookies import SessionCookie, key_from_secret
from services.workspace.adapters.services import connector
from services.workspace.service_layer.ports import Connect
from services.workspace.settings import WorkspaceSettings


@dataclass
class Wiring:
    settings: WorkspaceSettings
    call_as: Connect  # a token -> the services as that person
    cookie: SessionCookie
    client: httpx.AsyncClient


def bootstrap(settings: WorkspaceSettings, transport: httpx.AsyncBaseTransport | None = None) -> Wiring:
    """`transport` lets the unit tests answer for the services (httpx.MockTransport)."""
    client = httpx.AsyncClient(timeout=settings.api_timeout_s, transport=transport)
    return Wiring(settings=settings, call_as=connector(client, settings),
                  cookie=SessionCookie(key_from_secret(settings.session_secret), settings.session_max_age_s),
                  client=client)
