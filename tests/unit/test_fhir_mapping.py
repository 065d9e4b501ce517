"""The FHIR R4 referral channel: BaRS / UK Core shaped referrals to the canonical submission,
issues to OperationOutcome, progress to Task. Expected values are read from the fixtures here,
independently of the mapper."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.task import Task

from services.intake.adapters.fhir import (
    SOCIAL_PRESCRIBING_REFERRAL_CODES,
    FhirIssue,
    FhirReferralError,
    operation_outcome,
    referral_from_fhir,
    task_for,
)
from services.intake.domain import normalise
from services.intake.domain.submission import ReferralSubmission

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fhir"
NHS = "https://fhir.nhs.uk/Id/nhs-number"
ODS = "https://fhir.nhs.uk/Id/ods-organization-code"
PROGRAMME = "https://referrals.example/programme"
ETHNIC = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory"
COMMUNICATION = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSCommunication"
INTERPRETER = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def bundle() -> dict[str, Any]:
    return load("gp_referral_message_bundle.json")


@pytest.fixture
def lone() -> dict[str, Any]:
    return load("service_request_contained_patient.json")


def body(resource: Any) -> bytes:
    return json.dumps(resource).encode()


def index_of(bundle: dict[str, Any], resource_type: str) -> int:
    (index,) = [i for i, e in enumerate(bundle["entry"]) if e["resource"]["resourceType"] == resource_type]
    return index


def entry(bundle: dict[str, Any], resource_type: str) -> dict[str, Any]:
    return bundle["entry"][index_of(bundle, resource_type)]["resource"]


def by_url(resource: dict[str, Any], url: str) -> list[dict[str, Any]]:
    return [e for e in resource.get("extension", []) if e["url"] == url]


def remove(bundle: dict[str, Any], resource_type: str) -> None:
    del bundle["entry"][index_of(bundle, resource_type)]


def submitted(raw: bytes, **kwargs: Any) -> tuple[dict[str, Any], str | None]:
    """``referral_from_fhir``'s submission as the FHIR entrypoint hands it on: a JSON-ready dict."""
    submission, partner_referral_id = referral_from_fhir(raw, **kwargs)
    assert isinstance(submission, ReferralSubmission)
    return submission.model_dump(mode="json", exclude_unset=True), partner_referral_id


def issues_of(raw: bytes, **kwargs: Any) -> list[FhirIssue]:
    kwargs.setdefault("default_programme_id", "default-programme")
    with pytest.raises(FhirReferralError) as caught:
        referral_from_fhir(raw, **kwargs)
    return caught.value.issues


def only(issues: list[FhirIssue]) -> FhirIssue:
    assert len(issues) == 1, issues
    return issues[0]


# --------------------------------------------------------------------------- the happy paths


def test_gp_message_bundle_maps_every_field(bundle):
    submission, partner_referral_id = submitted(body(bundle), default_programme_id="ignored-default")

    sr, patient = entry(bundle, "ServiceRequest"), entry(bundle, "Patient")
    role, practitioner, org = entry(bundle, "PractitionerRole"), entry(bundle, "Practitioner"), entry(bundle, "Organization")
    official = next(n for n in patient["name"] if n["use"] == "official")
    usual = next(n for n in patient["name"] if n["use"] == "usual")
    communication = by_url(patient, COMMUNICATION)[0]["extension"]
    language = next(e for e in communication if e["url"] == "language")["valueCodeableConcept"]["coding"][0]["code"]
    interpreter = next(e for e in communication if e["url"] == "interpreterRequired")["valueBoolean"]
    address = patient["address"][0]
    phone = next(t for t in patient["telecom"] if t["system"] == "phone")["value"]

    assert partner_referral_id == sr["identifier"][0]["value"]
    assert submission["partner_referral_id"] == sr["identifier"][0]["value"]
    assert submission["programme_id"] == sr["performer"][0]["identifier"]["value"]
    assert sr["performer"][0]["identifier"]["system"] == PROGRAMME

    person = submission["person"]
    assert person["given_name"] == " ".join(official["given"])
    assert person["family_name"] == official["family"]
    assert person["preferred_name"] == usual["given"][0]
    assert person["date_of_birth"] == patient["birthDate"] == "1948-03-14"
    assert person["gender"] == patient["gender"] == "female"
    assert person["nhs_number"] == next(i["value"] for i in patient["identifier"] if i["system"] == NHS) == "9434765919"
    assert person["phone"] == normalise.phone(phone) == "+447911123456"
    assert "email" not in person
    assert person["address"] == {
        "line1": address["line"][0],
        "line2": address["line"][1],
        "town": address["city"],
        "postcode": address["postalCode"],
    }
    assert person["postcode"] == "E8 1DY"
    assert person["language"] == language
    assert person.get("interpreter_needed", False) is interpreter
    assert person["ethnicity"] == by_url(patient, ETHNIC)[0]["valueCodeableConcept"]["coding"][0]["display"]

    assert submission["reason"] == "\n".join([sr["reasonCode"][0]["text"], sr["note"][0]["text"]])
    assert "Lonely since bereavement, lives alone" in submission["reason"]
    assert submission["consent"] == {"to_referral": True}

    p_name = practitioner["name"][0]
    assert submission["referrer"] == {
        "source_category": "statutory",
        "source_subcategory": "nhs_gp",
        "organisation": org["name"],
        "organisation_code": next(i["value"] for i in org["identifier"] if i["system"] == ODS),
        "person_name": " ".join([*p_name["prefix"], *p_name["given"], p_name["family"]]),
        "phone": normalise.phone(next(t["value"] for t in role["telecom"] if t["system"] == "phone")),
        "email": next(t["value"] for t in role["telecom"] if t["system"] == "email"),
    }

    validated = ReferralSubmission.model_validate(submission)
    assert validated.person.date_of_birth == date(1948, 3, 14)
    assert validated.person.nhs_number == "9434765919"
    assert validated.person.postcode == "E8 1DY"
    assert validated.consent.to_referral is True
    assert validated.referrer.organisation_code == "F84001"
    json.dumps(submission)  # a plain, JSON-ready dict


def test_lone_service_request_with_contained_patient_maps_every_field(lone):
    submission, partner_referral_id = submitted(body(lone), default_programme_id="partner-default")

    patient = next(c for c in lone["contained"] if c["resourceType"] == "Patient")
    home = next(a for a in patient["address"] if a["use"] == "home")
    communication = patient["communication"][0]

    assert partner_referral_id == submission["partner_referral_id"] == lone["identifier"][0]["value"]
    assert "performer" not in lone
    assert submission["programme_id"] == "partner-default"

    person = submission["person"]
    assert person["given_name"] == patient["name"][0]["given"][0]
    assert person["family_name"] == patient["name"][0]["family"]
    assert "preferred_name" not in person
    assert person["date_of_birth"] == patient["birthDate"]
    assert patient["gender"] == "unknown" and "gender" not in person
    assert person["nhs_number"] == patient["identifier"][0]["value"].replace(" ", "")
    assert person["phone"] == normalise.phone(next(t["value"] for t in patient["telecom"] if t["system"] == "phone"))
    assert person["email"] == next(t["value"] for t in patient["telecom"] if t["system"] == "email")
    assert person["address"] == {  # the 'old' address is skipped
        "line1": home["line"][0],
        "town": home["city"],
        "postcode": normalise.postcode(home["postalCode"]),
    }
    assert person["postcode"] == "E8 2AY"
    assert person["language"] == communication["language"]["coding"][0]["code"] == "so"
    assert person["interpreter_needed"] is by_url(patient, INTERPRETER)[0]["valueBoolean"] is True
    assert "ethnicity" not in person

    assert submission["reason"] == lone["reasonCode"][0]["text"]
    assert submission["consent"] == {"to_referral": True}
    assert submission["referrer"] == {
        "source_category": "statutory",
        "source_subcategory": "nhs_gp",
        "organisation": lone["requester"]["display"],
        "organisation_code": lone["requester"]["identifier"]["value"],
    }

    validated = ReferralSubmission.model_validate(submission)
    assert validated.person.interpreter_needed is True
    assert validated.person.gender is None


def test_the_accepted_snomed_set_holds_the_social_prescribing_referral():
    assert "871731000000106" in SOCIAL_PRESCRIBING_REFERRAL_CODES


def test_a_transaction_bundle_is_accepted(bundle):
    remove(bundle, "MessageHeader")
    bundle["type"] = "transaction"
    for item in bundle["entry"]:
        item["request"] = {"method": "POST", "url": item["resource"]["resourceType"]}
    submission, partner_referral_id = submitted(body(bundle), default_programme_id=None)
    assert partner_referral_id == entry(bundle, "ServiceRequest")["identifier"][0]["value"]
    assert submission["person"]["nhs_number"] == "9434765919"


def test_programme_from_a_performer_resolved_in_the_bundle(bundle):
    bundle["entry"].append({
        "fullUrl": "urn:uuid:6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b9c",
        "resource": {
            "resourceType": "HealthcareService",
            "id": "6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b9c",
            "identifier": [{"system": PROGRAMME, "value": "city-and-hackney-connectors"}],
            "name": "City and Hackney Community Connectors",
        },
    })
    entry(bundle, "ServiceRequest")["performer"] = [{"reference": "urn:uuid:6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b9c"}]
    submission, _ = submitted(body(bundle), default_programme_id="partner-default")
    assert submission["programme_id"] == "city-and-hackney-connectors"


def test_no_programme_and_no_default_is_required(lone):
    issue = only(issues_of(body(lone), default_programme_id=None))
    assert (issue.code, issue.expression) == ("required", "ServiceRequest.performer")


def test_reason_falls_back_to_the_coding_display(lone):
    lone["reasonCode"] = [{"coding": [{"system": "https://gp-system.example/reason", "code": "R1", "display": "Socially isolated"}]}]
    lone["note"] = [{"text": "Recently moved to the area"}]
    submission, _ = submitted(body(lone), default_programme_id="p")
    assert submission["reason"] == "Socially isolated\nRecently moved to the area"


def test_interpreter_from_the_uk_core_communication_extension(bundle):
    patient = entry(bundle, "Patient")
    communication = by_url(patient, COMMUNICATION)[0]["extension"]
    next(e for e in communication if e["url"] == "interpreterRequired")["valueBoolean"] = True
    submission, _ = submitted(body(bundle), default_programme_id=None)
    assert submission["person"]["interpreter_needed"] is True


@pytest.mark.parametrize(
    ("argument", "ods_code", "expected"),
    [
        ("nhs_gp", "RQX", "nhs_gp"),
        ("nhs_community_health", "F84001", "nhs_community_health"),
        (None, "F84001", "nhs_gp"),  # decided from the organisation: a GP practice code
        (None, "RQX", "nhs_gp"),  # ... or its type ('GP practice')
    ],
)
def test_source_subcategory(bundle, argument, ods_code, expected):
    entry(bundle, "Organization")["identifier"][0]["value"] = ods_code
    submission, _ = submitted(body(bundle), default_programme_id=None, source_subcategory=argument)
    assert submission["referrer"]["source_subcategory"] == expected
    assert submission["referrer"]["source_category"] == "statutory"


def test_a_non_gp_organisation_is_nhs_other_when_deciding(bundle):
    org = entry(bundle, "Organization")
    org["identifier"][0]["value"] = "RQX"
    org["type"] = [{"text": "NHS trust"}]
    submission, _ = submitted(body(bundle), default_programme_id=None, source_subcategory=None)
    assert submission["referrer"]["source_subcategory"] == "nhs_other"


@pytest.mark.parametrize("fixture", ["bundle", "lone"])
def test_the_json_the_entrypoint_hands_on_validates_to_the_same_submission(fixture, request):
    # The FHIR entrypoint passes model_dump(mode="json", exclude_unset=True) to referrals.submit,
    # which validates it again: that must give the very submission the mapping returned, also
    # where the canonical model normalises (a name in capitals, an email domain in capitals).
    resource = request.getfixturevalue(fixture)
    patient = entry(resource, "Patient") if fixture == "bundle" else resource["contained"][0]
    patient["name"] = [{"use": "official", "given": ["MARGARET"], "family": "WHITFIELD-JONES"}]
    patient["telecom"] = [{"system": "email", "value": "m.whitfield@EXAMPLE.org"}]
    submission, _ = referral_from_fhir(body(resource), default_programme_id="p")
    handed_on = submission.model_dump(mode="json", exclude_unset=True)
    assert ReferralSubmission.model_validate(handed_on) == submission
    assert (handed_on["person"]["given_name"], handed_on["person"]["email"]) == ("Margaret", "m.whitfield@example.org")
    assert "contact_preferences" not in handed_on  # only what the referral gave


def test_a_source_subcategory_outside_statutory_is_a_programming_error(bundle):
    with pytest.raises(ValueError, match="statutory"):
        referral_from_fhir(body(bundle), default_programme_id=None, source_subcategory="friend")


def test_consent_referenced_but_held_by_the_sender_counts(bundle):
    remove(bundle, "Consent")
    entry(bundle, "ServiceRequest")["supportingInfo"] = [{"reference": "Consent/gp-held-consent-1"}]
    submission, _ = submitted(body(bundle), default_programme_id=None)
    assert submission["consent"] == {"to_referral": True}


# --------------------------------------------------------------------------- issues


def test_all_issues_are_collected(bundle):
    patient_index = index_of(bundle, "Patient")
    nhs_index = next(j for j, i in enumerate(entry(bundle, "Patient")["identifier"]) if i["system"] == NHS)
    entry(bundle, "Patient")["identifier"][nhs_index]["value"] = "9434765918"  # wrong check digit
    sr = entry(bundle, "ServiceRequest")
    sr["code"]["coding"] = [{"system": "http://snomed.info/sct", "code": "3457005", "display": "Patient referral"}]
    del sr["supportingInfo"]
    sr_index = index_of(bundle, "ServiceRequest")
    remove(bundle, "Consent")  # the last entry: no index above moves

    issues = issues_of(body(bundle))

    assert {(i.code, i.expression) for i in issues} == {
        ("invalid", f"Bundle.entry[{patient_index}].resource.identifier[{nhs_index}].value"),
        ("required", "Consent"),
        ("not-supported", f"Bundle.entry[{sr_index}].resource.code"),
    }
    assert len(issues) == 3
    assert all(i.severity == "error" for i in issues)
    nhs_issue = next(i for i in issues if i.code == "invalid")
    assert nhs_issue.diagnostics == "NHS number check digit does not match"
    assert all("9434765918" not in i.diagnostics for i in issues)


@pytest.mark.parametrize(
    ("value", "diagnostics"),
    [("9434765918", "NHS number check digit does not match"), ("943476591", "an NHS number has 10 digits")],
)
def test_an_invalid_nhs_number_in_a_contained_patient(lone, value, diagnostics):
    lone["contained"][0]["identifier"][0]["value"] = value
    issue = only(issues_of(body(lone)))
    assert (issue.code, issue.expression, issue.diagnostics) == (
        "invalid", "ServiceRequest.contained[0].identifier[0].value", diagnostics,
    )
    assert value not in issue.diagnostics


def test_missing_consent_in_a_lone_service_request(lone):
    lone["contained"] = [c for c in lone["contained"] if c["resourceType"] != "Consent"]
    del lone["supportingInfo"]
    issue = only(issues_of(body(lone)))
    assert (issue.code, issue.expression) == ("required", "Consent")


@pytest.mark.parametrize(
    ("change", "suffix"),
    [({"status": "proposed"}, "status"), ({"provision": {"type": "deny"}}, "provision.type")],
)
def test_a_consent_that_is_not_active_or_denies_is_no_consent(bundle, change, suffix):
    entry(bundle, "Consent").update(change)
    issue = only(issues_of(body(bundle)))
    assert (issue.code, issue.expression) == ("required", f"Bundle.entry[{index_of(bundle, 'Consent')}].resource.{suffix}")


def test_missing_patient_is_required(bundle):
    remove(bundle, "Patient")
    issue = only(issues_of(body(bundle)))
    assert (issue.code, issue.expression) == ("required", "Patient")


def test_missing_service_request_is_required(bundle):
    remove(bundle, "ServiceRequest")
    del bundle["entry"][0]["resource"]["focus"]
    issue = only(issues_of(body(bundle)))
    assert (issue.code, issue.expression) == ("required", "ServiceRequest")


def test_missing_service_request_and_patient_are_both_reported(bundle):
    remove(bundle, "ServiceRequest")
    remove(bundle, "Patient")
    del bundle["entry"][0]["resource"]["focus"]
    issues = issues_of(body(bundle))
    assert {(i.code, i.expression) for i in issues} == {("required", "ServiceRequest"), ("required", "Patient")}


def test_a_message_must_start_with_a_message_header(bundle):
    remove(bundle, "MessageHeader")
    issue = only(issues_of(body(bundle)))
    assert (issue.code, issue.expression) == ("structure", "Bundle.entry[0]")


def test_an_unsupported_bundle_type(bundle):
    remove(bundle, "MessageHeader")
    bundle["type"] = "document"
    issue = only(issues_of(body(bundle)))
    assert (issue.code, issue.expression) == ("not-supported", "Bundle.type")


def test_a_revoked_service_request_is_not_a_referral(bundle):
    entry(bundle, "ServiceRequest")["status"] = "revoked"
    issue = only(issues_of(body(bundle)))
    assert (issue.code, issue.expression) == ("value", f"Bundle.entry[{index_of(bundle, 'ServiceRequest')}].resource.status")


def test_a_service_request_without_code_is_a_referral_to_the_programme(lone):
    # Issue 12: a BaRS ServiceRequest carries no code; it is a referral to the service it is sent to.
    del lone["code"]
    data, _ = submitted(body(lone), default_programme_id="default-programme")
    assert data["programme_id"] == "default-programme"


def test_a_non_snomed_coding_with_the_same_code_is_not_supported(lone):
    lone["code"]["coding"][0]["system"] = "http://read.info/ctv3"
    issue = only(issues_of(body(lone)))
    assert (issue.code, issue.expression) == ("not-supported", "ServiceRequest.code")


@pytest.mark.parametrize(
    ("change", "code", "suffix"),
    [
        ({"address": [{"use": "home", "postalCode": "NOT A CODE"}]}, "invalid", "address[0].postalCode"),
        ({"telecom": [{"system": "phone", "value": "12"}]}, "invalid", "telecom[0].value"),
        ({"telecom": [{"system": "email", "value": "not-an-email"}]}, "invalid", "telecom[0].value"),
        ({"birthDate": (date.today() + timedelta(days=2)).isoformat()}, "value", "birthDate"),
        ({"birthDate": "1890-01-01"}, "value", "birthDate"),
        ({"gender": "femme"}, "value", "gender"),
        ({"name": [{"use": "official", "given": ["Margaret"]}]}, "required", "name[0].family"),
        ({"name": [{"use": "official", "family": "Whitfield"}]}, "required", "name[0].given"),
        ({"name": []}, "required", "name"),
    ],
)
def test_patient_value_issues(bundle, change, code, suffix):
    patient = entry(bundle, "Patient")
    if change.get("name") == []:
        del patient["name"]
    else:
        patient.update(change)
    issue = only(issues_of(body(bundle)))
    assert (issue.code, issue.expression) == (code, f"Bundle.entry[{index_of(bundle, 'Patient')}].resource.{suffix}")
    for value in ("NOT A CODE", "not-an-email"):
        assert value not in issue.diagnostics


def test_a_partial_birth_date_is_left_out(bundle):
    entry(bundle, "Patient")["birthDate"] = "1948"
    submission, _ = submitted(body(bundle), default_programme_id=None)
    assert "date_of_birth" not in submission["person"]
    ReferralSubmission.model_validate(submission)


def test_malformed_json_is_a_structure_issue():
    issue = only(issues_of(b'{"resourceType": "Bundle", '))
    assert (issue.severity, issue.code, issue.expression) == ("error", "structure", None)
    assert "not valid JSON" in issue.diagnostics


@pytest.mark.parametrize("raw", [b"[]", b'"Bundle"', b"\xff\xfe\x00"])
def test_a_body_that_is_not_a_json_object_is_a_structure_issue(raw):
    assert only(issues_of(raw)).code == "structure"


def test_a_missing_resource_type_is_a_structure_issue():
    issue = only(issues_of(b'{"type": "message"}'))
    assert (issue.code, issue.expression) == ("structure", "resourceType")


@pytest.mark.parametrize(
    ("resource_type", "expression"),
    [("Patient", "Patient"), ("Observation", "Observation"), ("NotAResource", "resourceType")],
)
def test_a_wrong_resource_type_is_not_supported(resource_type, expression):
    issue = only(issues_of(body({"resourceType": resource_type, "id": "x"})))
    assert (issue.code, issue.expression) == ("not-supported", expression)


def test_fhir_structure_errors_are_all_reported_with_their_location(bundle):
    patient_index = index_of(bundle, "Patient")
    patient = entry(bundle, "Patient")
    patient["identifier"][0]["value"] = 9434765919  # a number, not a string
    patient["birthDate"] = "1948-13-40"
    issues = issues_of(body(bundle))
    assert {(i.code, i.expression) for i in issues} == {
        ("structure", f"Bundle.entry[{patient_index}].resource.identifier[0].value"),
        ("structure", f"Bundle.entry[{patient_index}].resource.birthDate"),
    }
    assert all("9434765919" not in i.diagnostics and "1948-13-40" not in i.diagnostics for i in issues)


def test_an_unknown_nested_resource_type_is_a_structure_issue(bundle):
    bundle["entry"].append({"resource": {"resourceType": "Referral"}})
    issue = only(issues_of(body(bundle)))
    assert (issue.code, issue.expression) == ("structure", f"Bundle.entry[{len(bundle['entry']) - 1}].resource.resourceType")


def test_a_missing_required_element_is_a_structure_issue(lone):
    del lone["subject"]
    issue = only(issues_of(body(lone)))
    assert (issue.code, issue.expression) == ("structure", "ServiceRequest.subject")


# --------------------------------------------------------------------------- OperationOutcome


def test_operation_outcome_validates(bundle):
    entry(bundle, "Patient")["identifier"][0]["value"] = "9434765918"
    del entry(bundle, "ServiceRequest")["supportingInfo"]
    remove(bundle, "Consent")
    issues = issues_of(body(bundle)) + issues_of(b"not json")

    outcome = operation_outcome(issues)

    model = OperationOutcome.model_validate(outcome)
    assert outcome["resourceType"] == "OperationOutcome"
    assert [(i.severity, i.code, i.diagnostics) for i in model.issue] == [
        (i.severity, i.code, i.diagnostics) for i in issues
    ]
    assert [i.expression for i in model.issue] == [[i.expression] if i.expression else None for i in issues]


def test_operation_outcome_without_issues_is_informational():
    model = OperationOutcome.model_validate(operation_outcome([]))
    assert model.issue[0].severity == "information"


# --------------------------------------------------------------------------- Task

RECEIVED_AT = datetime(2024, 6, 11, 9, 32, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "reason", "task_status", "status_reason", "business_status"),
    [
        ("received", None, "received", None, "received"),
        ("in_review", None, "received", None, "in review"),
        ("accepted", None, "accepted", None, "accepted"),
        ("waiting", None, "accepted", None, "waiting"),
        ("assigned", None, "in-progress", None, "assigned"),
        ("first_contact", None, "in-progress", None, "first contact"),
        ("declined", "age_out_of_range", "rejected", "age out of range", "declined"),
        ("declined", None, "rejected", None, "declined"),
        ("redirected", "mental_health_service", "rejected", "redirected to mental health service", "redirected"),
        ("redirected", None, "rejected", "redirected to another service", "redirected"),
        ("duplicate", None, "rejected", "duplicate of an open referral", "duplicate"),
        ("closed", "goals_met", "completed", "goals met", "closed"),
        ("closed", None, "completed", None, "closed"),
    ],
)
def test_task_status_mapping(status, reason, task_status, status_reason, business_status):
    referral_id = uuid.uuid4()
    timeline = [
        {"status": "received", "reason": None, "at": RECEIVED_AT},
        {"status": status, "reason": reason, "at": RECEIVED_AT + timedelta(hours=3)},
    ]
    referral = {
        "referral_id": referral_id,
        "partner_referral_id": "EMIS-F84001-20240611-0042",
        "status": status,
        "received_at": RECEIVED_AT,
    }

    task = task_for(referral, timeline)

    model = Task.model_validate(task)
    assert model.status == task_status
    assert model.intent == "order"
    assert model.id == str(referral_id)
    assert (model.statusReason.text if model.statusReason else None) == status_reason
    assert model.businessStatus.text == business_status
    assert model.businessStatus.coding[0].code == status
    assert model.focus.type == "ServiceRequest"
    assert model.focus.identifier.value == "EMIS-F84001-20240611-0042"
    assert model.authoredOn == RECEIVED_AT
    assert model.lastModified == RECEIVED_AT + timedelta(hours=3)
    for private in ("for", "description", "note", "input", "output", "reasonCode", "reasonReference"):
        assert private not in task


def test_task_uses_the_latest_reason_for_the_current_status_and_leaves_out_free_text():
    referral = {"referral_id": uuid.uuid4(), "partner_referral_id": None, "status": "declined", "received_at": RECEIVED_AT}
    timeline = [
        {"status": "declined", "reason": "Lives alone after bereavement, low mood", "at": RECEIVED_AT + timedelta(days=1)},
        {"status": "received", "reason": None, "at": RECEIVED_AT},
    ]
    task = task_for(referral, timeline)
    Task.model_validate(task)
    assert "statusReason" not in task
    assert "focus" not in task  # no partner identifier to point at
    assert "bereavement" not in json.dumps(task)


def test_task_times_and_execution_period():
    started, closed = RECEIVED_AT + timedelta(days=2), RECEIVED_AT + timedelta(days=40)
    referral = {"referral_id": uuid.uuid4(), "partner_referral_id": "X1", "status": "closed", "received_at": RECEIVED_AT}
    timeline = [
        {"status": "closed", "reason": None, "at": closed},
        {"status": "received", "reason": None, "at": RECEIVED_AT},
        {"status": "assigned", "reason": None, "at": started},
        {"status": "first_contact", "reason": None, "at": started + timedelta(days=1)},
    ]
    model = Task.model_validate(task_for(referral, timeline))
    assert model.lastModified == closed
    assert model.executionPeriod.start == started
    assert model.executionPeriod.end == closed


def test_task_naive_datetimes_are_utc_and_an_empty_timeline_uses_received_at():
    naive = datetime(2024, 6, 11, 9, 32, 5)
    referral = {"referral_id": uuid.uuid4(), "partner_referral_id": "X1", "status": "received", "received_at": naive}
    task = task_for(referral, [])
    model = Task.model_validate(task)
    assert model.authoredOn == model.lastModified == naive.replace(tzinfo=UTC)
    offset = datetime(2024, 6, 11, 10, 32, 5, tzinfo=timezone(timedelta(hours=1)))
    assert Task.model_validate(task_for({**referral, "received_at": offset}, [])).authoredOn == offset


def test_task_rejects_an_unknown_status():
    with pytest.raises(ValueError):
        task_for({"referral_id": uuid.uuid4(), "partner_referral_id": None, "status": "lost", "received_at": RECEIVED_AT}, [])



@pytest.mark.parametrize(
    ("status", "reason", "snomed", "reason_code"),
    [
        ("received", None, None, None),
        ("assigned", None, "871731000000106", None),
        ("declined", "age_out_of_range", "871711000000103", "age_out_of_range"),
        ("duplicate", None, None, "duplicate"),
        ("closed", "goals_met", "871731000000106", "goals_met"),
    ],
)
def test_task_codes_the_status_and_the_closure_reason_for_the_gp_record(status, reason, snomed, reason_code):
    referral = {"referral_id": uuid.uuid4(), "partner_referral_id": "X1", "status": status, "received_at": RECEIVED_AT}
    timeline = [{"status": status, "reason": reason, "at": RECEIVED_AT + timedelta(days=3)}]
    model = Task.model_validate(task_for(referral, timeline))
    codings = {c.system: c.code for c in model.businessStatus.coding}
    assert codings["https://referrals.example/referral-status"] == status
    assert codings.get("http://snomed.info/sct") == snomed
    reason_codings = model.statusReason.coding if model.statusReason and model.statusReason.coding else []
    assert [c.code for c in reason_codings if c.system == "https://referrals.example/referral-reason"] == (
        [reason_code] if reason_code else [])
