"""API documentation: OpenAPI info for each service, the routes serving its AsyncAPI document, and the
copies of both generated into the repository (docs/api/, `referrals docs [--write]`)."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from fastapi import APIRouter, Response

from shared.platform.asyncapi import build, package_version, title_of

if TYPE_CHECKING:
    from shared.platform.service import ServiceDefinition

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs" / "api"
REGENERATE = "run `referrals docs --write` and commit docs/api/"


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


# --- files and routes -----------------------------------------------------------------------------


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


# --- generated into the repository (`referrals docs`) ---------------------------------------------


def _settings():
    """Settings for building an app only to read its OpenAPI: nothing is connected, no environment is read."""
    from shared.platform.settings import PlatformSettings

    return PlatformSettings.model_construct(
        database_url="postgresql+asyncpg://docs@localhost/docs", kafka_bootstrap_servers="localhost:9092",
        auth_secret="not-used-for-generating-docs", log_level="WARNING",
    )


def definition_of(service: str) -> ServiceDefinition:
    return importlib.import_module(f"services.{service}.app").DEFINITION


def openapi(definition: ServiceDefinition) -> dict[str, Any]:
    """The service's OpenAPI document, from its app as served (the lifespan is not started)."""
    from shared.platform.service import create_app

    return create_app(definition, _settings()).openapi()


def generate(services: Iterable[str]) -> dict[str, str]:
    """docs/api/<service>/{openapi,asyncapi}.json as the code describes them: relative path -> text."""
    files = {}
    for service in services:
        definition = definition_of(service)
        files[f"{service}/openapi.json"] = dumps(openapi(definition))
        files[f"{service}/asyncapi.json"] = dumps(build(definition))
    return files


def write(services: Iterable[str], directory: Path = DOCS_DIR) -> list[str]:
    """Write the generated files (and remove stale ones); return the relative paths that changed."""
    changed = []
    files = generate(services)
    for relative, text in files.items():
        path = directory / relative
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(relative)
    for path in sorted(directory.glob("*/*.json")) if directory.exists() else []:
        relative = path.relative_to(directory).as_posix()
        if relative not in files:
            path.unlink()
            changed.append(relative)
    return changed


def check(services: Iterable[str], directory: Path = DOCS_DIR) -> list[str]:
    """What in `directory` differs from what the code generates, one line each (empty: up to date)."""
    problems = []
    files = generate(services)
    for relative, text in files.items():
        path = directory / relative
        if not path.exists():
            problems.append(f"docs/api/{relative}: missing")
        elif path.read_text() != text:
            try:
                where = differences(json.loads(path.read_text()), json.loads(text))
            except ValueError:
                where = ["not valid JSON"]
            problems.append(f"docs/api/{relative}: differs at " + ", ".join(where))
    for path in sorted(directory.glob("*/*.json")) if directory.exists() else []:
        relative = path.relative_to(directory).as_posix()
        if relative not in files:
            problems.append(f"docs/api/{relative}: no longer generated")
    return problems


def differences(old: Any, new: Any, path: str = "", limit: int = 8, depth: int = 4) -> list[str]:
    """Where two JSON documents differ, as JSON Pointers (at most `limit`, at most `depth` deep)."""
    if old == new:
        return []
    if depth == 0 or not (isinstance(old, dict) and isinstance(new, dict)):
        return [path or "/"]
    found: list[str] = []
    for key in sorted(set(old) | set(new)):
        if key not in old or key not in new or old[key] != new[key]:
            escaped = str(key).replace("~", "~0").replace("/", "~1")
            found += differences(old.get(key), new.get(key), f"{path}/{escaped}", limit, depth - 1)
        if len(found) >= limit:
            return found[:limit] + ["..."]
    return found
