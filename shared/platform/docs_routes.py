"""What a running service serves about itself: its OpenAPI info and its AsyncAPI document's routes."""

from __future__ import annotations

import json
from typing import Any

import yaml
from fastapi import APIRouter, Response

from shared.platform.asyncapi import build, package_version, title_of
from shared.platform.definition import ServiceDefinition


def api_info(definition: ServiceDefinition) -> dict[str, str]:
    """FastAPI's (so OpenAPI's) title, version and description for a service."""
    api = definition.api
    text = (api.summary + "\n\n" + api.description) if api else f"The {definition.name} service."
    text += (
        "\n\nThe events it publishes and consumes are described by its AsyncAPI document at "
        "[`/asyncapi.json`](/asyncapi.json); both documents are also generated into the repository "
        f"(`docs/api/{definition.name}/`) by `referrals docs --write`."
    )
    return {"title": title_of(definition), "version": package_version(), "description": text}


def dumps(document: dict[str, Any]) -> str:
    """The stable text of a document: sorted keys, indent 2, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def docs_router(definition: ServiceDefinition) -> APIRouter:
    """`/asyncapi.json` and `/asyncapi.yaml` (FastAPI itself serves `/openapi.json` and `/docs`)."""
    router = APIRouter(tags=["docs"])
    cached: dict[str, str] = {}

    def text(kind: str) -> str:
        if kind not in cached:
            document = build(definition)
            cached["json"] = dumps(document)
            cached["yaml"] = yaml.safe_dump(document, sort_keys=True, allow_unicode=True)
        return cached[kind]

    @router.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi_json() -> Response:
        return Response(text("json"), media_type="application/json")

    @router.get("/asyncapi.yaml", include_in_schema=False)
    async def asyncapi_yaml() -> Response:
        return Response(text("yaml"), media_type="application/yaml")

    return router
