"""What a running service serves about itself: its OpenAPI info, its AsyncAPI document's routes, and
the API docs pages (Swagger UI at /docs, ReDoc at /redoc) with their scripts and stylesheets served by
the service itself, so the pages work on a machine without internet."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

import yaml
from fastapi import APIRouter, Response
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

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


# Swagger UI 5 and ReDoc as distributed, shipped in the fastapi-offline wheel (only its files are used).
DOCS_ASSETS = files("fastapi_offline") / "static"
DOCS_STATIC = "/docs/static"
ASSET_TYPES = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css",
               "redoc.standalone.js": "text/javascript", "favicon.png": "image/png"}


def docs_router(definition: ServiceDefinition) -> APIRouter:
    """`/asyncapi.json`, `/asyncapi.yaml`, and the docs pages `/docs` and `/redoc` with their assets
    (FastAPI itself serves `/openapi.json`)."""
    router = APIRouter(tags=["docs"])
    title = title_of(definition)
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

    @router.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title=f"{title}: API", swagger_js_url=f"{DOCS_STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_STATIC}/swagger-ui.css", swagger_favicon_url=f"{DOCS_STATIC}/favicon.png")

    @router.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title=f"{title}: API",
                              redoc_js_url=f"{DOCS_STATIC}/redoc.standalone.js",
                              redoc_favicon_url=f"{DOCS_STATIC}/favicon.png", with_google_fonts=False)

    for name, media_type in ASSET_TYPES.items():  # exact names: nothing else under the folder is served
        router.add_api_route(f"{DOCS_STATIC}/{name}", _asset(name, media_type), methods=["GET"],
                             include_in_schema=False)

    return router


def _asset(name: str, media_type: str):
    async def serve() -> FileResponse:
        return FileResponse(str(DOCS_ASSETS / name), media_type=media_type,
                            headers={"Cache-Control": "public, max-age=86400"})

    serve.__name__ = f"docs_asset_{name.replace('-', '_').replace('.', '_')}"
    return serve
