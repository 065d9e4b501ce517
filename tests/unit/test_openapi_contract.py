"""Each service's OpenAPI document says what every route reads and every error it can give."""

from __future__ import annotations

import pytest

from referrals.launcher import SERVICES
from services.intake.domain.csv_rows import CsvMapping
from services.intake.domain.submission import ReferralSubmission
from shared.platform import api_docs
from shared.platform.openapi import FHIR_JSON, PROBLEM_JSON

ERROR_MEDIA = {PROBLEM_JSON, FHIR_JSON, "text/html"}
# POSTs that take no body: the path says it all.
BODILESS = {"/v1/partners/{partner_id}/api-keys", "/v1/reviews/{review_id}/claim", "/v1/cases/{case_id}/resume",
            "/v1/offers/{offer_id}/accept", "/v1/dead-letters/{dead_letter_id}/replay"}


@pytest.fixture(scope="module")
def documents():
    return {service: api_docs.openapi(api_docs.definition_of(service)) for service in SERVICES}


def operations(doc):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


@pytest.mark.parametrize("service", SERVICES)
def test_every_body_and_every_error_is_described(documents, service):
    doc = documents[service]
    assert "HTTPValidationError" not in doc["components"]["schemas"]  # our 422 is problem+json, not FastAPI's
    for path, method, operation in operations(doc):
        if method in ("post", "put", "patch") and path not in BODILESS:
            assert operation.get("requestBody", {}).get("content"), f"{method} {path} has no request body"
        for code, response in operation["responses"].items():
            if code.startswith("4"):
                assert set(response["content"]) <= ERROR_MEDIA and response["content"], (method, path, code)
        if any(p["in"] == "header" and p["name"] == "x-api-key" for p in operation.get("parameters", [])) or \
                path.startswith("/v1/") and service != "intake":
            assert "401" in operation["responses"], (method, path)


def test_intake_raw_body_routes_document_the_models_they_validate_against(documents):
    doc = documents["intake"]
    schemas, paths = doc["components"]["schemas"], doc["paths"]

    def body(path, method="post"):
        return paths[path][method]["requestBody"]["content"]

    for path in ("/v1/referrals", "/v1/phone-referrals"):
        content = body(path)["application/json"]
        assert content["schema"] == {"$ref": "#/components/schemas/ReferralSubmission"}
        ReferralSubmission.model_validate(content["example"])  # the example is a valid referral
        assert {"401", "403", "413", "422"} <= set(paths[path]["post"]["responses"])
    assert schemas["ReferralSubmission"]["required"] == ["programme_id", "person", "consent"]
    assert schemas["ReferralSubmission"]["additionalProperties"] is False
    mapping = body("/v1/partners/{partner_id}/csv-mapping", "put")["application/json"]
    CsvMapping.model_validate(mapping["example"])
    assert set(body("/v1/referral-batches")) == {"text/csv"}
    for resource in ("Bundle", "ServiceRequest"):
        content = body(f"/fhir/{resource}")
        assert content[FHIR_JSON]["schema"] == {"$ref": f"#/components/schemas/Fhir{resource}"}
        outcome = paths[f"/fhir/{resource}"]["post"]["responses"]["422"]["content"]
        assert outcome == {FHIR_JSON: {"schema": {"$ref": "#/components/schemas/OperationOutcome"}}}
    assert set(paths["/self-referral/{programme_id}"]["get"]["responses"]["404"]["content"]) == {"text/html"}
    problem = schemas["Problem"]
    assert {"title", "status", "detail", "errors"} <= set(problem["properties"])


def test_triage_rule_set_routes_document_the_rule_set(documents):
    for path in ("/v1/rulesets", "/v1/rulesets/what-if"):
        content = documents["triage"]["paths"][path]["post"]["requestBody"]["content"]
        assert {m: c["schema"] for m, c in content.items()} == {
            m: {"$ref": "#/components/schemas/RuleSet"} for m in ("application/yaml", "application/json")}
    assert "RuleSet" in documents["triage"]["components"]["schemas"]
