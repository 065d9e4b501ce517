"""The five services' APIs over one pooled HTTP client."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from services.workspace.adapters.api import ServiceApi
from services.workspace.settings import WorkspaceSettings


@dataclass(frozen=True)
class HttpApis:
    identity: ServiceApi
    intake: ServiceApi
    triage: ServiceApi
    caseload: ServiceApi
    outcomes: ServiceApi


def connector(client: httpx.AsyncClient, settings: WorkspaceSettings):
    """Connect: a token -> the services' APIs as that person."""

    def connect(token: str | None) -> HttpApis:
        return HttpApis(*(ServiceApi(client, url, token) for url in (
            settings.identity_url, settings.intake_url, settings.triage_url, settings.caseload_url,
            settings.outcomes_url)))

    return connect
