"""What routes say about themselves in OpenAPI beyond what FastAPI infers: the error responses each
can give (RFC 9457 problem details, or a FHIR OperationOutcome), and the request bodies of routes that
read the raw body themselves (to keep it as sent, or because it is CSV, YAML or FHIR).

Routes use it in their decorators only:

    @router.post("/v1/things", responses=errors(401, 403, 413, 422),
                 openapi_extra=request_body(Thing, example={...}))

`install(app)` puts the schemas these name (Problem, OperationOutcome, the body models) into the
document's components.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

PROBLEM_JSON = "application/problem+json"
FHIR_JSON = "application/fhir+json"
PROBLEM_REF = "#/components/schemas/Problem"
OUTCOME_REF = "#/components/schemas/OperationOutcome"

PROBLEM: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details. A validation problem (422) names each field in `errors`.",
    "type": "object",
    "required": ["title", "status"],
    "properties": {
        "type": {"type": "string", "description": "a URI naming the kind of problem"},
        "title": {"type": "string", "description": "what kind of problem, in a few words"},
        "status": {"type": "integer", "description": "the HTTP status code"},
        "detail": {"type": "string", "description": "what went wrong this time"},
        "errors": {
            "type": "array",
            "description": "each field that failed validation and why (the submitted value is not echoed)",
            "items": {
                "type": "object",
                "required": ["field", "problem"],
                "properties": {"field": {"type": "string", "description": "dotted path, or `<body>`"},
                               "problem": {"type": "string"}},
            },
        },
    },
}

OPERATION_OUTCOME: dict[str, Any] = {
    "title": "OperationOutcome",
    "description": "A FHIR R4 OperationOutcome: each issue names its problem by FHIRPath (`expression`).",
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"const": "OperationOutcome"},
        "issue": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["severity", "code"],
                "properties": {
                    "severity": {"enum": ["fatal", "error", "warning", "information"]},
                    "code": {"type": "string", "description": "a FHIR issue type, e.g. invalid, forbidden"},
                    "diagnostics": {"type": "string"},
                    "expression": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}

WHY: dict[int, str] = {
    400: "The body is not what the route reads (e.g. not JSON, or not a JSON object).",
    401: "No credentials, or credentials that are not valid (partner: `X-API-Key`; staff: a bearer token).",
    403: "Authenticated, but not allowed: a staff role the route does not accept, or a programme the referrer "
         "may not refer to.",
    404: "Nothing of that id (or nothing this caller may see).",
    409: "It conflicts with what is already there.",
    413: "The body is larger than the service accepts.",
    422: "The request is not valid: each problem is named.",
    429: "Too many requests: come back after the seconds the Retry-After header gives.",
    503: "The database cannot be reached just now (restarting or failing over): nothing to fix in the request; "
         "send it again after the seconds the Retry-After header gives.",
}

_BODIES: dict[str, dict[str, Any]] = {}  # component name -> JSON Schema, of the models request_body() names


def errors(*codes: int, fhir: Iterable[int] = (), why: Mapping[int, str] | None = None) -> dict[int | str, Any]:
    """The `responses=` of a route for the error statuses it can give: problem+json, or, for the codes in
    `fhir`, a FHIR OperationOutcome. `why` replaces the general description of a code for this route."""
    fhir, why = set(fhir), dict(why or {})
    responses: dict[int | str, Any] = {}
    for code in sorted(set(codes) | fhir):
        media, ref = (FHIR_JSON, OUTCOME_REF) if code in fhir else (PROBLEM_JSON, PROBLEM_REF)
        responses[code] = {"description": why.get(code, WHY.get(code, "An error.")),
                           "content": {media: {"schema": {"$ref": ref}}}}
    return responses


def success(code: int, description: str, schema: dict[str, Any] | type[BaseModel] | None = None,
            media_type: str = "application/json", example: Any = None) -> dict[int, Any]:
    """A success response other than the route's own (e.g. 200 for a repeated, idempotent submission)."""
    content: dict[str, Any] = {}
    if schema is not None:
        content["schema"] = _schema_of(schema)
    if example is not None:
        content["example"] = example
    return {code: {"description": description, "content": {media_type: content}}}


def html(code: int, description: str) -> dict[int, Any]:
    return {code: {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}}


def request_body(schema: type[BaseModel] | dict[str, Any], *, media_types: Iterable[str] = ("application/json",),
                 example: Any = None, description: str | None = None) -> dict[str, Any]:
    """`openapi_extra=` for a route that reads its body itself: the body is `schema` (a model, whose JSON
    Schema goes into the components, or a JSON Schema) in each of `media_types`."""
    content = {}
    for media in media_types:
        content[media] = {"schema": _schema_of(schema)}
        if example is not None:
            content[media]["example"] = example
    body: dict[str, Any] = {"required": True, "content": content}
    if description:
        body["description"] = description
    return {"requestBody": body}


def text_body(media_type: str, example: str, description: str) -> dict[str, Any]:
    return request_body({"type": "string"}, media_types=(media_type,), example=example, description=description)


def named(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema kept in the components under `name`; what to put where a schema goes."""
    _register(name, schema)
    return {"$ref": f"#/components/schemas/{name}"}


def _schema_of(schema: type[BaseModel] | dict[str, Any]) -> dict[str, Any]:
    if isinstance(schema, dict):
        return schema
    generated = schema.model_json_schema(ref_template="#/components/schemas/{model}", mode="validation")
    for name, definition in generated.pop("$defs", {}).items():
        _register(name, definition)
    _register(schema.__name__, generated)
    return {"$ref": f"#/components/schemas/{schema.__name__}"}


def _register(name: str, definition: dict[str, Any]) -> None:
    if _BODIES.setdefault(name, definition) != definition:
        raise ValueError(f"two different schemas are called {name!r} in OpenAPI")


def _refs(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """Add to the document's components every schema a $ref names that FastAPI did not put there."""
    known = {"Problem": PROBLEM, "OperationOutcome": OPERATION_OUTCOME, **_BODIES}
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    pending = list(_refs(document))
    while pending:
        name = pending.pop().removeprefix("#/components/schemas/")
        if name in schemas or name not in known:
            continue
        schemas[name] = known[name]
        pending.extend(_refs(known[name]))
    document["components"]["schemas"] = dict(sorted(schemas.items()))
    return document


def install(app: FastAPI) -> None:
    """The app's OpenAPI document, completed with the schemas routes name through this module."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(with_unavailable(generate()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def with_unavailable(document: dict[str, Any]) -> dict[str, Any]:
    """Every route that reads or writes the database may answer 503 while it cannot be reached
    (shared.platform.http); a route that says how it answers 503 (a page for people) keeps its own."""
    unavailable = {"description": WHY[503],
                   "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}},
                   "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}}
    for path, operations in document.get("paths", {}).items():
        if path.startswith("/health/") or path == "/metrics":
            continue  # answered without the database, or saying so in their own words
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("503", unavailable)
    return document
