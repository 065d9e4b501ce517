"""Published NHS (BaRS, UK Core) and HL7 Gravity SDOH examples through the FHIR mapping, as the
demo GP partner sends them: accepted, or answered with one OperationOutcome listing every problem.
The fixtures and where each came from: tests/fixtures/fhir/bars/README.md."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome

from referrals.demo import DEMO_PROGRAMME
from services.intake.adapters.fhir import FhirReferralError, operation_outcome, referral_from_fhir

BARS = Path(__file__).resolve().parents[1] / "fixtures" / "fhir" / "bars"
ACCEPTED = sorted([
    "bars_api_validation_request.json",
    "refreq01_111_to_ed.json",
    "refreq02_999_to_cas.json",
    "refreq03_primary_care_to_community_pharmacy.json",
    "refreq06_gp_to_blood_pressure_abpm.json",
    "refreq07_gp_to_out_of_hours.json",
    "valreq01_999_to_cas_validation.json",
    "valreq03_999_to_cas_validation_ampds.json",
])
# Each refused example, and the (code, expression) of every problem its one OperationOutcome lists.
REFUSED = {
    # an e-RS referral whose code (792891000000102) asks for another service than social prescribing
    "refreq11_advice_and_guidance_to_ers.json": {("not-supported", "Bundle.entry[1].resource.code")},
    # lone ServiceRequests pointing at a Patient they do not send, asking for other services
    "ukcore_servicerequest_colonoscopy.json": {("required", "Patient"), ("not-supported", "ServiceRequest.code")},
    "gravity_sdoh_servicerequest_food_pantry.json": {("required", "Patient"), ("not-supported", "ServiceRequest.code")},
}
PYTHON_WORDS = re.compile(r"<class|\bdict\b|\blist\b|\bstr\b|NoneType|pydantic|Input should|Extra inputs")


def load(name: str) -> dict[str, Any]:
    return json.loads((BARS / name).read_text())


def as_demo_gp(message: dict[str, Any] | bytes, attests: bool = True):
    raw = message if isinstance(message, bytes) else json.dumps(message).encode()
    return referral_from_fhir(raw, default_programme_id=DEMO_PROGRAMME, referrer_attests_consent=attests)


def refusal(message: dict[str, Any], attests: bool = True) -> list:
    with pytest.raises(FhirReferralError) as caught:
        as_demo_gp(message, attests)
    return caught.value.issues


def entry_of(bundle: dict[str, Any], resource_type: str) -> tuple[int, dict[str, Any]]:
    return next((i, e["resource"]) for i, e in enumerate(bundle["entry"]) if e["resource"]["resourceType"] == resource_type)


def test_every_saved_example_is_named_here():
    assert sorted(p.name for p in BARS.glob("*.json")) == sorted([*ACCEPTED, *REFUSED])


@pytest.mark.parametrize("name", ACCEPTED)
def test_a_bars_referral_is_accepted_for_the_partners_programme(name):
    bundle = load(name)
    submission, _ = as_demo_gp(bundle)
    _, patient = entry_of(bundle, "Patient")
    assert submission.programme_id == DEMO_PROGRAMME
    assert submission.person.family_name == patient["name"][0]["family"]
    assert submission.person.nhs_number == patient["identifier"][0]["value"]
    assert submission.consent.to_referral is True
    assert submission.consent.attested_by_referrer is False  # each carries an active Consent
    assert submission.referrer.source_category == "statutory"


@pytest.mark.parametrize(("name", "problems"), sorted(REFUSED.items()))
def test_a_refused_example_gets_one_outcome_with_all_its_problems(name, problems):
    issues = refusal(load(name))
    assert {(i.code, i.expression) for i in issues} == problems
    outcome = OperationOutcome.model_validate(operation_outcome(issues))
    assert len(outcome.issue) == len(problems)


def test_no_code_no_destination_endpoint_and_unused_resources_are_fine():
    bundle = load("refreq01_111_to_ed.json")
    header = bundle["entry"][0]["resource"]
    for destination in header["destination"]:
        del destination["endpoint"]  # as BaRS senders do
    _, request = entry_of(bundle, "ServiceRequest")
    assert "code" not in request
    index, _ = entry_of(bundle, "Encounter")
    bundle["entry"][index]["resource"]["id"] = ["not", "an", "id"]  # a resource the referral does not use
    submission, _ = as_demo_gp(bundle)
    assert submission.programme_id == DEMO_PROGRAMME


def test_a_message_without_consent_is_attested_by_a_partner_configured_so():
    bundle = load("refreq03_primary_care_to_community_pharmacy.json")
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Consent"]
    submission, _ = as_demo_gp(bundle, attests=True)
    assert (submission.consent.to_referral, submission.consent.attested_by_referrer) == (True, True)
    assert submission.model_dump(mode="json", exclude_unset=True)["consent"]["attested_by_referrer"] is True

    assert {(i.code, i.expression) for i in refusal(bundle, attests=False)} == {("required", "Consent")}


def test_a_consent_that_denies_is_not_overridden_by_attestation():
    bundle = load("refreq02_999_to_cas.json")
    index, consent = entry_of(bundle, "Consent")
    consent["status"] = "inactive"
    assert {(i.code, i.expression) for i in refusal(bundle)} == {("required", f"Bundle.entry[{index}].resource.status")}


def test_every_problem_is_in_one_answer_in_fhir_words():
    bundle = load("valreq01_999_to_cas_validation.json")
    patient_index, patient = entry_of(bundle, "Patient")
    patient["identifier"][0]["value"] = 9449305552            # a number, not a string
    patient["name"] = {"family": "Jones"}                     # an object where FHIR has an array
    patient["favouriteColour"] = "blue"                       # not a FHIR element
    request_index, request = entry_of(bundle, "ServiceRequest")
    request["code"] = {"coding": [{"system": "http://snomed.info/sct", "code": "73761001"}]}
    request["status"] = "revoked"
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Consent"]

    issues = refusal(bundle, attests=False)

    patient_path = f"Bundle.entry[{patient_index}].resource"
    assert {(i.code, i.expression) for i in issues} == {
        ("structure", f"{patient_path}.identifier[0].value"),
        ("structure", f"{patient_path}.name"),
        ("structure", f"{patient_path}.favouriteColour"),
        ("value", f"Bundle.entry[{request_index}].resource.status"),
        ("not-supported", f"Bundle.entry[{request_index}].resource.code"),
        ("required", "Consent"),
    }  # and no "no Patient": the Patient is there, only not FHIR R4
    for issue in issues:
        assert not PYTHON_WORDS.search(issue.diagnostics), issue.diagnostics


def test_the_nhs_number_as_published_fails_its_check_digit_in_one_answer():
    bundle = load("refreq01_111_to_ed.json")
    index, patient = entry_of(bundle, "Patient")
    patient["identifier"][0]["value"] = "3478526985"  # as published; see the fixtures' README
    issues = refusal(bundle)
    assert [(i.code, i.expression) for i in issues] == [("invalid", f"Bundle.entry[{index}].resource.identifier[0].value")]
