"""API documentation generated into the repository (docs/api/, `referrals docs [--write]`): each service's
OpenAPI and AsyncAPI documents as its code describes them. Serving them is shared/platform/docs_routes.py."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from shared.platform.asyncapi import build
from shared.platform.definition import ServiceDefinition
from shared.platform.docs_routes import dumps
from shared.platform.service import create_app
from shared.platform.settings import PlatformSettings

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs" / "api"
REGENERATE = "run `referrals docs --write` and commit docs/api/"


# --- generated into the repository (`referrals docs`) ---------------------------------------------


def _settings():
    """Settings for building an app only to read its OpenAPI: nothing is connected, no environment is read."""
    return PlatformSettings.model_construct(
        database_url="postgresql+asyncpg://docs@localhost/docs", kafka_bootstrap_servers="localhost:9092",
        auth_secret="not-used-for-generating-docs", log_level="WARNING",
    )


def definition_of(service: str) -> ServiceDefinition:
    return importlib.import_module(f"services.{service}.app").DEFINITION


def openapi(definition: ServiceDefinition) -> dict[str, Any]:
    """The service's OpenAPI document, from its app as served (the lifespan is not started)."""
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
