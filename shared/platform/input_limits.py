"""Limits on what a request may carry, checked before any route reads it.

Hostile or broken input must get a clear 4xx, never a 500 and never a row in the
database: control characters (PostgreSQL cannot store NUL, and none is ever meant)
in the path, the query, a header or a JSON body are a 422 naming where; a body over
the route's size limit is a 413 before it is stored; JSON nested deeper than any
referral needs is a 422 before a parser recurses into it.

Written as plain ASGI middleware (not FastAPI's), because it must answer before the
body reaches a route, and replay the body it has read to the route when it passes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

KIB = 1024
MIB = 1024 * KIB
DEFAULT_BODY_LIMIT = 256 * KIB
MAX_JSON_DEPTH = 32
ALLOWED_CONTROLS = frozenset("\t\n\r")  # free text (a referrer's concerns) may hold line breaks


def control_characters_in(text: str) -> bool:
    return any((ord(c) < 32 and c not in ALLOWED_CONTROLS) or 127 <= ord(c) < 160 for c in text)


@dataclass(frozen=True)
class InputLimits:
    """Body limits by path prefix (the longest matching prefix wins), and the JSON nesting limit."""

    bodies: Sequence[tuple[str, int]] = ()
    default_body: int = DEFAULT_BODY_LIMIT
    max_json_depth: int = MAX_JSON_DEPTH
    # Paths whose callers are FHIR systems: refusals are an OperationOutcome, as every FHIR error is.
    fhir_prefixes: tuple[str, ...] = ()
    # Paths that keep every submission as it was sent and say themselves what is wrong with it (intake's
    # referral routes): their JSON's characters are the route's to judge, so a rejected body is still kept.
    # Size and nesting limits hold there too: those are answered before anything is stored.
    submission_prefixes: tuple[str, ...] = ()
    # Paths people reach in a browser: refusals are a short HTML page, as the rest of those pages are.
    html_prefixes: tuple[str, ...] = ()

    def body_limit(self, path: str) -> int:
        matches = [(len(prefix), limit) for prefix, limit in self.bodies if path.startswith(prefix)]
        return max(matches)[1] if matches else self.default_body


class Refusal(Exception):
    def __init__(self, status: int, title: str, field: str, problem: str) -> None:
        super().__init__(problem)
        self.status, self.title, self.field, self.problem = status, title, field, problem


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether arrays/objects nest deeper than `limit`, by a scan that never recurses."""
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def first_control_character(value: Any, path: str = "") -> str | None:
    """The JSON path of the first key or string holding a control character, walking without recursion."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if control_characters_in(item):
                return where or "<body>"
        elif isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{where}.{key}" if where else str(key)
                if control_characters_in(str(key)):
                    return child_path
                stack.append((child_path, child))
        elif isinstance(item, list):
            stack.extend((f"{where}.{i}" if where else str(i), child) for i, child in enumerate(item))
    return None


def _is_json(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def check_head(scope: dict) -> None:
    """The path, the query and the headers: what a route may read before any body."""
    if control_characters_in(scope.get("path", "")):
        raise Refusal(422, "The request is not valid", "path", "contains control characters")
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="replace"):
        if control_characters_in(name) or control_characters_in(value) or "\ufffd" in value:
            raise Refusal(422, "The request is not valid", f"query.{_printable(name)}",
                          "contains control characters or is not UTF-8 text")
    for raw_name, raw_value in scope.get("headers", []):
        value = raw_value.decode("latin-1")
        if any(ord(c) < 32 and c != "\t" for c in value):
            raise Refusal(422, "The request is not valid", f"header.{raw_name.decode('latin-1')}",
                          "contains control characters")


def check_body(body: bytes, content_type: str, limits: InputLimits, *, characters: bool = True) -> None:
    if not body or not _is_json(content_type):
        return
    if json_depth_exceeds(body, limits.max_json_depth):
        raise Refusal(422, "The request is not valid", "<body>",
                      f"nested more than {limits.max_json_depth} levels deep")
    if not characters:
        return
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return  # not JSON: the route says so in its own words
    where = first_control_character(parsed)
    if where is not None:
        raise Refusal(422, "The request is not valid", where, "contains control characters")


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)[:100]


class InputLimitsMiddleware:
    def __init__(self, app, limits: InputLimits | None = None) -> None:
        self.app = app
        self.limits = limits or InputLimits()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_head(scope)
            body = await self._read_body(scope, receive)
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            path = scope.get("path", "")
            kept = bool(self.limits.submission_prefixes) and path.startswith(self.limits.submission_prefixes)
            check_body(body, headers.get("content-type", ""), self.limits, characters=not kept)
        except Refusal as refusal:
            path = scope.get("path", "")
            if self.limits.fhir_prefixes and path.startswith(self.limits.fhir_prefixes):
                await _operation_outcome(send, refusal)
            elif self.limits.html_prefixes and path.startswith(self.limits.html_prefixes):
                await _page(send, refusal)
            else:
                await _problem(send, refusal)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_body(self, scope, receive) -> bytes:
        limit = self.limits.body_limit(scope.get("path", ""))
        too_large = Refusal(413, "The request is too large", "<body>", f"the body may be at most {limit} bytes here")
        for name, value in scope.get("headers", []):
            if name.lower() == b"content-length":
                try:
                    if int(value) > limit:
                        raise too_large  # answered before a byte of it is read
                except ValueError:
                    raise Refusal(400, "The request is not valid", "header.content-length",
                                  "is not a number") from None
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        return b"".join(chunks)


def _replay(body: bytes, receive):
    """The body already read, then the connection as it is (a later disconnect still reaches the route)."""
    sent = False

    async def replayed():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _problem(send, refusal: Refusal) -> None:
    await _answer(send, refusal.status, "application/problem+json", {
        "type": "https://referrals.example/problems/input",
        "title": refusal.title,
        "status": refusal.status,
        "detail": f"{refusal.field}: {refusal.problem}",
        "errors": [{"field": refusal.field, "problem": refusal.problem}],
    })


async def _operation_outcome(send, refusal: Refusal) -> None:
    issue = {"severity": "error", "code": "too-costly" if refusal.status == 413 else "invalid",
             "diagnostics": f"{refusal.field}: {refusal.problem}"}
    if refusal.field not in ("<body>", "path") and not refusal.field.startswith(("query.", "header.")):
        issue["expression"] = [refusal.field]
    await _answer(send, refusal.status, "application/fhir+json", {"resourceType": "OperationOutcome", "issue": [issue]})


async def _page(send, refusal: Refusal) -> None:
    words = ("What was sent is too large." if refusal.status == 413
             else "What was sent holds characters that cannot be read. Go back, check it and try again.")
    page = (f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>{refusal.title}</title></head>'
            f"<body><main><h1>{refusal.title}</h1><p>{words}</p></main></body></html>")
    await _answer(send, refusal.status, "text/html; charset=utf-8", page.encode())


async def _answer(send, status: int, media_type: str, content: dict | bytes) -> None:
    body = content if isinstance(content, bytes) else json.dumps(content).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", media_type.encode()), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
