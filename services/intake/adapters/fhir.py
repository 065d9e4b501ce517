"""FHIR R4 referral channel: BaRS / UK Core shaped referrals in, OperationOutcome and Task out.

A GP or NHS system sends either

* a Bundle of type ``message`` (a MessageHeader first, its ``focus`` the ServiceRequest) or
  ``transaction``, holding the ServiceRequest (the referral), the Patient, the requester
  (PractitionerRole / Practitioner / Organization with an ODS code) and a Consent; or
* a ServiceRequest on its own, with the Patient (and Consent) as contained resources.

``referral_from_fhir`` turns it into the canonical submission (a plain dict that
``ReferralSubmission.model_validate`` accepts) or raises ``FhirReferralError`` carrying every
problem found (not only the first), each as a FHIR issue with a FHIRPath-like location.
``operation_outcome`` renders those issues for the HTTP answer; ``task_for`` shows the
referrer the referral's progress as a FHIR Task.

Parsing and structural validation use the ``fhir.resources`` R4B models (wire-compatible with
R4 for every resource used here). No I/O. Diagnostics never echo personal data values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

import pydantic
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.servicerequest import ServiceRequest

from ..domain import normalise
from ..domain.referral_sources import SOURCES
from ..domain.submission import ReferralSubmission

SNOMED_CT = "http://snomed.info/sct"

# ServiceRequest.code must carry one of these SNOMED CT concepts for the referral to be
# accepted. Extendable: add further (UK edition) concept ids here once confirmed.
SOCIAL_PRESCRIBING_REFERRAL_CODES: frozenset[str] = frozenset({
    "871731000000106",  # Referral to social prescribing service (procedure)
})

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_ORGANISATION_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
PROGRAMME_SYSTEM = "https://referrals.example/programme"
REFERRAL_ID_SYSTEM = "https://referrals.example/referral-id"
REFERRAL_STATUS_SYSTEM = "https://referrals.example/referral-status"

EXT_UKCORE_ETHNIC_CATEGORY = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory"
EXT_UKCORE_NHS_COMMUNICATION = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSCommunication"
EXT_INTERPRETER_REQUIRED = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"

ACCEPTED_BUNDLE_TYPES = frozenset({"message", "transaction"})

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class FhirIssue:
    """One OperationOutcome issue: ``code`` is a FHIR issue-type code ('required', 'invalid',
    'value', 'not-supported', 'structure', ...); ``expression`` a FHIRPath-like location, or
    None when the problem is the body as a whole (e.g. not JSON)."""

    severity: Severity
    code: str
    expression: str | None
    diagnostics: str


class FhirReferralError(Exception):
    """The FHIR body cannot become a referral; ``issues`` lists every problem found."""

    def __init__(self, issues: Iterable[FhirIssue]) -> None:
        self.issues: list[FhirIssue] = list(issues)
        super().__init__("; ".join(f"{i.expression or 'body'}: {i.diagnostics}" for i in self.issues))


# --------------------------------------------------------------------------- parsing


def _error(code: str, expression: str | None, diagnostics: str) -> FhirIssue:
    return FhirIssue("error", code, expression, diagnostics)


def _fhirpath(root: str, loc: Iterable[Any]) -> str:
    path = root
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
            continue
        name = str(part)
        if name.endswith("__ext"):
            name = name[: -len("__ext")]
        if name.endswith("_fhir"):  # fhir.resources' names for Python keywords (for_fhir, class_fhir)
            name = name[: -len("_fhir")]
        path += "." + name.lstrip("_")
    return path


def _safe_message(message: str, value: Any) -> str:
    # fhir.resources messages rarely carry the offending value; make sure none does.
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = str(value)
        if len(text) >= 3 and text in message:
            message = message.replace(text, "…")
    return message


def _structure_issues(root: str, exc: pydantic.ValidationError) -> list[FhirIssue]:
    return [
        _error("structure", _fhirpath(root, err["loc"]), _safe_message(err["msg"], err.get("input")))
        for err in exc.errors(include_url=False)
    ]


def _known_resource_type(name: Any) -> bool:
    if not isinstance(name, str) or not re.fullmatch(r"[A-Z][A-Za-z]{1,63}", name):
        return False
    try:
        get_fhir_model_class(name)
    except (ValueError, KeyError):
        return False
    return True


def _nested_resource_types(raw: dict[str, Any], path: str) -> Iterator[FhirIssue]:
    """fhir.resources fails with a bare KeyError on an unknown nested resourceType: check first."""
    children: list[tuple[str, Any]] = []
    contained = raw.get("contained")
    for j, item in enumerate(contained if isinstance(contained, list) else []):
        children.append((f"{path}.contained[{j}]", item))
    if raw.get("resourceType") == "Bundle" and isinstance(raw.get("entry"), list):
        for i, entry in enumerate(raw["entry"]):
            if isinstance(entry, dict) and "resource" in entry:
                children.append((f"{path}.entry[{i}].resource", entry["resource"]))
    for child_path, child in children:
        if not isinstance(child, dict):
            yield _error("structure", child_path, "a resource must be a JSON object")
        elif not _known_resource_type(child.get("resourceType")):
            yield _error("structure", f"{child_path}.resourceType", "missing or unknown resourceType")
        else:
            yield from _nested_resource_types(child, child_path)


def _parse(body: bytes) -> Bundle | ServiceRequest:
    try:
        raw = json.loads(body)
    except UnicodeDecodeError:
        raise FhirReferralError([_error("structure", None, "the body is not UTF-8 text")]) from None
    except json.JSONDecodeError as exc:
        raise FhirReferralError([
            _error("structure", None, f"the body is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})")
        ]) from None
    if not isinstance(raw, dict):
        raise FhirReferralError([_error("structure", None, "the body must be a JSON object (a FHIR resource)")])
    resource_type = raw.get("resourceType")
    if resource_type is None:
        raise FhirReferralError([_error("structure", "resourceType", "resourceType is missing")])
    model: type[Bundle] | type[ServiceRequest]
    if resource_type == "Bundle":
        model = Bundle
    elif resource_type == "ServiceRequest":
        model = ServiceRequest
    elif _known_resource_type(resource_type):
        raise FhirReferralError([
            _error("not-supported", resource_type, f"a referral is a Bundle or a ServiceRequest, not a {resource_type}")
        ])
    else:
        raise FhirReferralError([_error("not-supported", "resourceType", "unknown resourceType; send a Bundle or a ServiceRequest")])
    nested = list(_nested_resource_types(raw, resource_type))
    if nested:
        raise FhirReferralError(nested)
    try:
        return model.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise FhirReferralError(_structure_issues(resource_type, exc)) from None
    except (ValueError, KeyError, TypeError):
        raise FhirReferralError([_error("structure", resource_type, f"the {resource_type} could not be read as FHIR R4")]) from None


# --------------------------------------------------------------------------- references


@dataclass(frozen=True)
class _Located:
    resource: Any
    path: str

    @property
    def type(self) -> str:
        return self.resource.get_resource_type()


_RELATIVE_REFERENCE = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?$")


class _Index:
    """Resolves references: Bundle entries by fullUrl or Type/id, contained ones by #id."""

    def __init__(self, entries: list[_Located], full_urls: dict[str, _Located]) -> None:
        self.entries = entries
        self._full_urls = full_urls

    @classmethod
    def of(cls, root: Bundle | ServiceRequest) -> _Index:
        if isinstance(root, ServiceRequest):
            return cls([_Located(root, "ServiceRequest")], {})
        entries: list[_Located] = []
        full_urls: dict[str, _Located] = {}
        for i, entry in enumerate(root.entry or []):
            if entry.resource is None:
                continue
            located = _Located(entry.resource, f"Bundle.entry[{i}].resource")
            entries.append(located)
            if entry.fullUrl:
                full_urls[entry.fullUrl] = located
        return cls(entries, full_urls)

    def resolve(self, ref: Any, container: _Located | None) -> _Located | None:
        if ref is None or not ref.reference:
            return None
        target = ref.reference
        if target.startswith("#"):
            if container is None:
                return None
            for j, item in enumerate(container.resource.contained or []):
                if item.id == target[1:]:
                    return _Located(item, f"{container.path}.contained[{j}]")
            return None
        if target in self._full_urls:
            return self._full_urls[target]
        match = _RELATIVE_REFERENCE.search(target)
        if match:
            for located in self.entries:
                if located.type == match.group(1) and located.resource.id == match.group(2):
                    return located
        return None

    def of_type(self, resource_type: str) -> list[_Located]:
        found = [e for e in self.entries if e.type == resource_type]
        for entry in self.entries:
            for j, item in enumerate(entry.resource.contained or []):
                if item.get_resource_type() == resource_type:
                    found.append(_Located(item, f"{entry.path}.contained[{j}]"))
        return found


def _reference_type(ref: Any) -> str | None:
    if ref is None:
        return None
    if ref.type:
        return ref.type
    match = _RELATIVE_REFERENCE.search(ref.reference or "")
    return match.group(1) if match else None


# --------------------------------------------------------------------------- small helpers


def _words(code: str) -> str:
    return code.replace("_", " ").replace("-", " ").strip()


def _concept_text(concept: Any) -> str | None:
    if concept is None:
        return None
    if concept.text and concept.text.strip():
        return concept.text.strip()
    for coding in concept.coding or []:
        if coding.display and coding.display.strip():
            return coding.display.strip()
    return None


def _concept_code(concept: Any) -> str | None:
    if concept is None:
        return None
    for coding in concept.coding or []:
        if coding.code:
            return coding.code
    return concept.text.strip() if concept.text and concept.text.strip() else None


def _ended(period: Any) -> bool:
    if period is None or period.end is None:
        return False
    end = period.end
    if isinstance(end, datetime):
        return end < (datetime.now(end.tzinfo) if end.tzinfo else datetime.now())
    if isinstance(end, date):
        return end < date.today()
    return str(end) < date.today().isoformat()[: len(str(end))]


def _current(items: Iterable[Any], skip_uses: frozenset[str] = frozenset({"old"})) -> list[tuple[int, Any]]:
    return [(k, item) for k, item in enumerate(items or []) if item.use not in skip_uses and not _ended(item.period)]


def _extensions(resource: Any, url: str) -> list[Any]:
    return [e for e in (resource.extension or []) if e.url == url]


def _sub_extension(extension: Any, url: str) -> Any | None:
    for sub in extension.extension or []:
        if sub.url == url:
            return sub
    return None


def _telecom(resource: Any, systems: frozenset[str]) -> list[tuple[int, Any]]:
    points = [(k, cp) for k, cp in _current(resource.telecom or []) if cp.system in systems and cp.value]
    return sorted(points, key=lambda kc: (kc[1].rank or 1_000_000, kc[0]))


def _first_valid_phone(resources: Iterable[Any]) -> str | None:
    for resource in resources:
        for _, cp in _telecom(resource, frozenset({"phone", "sms"})):
            try:
                return normalise.phone(cp.value)
            except ValueError:
                continue
    return None


def _first_email(resources: Iterable[Any]) -> str | None:
    for resource in resources:
        for _, cp in _telecom(resource, frozenset({"email"})):
            return cp.value.strip()
    return None


def _human_name(name: Any) -> str | None:
    parts = [*(name.prefix or []), *(name.given or []), *([name.family] if name.family else [])]
    text = " ".join(p.strip() for p in parts if p and p.strip())
    return text or (name.text.strip() if name.text and name.text.strip() else None)


def _prune(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


# --------------------------------------------------------------------------- mapping


class _Mapper:
    def __init__(self, root: Bundle | ServiceRequest, default_programme_id: str | None, source_subcategory: str | None) -> None:
        self.root = root
        self.index = _Index.of(root)
        self.default_programme_id = default_programme_id
        self.source_subcategory = source_subcategory
        self.issues: list[FhirIssue] = []

    def problem(self, code: str, expression: str | None, diagnostics: str) -> None:
        self.issues.append(_error(code, expression, diagnostics))

    # ---- locating the referral

    def service_request(self) -> _Located | None:
        if isinstance(self.root, ServiceRequest):
            return _Located(self.root, "ServiceRequest")
        bundle = self.root
        if bundle.type not in ACCEPTED_BUNDLE_TYPES:
            self.problem("not-supported", "Bundle.type", "the Bundle type must be 'message' or 'transaction'")
        candidates = self.index.of_type("ServiceRequest")
        candidates = [c for c in candidates if ".contained[" not in c.path]
        if bundle.type == "message":
            first = self.index.entries[0] if self.index.entries else None
            if first is None or first.path != "Bundle.entry[0].resource" or first.type != "MessageHeader":
                self.problem("structure", "Bundle.entry[0]", "a message Bundle starts with a MessageHeader")
            else:
                for focus in first.resource.focus or []:
                    target = self.index.resolve(focus, first)
                    if target is not None and target.type == "ServiceRequest":
                        return target
        if not candidates:
            self.problem("required", "ServiceRequest", "the Bundle holds no ServiceRequest (the referral)")
            return None
        if len(candidates) > 1:
            self.problem("not-supported", "Bundle.entry", "send one referral (ServiceRequest) per Bundle")
        return candidates[0]

    def patient(self, sr: _Located | None) -> _Located | None:
        if sr is None:
            patients = self.index.of_type("Patient")
            if not patients:
                self.problem("required", "Patient", "the Bundle holds no Patient")
            return None
        subject = sr.resource.subject
        target = self.index.resolve(subject, sr)
        if target is not None and target.type == "Patient":
            return target
        if target is not None or _reference_type(subject) not in (None, "Patient"):
            self.problem("not-supported", f"{sr.path}.subject", "the ServiceRequest's subject must be a Patient")
            return None
        self.problem(
            "required", "Patient",
            "the ServiceRequest's subject does not resolve to a Patient in the Bundle or contained resources",
        )
        return None

    # ---- the person

    def person(self, patient: _Located) -> dict[str, Any] | None:
        resource, path = patient.resource, patient.path
        person: dict[str, Any] = {}
        self._name(resource, path, person)
        self._birth_date(resource, path, person)
        self._gender(resource, path, person)
        self._nhs_number(resource, path, person)
        self._contact(resource, path, person)
        self._address(resource, path, person)
        self._language(resource, person)
        ethnicity = next((_concept_text(e.valueCodeableConcept) for e in _extensions(resource, EXT_UKCORE_ETHNIC_CATEGORY)), None)
        person["ethnicity"] = ethnicity
        return _prune(person)

    def _name(self, resource: Any, path: str, person: dict[str, Any]) -> None:
        names = _current(resource.name or [], frozenset({"old", "maiden", "anonymous"}))
        by_use = {use: next(((k, n) for k, n in names if n.use == use), None) for use in ("official", "usual")}
        chosen = by_use["official"] or by_use["usual"] or (names[0] if names else None)
        if chosen is None:
            self.problem("required", f"{path}.name", "the Patient has no (current) name")
            return
        k, name = chosen
        given = " ".join(g.strip() for g in (name.given or []) if g and g.strip())
        family = (name.family or "").strip()
        if not given:
            self.problem("required", f"{path}.name[{k}].given", "the Patient's given name is missing")
        if not family:
            self.problem("required", f"{path}.name[{k}].family", "the Patient's family name is missing")
        person["given_name"] = given or None
        person["family_name"] = family or None
        usual = by_use["usual"]
        if usual is not None and usual[0] != k and usual[1].given:
            preferred = usual[1].given[0].strip()
            if preferred and preferred != (name.given or [""])[0].strip():
                person["preferred_name"] = preferred

    def _birth_date(self, resource: Any, path: str, person: dict[str, Any]) -> None:
        born = resource.birthDate
        if not isinstance(born, date):  # absent, or partial (year / year-month): not a date of birth
            return
        if born > date.today():
            self.problem("value", f"{path}.birthDate", "the birth date is in the future")
        elif born.year < 1900:
            self.problem("value", f"{path}.birthDate", "the birth date is before 1900")
        else:
            person["date_of_birth"] = born.isoformat()

    def _gender(self, resource: Any, path: str, person: dict[str, Any]) -> None:
        gender = resource.gender
        if gender is None or gender == "unknown":
            return
        if gender not in ("male", "female", "other"):
            self.problem("value", f"{path}.gender", "gender must be one of male, female, other, unknown")
            return
        person["gender"] = gender

    def _nhs_number(self, resource: Any, path: str, person: dict[str, Any]) -> None:
        for j, identifier in enumerate(resource.identifier or []):
            if identifier.system != NHS_NUMBER_SYSTEM or not identifier.value:
                continue
            try:
                person["nhs_number"] = normalise.nhs_number(identifier.value)
            except ValueError as exc:
                words = "NHS number check digit does not match" if "check digit" in str(exc) else "an NHS number has 10 digits"
                self.problem("invalid", f"{path}.identifier[{j}].value", words)
            return

    def _contact(self, resource: Any, path: str, person: dict[str, Any]) -> None:
        phones = _telecom(resource, frozenset({"phone", "sms"}))
        if phones:
            person["phone"] = _first_valid_phone([resource])
            if person["phone"] is None:
                self.problem("invalid", f"{path}.telecom[{phones[0][0]}].value", "the Patient's phone number is not a valid phone number")
        emails = _telecom(resource, frozenset({"email"}))
        for k, cp in emails:
            local, at, domain = cp.value.strip().partition("@")
            if at and local and "." in domain and not any(c.isspace() for c in cp.value.strip()):
                person["email"] = cp.value.strip()
                break
        else:
            if emails:
                self.problem("invalid", f"{path}.telecom[{emails[0][0]}].value", "the Patient's email is not an email address")

    def _address(self, resource: Any, path: str, person: dict[str, Any]) -> None:
        addresses = _current(resource.address or [])
        if not addresses:
            return
        k, address = next(((k, a) for k, a in addresses if a.use == "home"), addresses[0])
        lines = [line.strip() for line in (address.line or []) if line and line.strip()]
        postcode = None
        if address.postalCode:
            try:
                postcode = normalise.postcode(address.postalCode)
            except ValueError:
                self.problem("invalid", f"{path}.address[{k}].postalCode", "the postcode is not a UK postcode")
        mapped = _prune({
            "line1": lines[0] if lines else None,
            "line2": ", ".join(lines[1:]) or None,
            "town": (address.city or address.district or "").strip() or None,
            "postcode": postcode,
        })
        if mapped:
            person["address"] = mapped
        if postcode:
            person["postcode"] = postcode

    def _language(self, resource: Any, person: dict[str, Any]) -> None:
        # (language code, preferred?, interpreter required?) from UK Core NHSCommunication and Patient.communication
        options: list[tuple[str | None, bool, bool]] = []
        for ext in _extensions(resource, EXT_UKCORE_NHS_COMMUNICATION):
            language = _sub_extension(ext, "language")
            preferred = _sub_extension(ext, "preferred")
            interpreter = _sub_extension(ext, "interpreterRequired")
            options.append((
                _concept_code(language.valueCodeableConcept) if language else None,
                bool(preferred and preferred.valueBoolean),
                bool(interpreter and interpreter.valueBoolean),
            ))
        for communication in resource.communication or []:
            options.append((_concept_code(communication.language), bool(communication.preferred), False))
        with_language = [o for o in options if o[0]]
        chosen = next((o for o in with_language if o[1]), with_language[0] if with_language else None)
        if chosen:
            person["language"] = chosen[0]
        interpreter = any(o[2] for o in options) or any(
            e.valueBoolean is True for e in _extensions(resource, EXT_INTERPRETER_REQUIRED)
        )
        if interpreter:
            person["interpreter_needed"] = True

    # ---- the request

    def partner_referral_id(self, sr: _Located) -> str | None:
        identifiers = [(j, i) for j, i in enumerate(sr.resource.identifier or []) if i.value and i.value.strip()]
        if not identifiers:
            return None
        j, identifier = next(((j, i) for j, i in identifiers if i.use == "official"), identifiers[0])
        value = identifier.value.strip()
        if len(value) > 128:
            self.problem("value", f"{sr.path}.identifier[{j}].value", "the referral identifier is longer than 128 characters")
            return None
        return value

    def check_request(self, sr: _Located) -> None:
        request = sr.resource
        if request.status != "active":
            self.problem("value", f"{sr.path}.status", "only an active ServiceRequest can be accepted as a referral")
        codings = (request.code.coding or []) if request.code else []
        if not codings:
            self.problem("required", f"{sr.path}.code", "ServiceRequest.code (SNOMED CT) is missing")
        elif not any(c.system == SNOMED_CT and c.code in SOCIAL_PRESCRIBING_REFERRAL_CODES for c in codings):
            self.problem(
                "not-supported", f"{sr.path}.code",
                "ServiceRequest.code is not a social prescribing referral; accepted SNOMED CT codes: "
                + ", ".join(sorted(SOCIAL_PRESCRIBING_REFERRAL_CODES)),
            )

    def programme(self, sr: _Located) -> str | None:
        for performer in sr.resource.performer or []:
            identifiers = [performer.identifier] if performer.identifier else []
            target = self.index.resolve(performer, sr)
            if target is not None and target.type in ("Organization", "HealthcareService"):
                identifiers += target.resource.identifier or []
            for identifier in identifiers:
                if identifier.system == PROGRAMME_SYSTEM and identifier.value and identifier.value.strip():
                    return identifier.value.strip()
        if self.default_programme_id:
            return self.default_programme_id
        self.problem(
            "required", f"{sr.path}.performer",
            f"no programme: give a ServiceRequest.performer identifier with system {PROGRAMME_SYSTEM}",
        )
        return None

    def reason(self, sr: _Located) -> str | None:
        parts = [_concept_text(rc) for rc in sr.resource.reasonCode or []]
        parts += [n.text.strip() for n in sr.resource.note or [] if n.text and n.text.strip()]
        unique = list(dict.fromkeys(p for p in parts if p))
        return "\n".join(unique) or None

    def consent(self, sr: _Located, patient: _Located | None) -> bool:
        consents: dict[str, _Located] = {}
        asserted_elsewhere = False
        for info in sr.resource.supportingInfo or []:
            target = self.index.resolve(info, sr)
            if target is not None:
                if target.type == "Consent":
                    consents[target.path] = target
            elif _reference_type(info) == "Consent":
                # A reference to a Consent the sender holds (not sent with the referral): the
                # sender explicitly asserts consent, as BaRS allows.
                asserted_elsewhere = True
        for located in self.index.of_type("Consent"):
            consents.setdefault(located.path, located)
        for j, item in enumerate(sr.resource.contained or []):
            if item.get_resource_type() == "Consent":
                consents.setdefault(f"{sr.path}.contained[{j}]", _Located(item, f"{sr.path}.contained[{j}]"))
        valid = []
        problems: list[tuple[str, str]] = []
        for located in consents.values():
            consent = located.resource
            if patient is not None and consent.patient is not None:
                about = self.index.resolve(consent.patient, located) or self.index.resolve(consent.patient, sr)
                if about is not None and about.path != patient.path:
                    continue  # someone else's consent
            if consent.status != "active":
                problems.append((f"{located.path}.status", "the Consent is not active"))
            elif consent.provision is not None and consent.provision.type == "deny":
                problems.append((f"{located.path}.provision.type", "the Consent denies rather than permits"))
            else:
                valid.append(located)
        if valid or asserted_elsewhere:
            return True
        for expression, diagnostics in problems:
            self.problem("required", expression, diagnostics)
        if not problems:
            self.problem(
                "required", "Consent",
                "no Consent to the referral: send an active Consent (or reference one from ServiceRequest.supportingInfo)",
            )
        return False

    def referrer(self, sr: _Located) -> dict[str, Any]:
        requester = sr.resource.requester
        role = practitioner = organisation = None
        role_ref = practitioner_ref = organisation_ref = None
        target = self.index.resolve(requester, sr)
        kind = target.type if target is not None else _reference_type(requester)
        if kind == "PractitionerRole":
            role_ref = requester
            if target is not None:
                role = target.resource
                practitioner_ref, organisation_ref = role.practitioner, role.organization
                practitioner = self.index.resolve(practitioner_ref, target) or self.index.resolve(practitioner_ref, sr)
                organisation = self.index.resolve(organisation_ref, target) or self.index.resolve(organisation_ref, sr)
        elif kind == "Practitioner":
            practitioner_ref, practitioner = requester, target
        elif kind == "Organization":
            organisation_ref, organisation = requester, target
        if organisation is None and organisation_ref is None and isinstance(self.root, Bundle):
            header = self.index.entries[0] if self.index.entries and self.index.entries[0].type == "MessageHeader" else None
            if header is not None and header.resource.sender is not None:
                organisation_ref = header.resource.sender
                organisation = self.index.resolve(organisation_ref, header)

        org_name = (organisation.resource.name if organisation and organisation.type == "Organization" else None) or (
            organisation_ref.display if organisation_ref else None
        )
        ods_code = None
        identifiers = list(organisation.resource.identifier or []) if organisation and organisation.type == "Organization" else []
        if organisation_ref is not None and organisation_ref.identifier is not None:
            identifiers.append(organisation_ref.identifier)
        for identifier in identifiers:
            if identifier.system == ODS_ORGANISATION_SYSTEM and identifier.value and identifier.value.strip():
                ods_code = identifier.value.strip().upper()
                break

        person_name = None
        if practitioner is not None and practitioner.type == "Practitioner":
            names = _current(practitioner.resource.name or [])
            chosen = next((n for _, n in names if n.use == "official"), names[0][1] if names else None)
            person_name = _human_name(chosen) if chosen else None
        if person_name is None:
            for ref in (practitioner_ref, role_ref):
                if ref is not None and ref.display and ref.display.strip():
                    person_name = ref.display.strip()
                    break

        contacts = [r for r in (role, practitioner.resource if practitioner else None) if r is not None]
        phone = _first_valid_phone(contacts) or _first_valid_phone(
            [organisation.resource] if organisation and organisation.type == "Organization" else []
        )
        email = _first_email(contacts)

        subcategory = self.source_subcategory
        if subcategory is None:
            subcategory = "nhs_gp" if _looks_like_gp_practice(organisation, ods_code) else "nhs_other"
        return _prune({
            "source_category": "statutory",
            "source_subcategory": subcategory,
            "organisation": org_name.strip()[:200] if org_name and org_name.strip() else None,
            "organisation_code": ods_code,
            "person_name": person_name[:200] if person_name else None,
            "phone": phone,
            "email": email,
        })


_GP_PRACTICE_ODS = re.compile(r"^[A-Z]\d{5}$")  # England GP practice codes: a letter and five digits


def _looks_like_gp_practice(organisation: _Located | None, ods_code: str | None) -> bool:
    if ods_code and _GP_PRACTICE_ODS.match(ods_code):
        return True
    if organisation is None or organisation.type != "Organization":
        return False
    words = " ".join(filter(None, (_concept_text(t) for t in organisation.resource.type or []))).lower()
    return "gp practice" in words or "general practice" in words


def _canonical_issues(exc: pydantic.ValidationError, sr: _Located, patient: _Located) -> list[FhirIssue]:
    issues = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"]]
        where = patient.path if loc and loc[0] == "person" else f"{sr.path}.requester" if loc and loc[0] == "referrer" else sr.path
        issues.append(_error("invalid", where, f"{'.'.join(loc)}: {_safe_message(err['msg'], err.get('input'))}"))
    return issues


def referral_from_fhir(
    body: bytes,
    *,
    default_programme_id: str | None,
    source_subcategory: str | None = "nhs_gp",
) -> tuple[dict[str, Any], str | None]:
    """Map a FHIR R4 referral (Bundle or lone ServiceRequest) to the canonical submission.

    Returns ``(submission, partner_referral_id)``: the submission is a plain dict that
    ``ReferralSubmission.model_validate`` accepts (its ``partner_referral_id`` is the
    ServiceRequest's own identifier, also returned on its own, None if it has none).

    The programme is the ServiceRequest.performer identifier with system
    ``https://referrals.example/programme``, else ``default_programme_id`` (the partner's
    default). The referrer is 'statutory' / ``source_subcategory`` ('nhs_gp' unless the caller
    knows better); pass ``source_subcategory=None`` to decide from the requester organisation
    ('nhs_gp' for a GP practice ODS code or type, else 'nhs_other').

    Raises ``FhirReferralError`` with every issue found.
    """
    if source_subcategory is not None and source_subcategory not in SOURCES["statutory"]:
        raise ValueError(f"source_subcategory must be a statutory subcategory: {', '.join(sorted(SOURCES['statutory']))}")
    root = _parse(body)
    mapper = _Mapper(root, default_programme_id, source_subcategory)
    sr = mapper.service_request()
    patient = mapper.patient(sr)
    if sr is None:
        raise FhirReferralError(mapper.issues)

    mapper.check_request(sr)
    partner_referral_id = mapper.partner_referral_id(sr)
    programme_id = mapper.programme(sr)
    person = mapper.person(patient) if patient is not None else None
    consented = mapper.consent(sr, patient)
    submission: dict[str, Any] = {
        "partner_referral_id": partner_referral_id,
        "programme_id": programme_id,
        "person": person,
        "reason": mapper.reason(sr),
        "consent": {"to_referral": consented},
        "referrer": mapper.referrer(sr),
    }
    if any(issue.severity == "error" for issue in mapper.issues):
        raise FhirReferralError(mapper.issues)
    assert patient is not None  # no patient is an error above
    try:  # a last check, so that the caller never meets a canonical validation error
        ReferralSubmission.model_validate(submission)
    except pydantic.ValidationError as exc:
        raise FhirReferralError([*mapper.issues, *_canonical_issues(exc, sr, patient)]) from None
    return submission, partner_referral_id


# --------------------------------------------------------------------------- outputs


def operation_outcome(issues: list[FhirIssue]) -> dict[str, Any]:
    """An OperationOutcome resource (dict) for the issues; an informational one if there are none."""
    rendered = []
    for issue in issues:
        item: dict[str, Any] = {"severity": issue.severity, "code": issue.code, "diagnostics": issue.diagnostics}
        if issue.expression:
            item["expression"] = [issue.expression]
        rendered.append(item)
    if not rendered:
        rendered = [{"severity": "information", "code": "informational", "diagnostics": "no issues"}]
    return {"resourceType": "OperationOutcome", "issue": rendered}


# Our referral status -> (Task.status, fixed Task.statusReason text or None).
# duplicate -> 'rejected' (not 'cancelled'): FHIR's 'cancelled' is the requester withdrawing the
# task, while here the performer declines to start it because the person already has an open
# referral, which is what 'rejected' means.
TASK_STATUS: dict[str, tuple[str, str | None]] = {
    "received": ("received", None),
    "in_review": ("received", None),
    "accepted": ("accepted", None),
    "waiting": ("accepted", None),
    "assigned": ("in-progress", None),
    "first_contact": ("in-progress", None),
    "declined": ("rejected", None),
    "redirected": ("rejected", None),
    "duplicate": ("rejected", "duplicate of an open referral"),
    "closed": ("completed", None),
}

_REASON_CODE = re.compile(r"^[a-z][a-z0-9_]{0,80}$")


def _instant(value: datetime | str) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def _moment(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def task_for(referral: dict[str, Any], timeline: list[dict[str, Any]]) -> dict[str, Any]:
    """A FHIR R4 Task (dict) showing the referrer the referral's progress.

    Statuses, coded reasons (in words) and times only: never clinical or case detail. A timeline
    reason is shown only when it is a reason code (``age_out_of_range``); free text is left out,
    as it might carry case detail.
    """
    status = str(referral["status"])
    if status not in TASK_STATUS:
        raise ValueError(f"unknown referral status; one of: {', '.join(TASK_STATUS)}")
    task_status, fixed_reason = TASK_STATUS[status]
    steps = sorted(timeline, key=lambda s: _moment(s["at"]))

    code = next((str(s["reason"]) for s in reversed(steps) if s["status"] == status and s.get("reason")), None)
    words = _words(code) if code and _REASON_CODE.match(code) else None
    if fixed_reason:
        reason_text = fixed_reason
    elif status == "redirected":
        reason_text = f"redirected to {words}" if words else "redirected to another service"
    else:
        reason_text = words

    task: dict[str, Any] = {
        "resourceType": "Task",
        "id": str(referral["referral_id"]),
        "identifier": [{"system": REFERRAL_ID_SYSTEM, "value": str(referral["referral_id"])}],
        "status": task_status,
        "businessStatus": {
            "coding": [{"system": REFERRAL_STATUS_SYSTEM, "code": status}],
            "text": _words(status),
        },
        "intent": "order",
        "code": {"coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill"}]},
        "authoredOn": _instant(referral["received_at"]),
        "lastModified": _instant(steps[-1]["at"] if steps else referral["received_at"]),
    }
    if reason_text:
        task["statusReason"] = {"text": reason_text}
    if referral.get("partner_referral_id"):
        task["focus"] = {"type": "ServiceRequest", "identifier": {"value": str(referral["partner_referral_id"])}}
    started = next((s["at"] for s in steps if s["status"] in ("assigned", "first_contact")), None)
    ended = next((s["at"] for s in reversed(steps) if s["status"] == "closed"), None) if status == "closed" else None
    if started or ended:
        task["executionPeriod"] = _prune({
            "start": _instant(started) if started else None,
            "end": _instant(ended) if ended else None,
        })
    return task
