"""Limits on requests, checked before any route reads them: a clear 4xx, never a 500 or a stored row."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from shared.platform.input_limits import (
    InputLimits,
    InputLimitsMiddleware,
    first_control_character,
    json_depth_exceeds,
)

seen: list[bytes] = []


def app_with(limits: InputLimits) -> TestClient:
    app = FastAPI()
    app.add_middleware(InputLimitsMiddleware, limits=limits)

    @app.post("/{anything:path}")
    async def take(request: Request) -> dict:
        body = await request.body()
        seen.append(body)
        return {"bytes": len(body)}

    @app.get("/{anything:path}")
    async def read(anything: str, request: Request) -> dict:
        return {"path": anything, "query": dict(request.query_params)}

    return TestClient(app)


@pytest.fixture
def client() -> TestClient:
    seen.clear()
    return app_with(InputLimits(bodies=(("/big/", 1000), ("/big/bigger/", 5000)), default_body=100))


def test_a_body_within_its_routes_limit_reaches_the_route_whole(client):
    assert client.post("/big/x", content=b"a" * 1000).json() == {"bytes": 1000}
    assert client.post("/big/bigger/x", content=b"a" * 5000).json() == {"bytes": 5000}
    assert seen == [b"a" * 1000, b"a" * 5000]


def test_a_body_over_the_limit_is_413_and_never_reaches_the_route(client):
    response = client.post("/small", content=b"a" * 101)
    assert response.status_code == 413 and response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [{"field": "<body>", "problem": "the body may be at most 100 bytes here"}]
    assert client.post("/big/x", content=b"a" * 1001).status_code == 413
    assert seen == []


def test_a_streamed_body_without_a_length_is_counted_as_it_comes(client):
    def chunks():
        for _ in range(20):
            yield b"a" * 10

    assert client.post("/small", content=chunks()).status_code == 413
    assert seen == []


@pytest.mark.parametrize(("url", "field"), [("/x%00y", "path"), ("/x?reference=%00", "query.reference"),
                                            ("/x?q=%1b[31m", "query.q"), ("/x?q=%ff", "query.q")])
def test_control_characters_in_the_path_or_query_are_422_naming_where(client, url, field):
    response = client.get(url)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == field


def test_ordinary_text_passes(client):
    assert client.get("/Zoë?name=O%27N%C3%A9ill&note=a%20b").json() == {"path": "Zoë",
                                                                        "query": {"name": "O'Néill", "note": "a b"}}
    body = json.dumps({"concerns": "Low since March.\nLives alone.\tLikes music.", "name": "Zoë"}).encode()
    assert app_with(InputLimits()).post("/x", content=body, headers={"content-type": "application/json"}).json() == {
        "bytes": len(body)}


def test_a_nul_anywhere_in_a_json_body_is_422_naming_the_field():
    client = app_with(InputLimits())
    body = json.dumps({"person": {"names": ["Ann", "B\u0000b"]}}).encode()
    response = client.post("/x", content=body, headers={"content-type": "application/fhir+json"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "person.names.1"
    key = json.dumps({"bad\u0007key": 1}).encode()
    assert client.post("/x", content=key, headers={"content-type": "application/json"}).json()["errors"][0][
        "field"] == "bad\u0007key"


def test_json_nested_deeper_than_any_referral_needs_is_422_before_it_is_parsed():
    client = app_with(InputLimits(max_json_depth=32))
    deep = b"[" * 100_000 + b"]" * 100_000
    response = client.post("/x", content=deep, headers={"content-type": "application/json"})
    assert response.status_code == 422 and "nested more than 32" in response.json()["detail"]
    fine = json.dumps({"a": [[{"b": 1}]]}).encode()
    assert client.post("/x", content=fine, headers={"content-type": "application/json"}).status_code == 200


def test_the_depth_scan_ignores_brackets_inside_strings():
    assert not json_depth_exceeds(json.dumps({"note": "[[[[[[[[[[[[" * 10}).encode(), 3)
    assert json_depth_exceeds(b'{"a": {"b": {"c": {}}}}', 3)
    assert not json_depth_exceeds(b'{"a": "\\"[[[[", "b": [1]}', 2)


def test_the_walk_finds_a_control_character_at_any_depth_without_recursing():
    value: object = "fine"
    for _ in range(5000):
        value = [value]
    assert first_control_character(value) is None
    assert first_control_character({"a": [{"b": "ok"}, {"c": "x\u0000"}]}) == "a.1.c"


def test_refusals_on_fhir_routes_are_operation_outcomes():
    client = app_with(InputLimits(default_body=100, fhir_prefixes=("/fhir/",)))
    too_big = client.post("/fhir/Bundle", content=b"a" * 101)
    assert too_big.status_code == 413 and too_big.headers["content-type"] == "application/fhir+json"
    assert too_big.json()["resourceType"] == "OperationOutcome"
    assert too_big.json()["issue"][0]["code"] == "too-costly"
    body = json.dumps({"resourceType": "Bundle", "id": "a\u0000b"}).encode()
    nul = client.post("/fhir/Bundle", content=body, headers={"content-type": "application/fhir+json"})
    assert nul.status_code == 422 and nul.json()["issue"][0] == {
        "severity": "error", "code": "invalid", "diagnostics": "id: contains control characters", "expression": ["id"]}
    assert client.post("/v1/x", content=b"a" * 101).headers["content-type"] == "application/problem+json"


def test_refusals_on_pages_people_read_are_html():
    client = app_with(InputLimits(html_prefixes=("/self-referral/",)))
    refused = client.post("/self-referral/demo%00", data={"given_name": "Ann"})
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("text/html")
    assert "cannot be read" in refused.text and "<h1>The request is not valid</h1>" in refused.text


def test_routes_that_keep_every_submission_judge_its_characters_themselves_but_not_its_size():
    client = app_with(InputLimits(default_body=200, submission_prefixes=("/v1/referrals",)))
    body = json.dumps({"person": {"given_name": "B\u0000b"}}).encode()
    kept = client.post("/v1/referrals", content=body, headers={"content-type": "application/json"})
    assert kept.json() == {"bytes": len(body)}  # reached the route, which stores it and says what is wrong
    elsewhere = client.post("/v1/partners", content=body, headers={"content-type": "application/json"})
    assert elsewhere.status_code == 422
    assert client.post("/v1/referrals", content=b"a" * 201).status_code == 413
    deep = b"[" * 40 + b"]" * 40
    assert client.post("/v1/referrals", content=deep, headers={"content-type": "application/json"}).status_code == 422


def test_a_405_allows_the_methods_of_every_route_on_the_path():
    from shared.platform.http import install_http_plumbing

    app = FastAPI()
    install_http_plumbing(app)

    @app.get("/v1/referrals")
    async def find() -> dict:
        return {}

    @app.post("/v1/referrals")
    async def submit() -> dict:
        return {}

    refused = TestClient(app).delete("/v1/referrals")
    assert refused.status_code == 405 and refused.headers["allow"] == "GET, POST"
