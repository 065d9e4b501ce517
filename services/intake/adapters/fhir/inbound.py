"""A FHIR R4 referral (BaRS / UK Core shaped) -> the canonical submission.

The ServiceRequest is the referral: found here, with its subject Patient, checked (status and
SNOMED CT code), and read for the partner's referral id, the programme and the reason; the
person (``patient``), the consent (``consent``) and the referrer (``referrer``) are mapped in
their own modules. Every problem found is collected, not only the first.
"""

from __future__ import annotations

from typing import Any

import pydantic
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.servicerequest import ServiceRequest

from ...domain.referral_sources import SOURCES
from ...domain.submission import ReferralSubmission
from .consent import consented
from .elements import concept_text
from .issues import FhirIssue, FhirReferralError, IssueLog, error, safe_message
from .parsing import Index, Located, parse, reference_type
from .patient import person_from
from .referrer import referrer_from
from .systems import PROGRAMME_SYSTEM, SNOMED_CT, SOCIAL_PRESCRIBING_REFERRAL_CODES

ACCEPTED_BUNDLE_TYPES = frozenset({"message", "transaction"})


class _Request:
    """The referral's ServiceRequest in ``root``: locating it and its Patient, and reading it."""

    def __init__(self, root: Bundle | ServiceRequest, index: Index, default_programme_id: str | None, log: IssueLog) -> None:
        self.root = root
        self.index = index
        self.default_programme_id = default_programme_id
        self.log = log
        self.problem = log.problem

    # ---- locating the referral

    def service_request(self) -> Located | None:
        if isinstance(self.root, ServiceRequest):
            return Located(self.root, "ServiceRequest")
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
            self.log.missing("ServiceRequest", "the Bundle holds no ServiceRequest (the referral)")
            return None
        if len(candidates) > 1:
            self.problem("not-supported", "Bundle.entry", "send one referral (ServiceRequest) per Bundle")
        return candidates[0]

    def patient(self, sr: Located | None) -> Located | None:
        if sr is None:
            patients = self.index.of_type("Patient")
            if not patients:
                self.log.missing("Patient", "the Bundle holds no Patient")
            return None
        subject = sr.resource.subject
        target = self.index.resolve(subject, sr)
        if target is not None and target.type == "Patient":
            return target
        if target is not None or reference_type(subject) not in (None, "Patient"):
            self.problem("not-supported", f"{sr.path}.subject", "the ServiceRequest's subject must be a Patient")
            return None
        self.log.missing(
            "Patient", "the ServiceRequest's subject does not resolve to a Patient in the Bundle or contained resources",
        )
        return None

    # ---- the request

    def partner_referral_id(self, sr: Located) -> str | None:
        identifiers = [(j, i) for j, i in enumerate(sr.resource.identifier or []) if i.value and i.value.strip()]
        if not identifiers:
            return None
        j, identifier = next(((j, i) for j, i in identifiers if i.use == "official"), identifiers[0])
        value = identifier.value.strip()
        if len(value) > 128:
            self.problem("value", f"{sr.path}.identifier[{j}].value", "the referral identifier is longer than 128 characters")
            return None
        return value

    def check_request(self, sr: Located) -> None:
        request = sr.resource
        if request.status != "active":
            self.problem("value", f"{sr.path}.status", "only an active ServiceRequest can be accepted as a referral")
        # No code is a referral to the service it is sent to (a BaRS ServiceRequest carries none):
        # the programme. A code must be a social prescribing referral, not a request for another service.
        codings = [c for c in ((request.code.coding or []) if request.code else []) if c.code]
        if codings and not any(c.system == SNOMED_CT and c.code in SOCIAL_PRESCRIBING_REFERRAL_CODES for c in codings):
            self.problem(
                "not-supported", f"{sr.path}.code",
                "ServiceRequest.code is not a social prescribing referral; accepted SNOMED CT codes: "
                + ", ".join(sorted(SOCIAL_PRESCRIBING_REFERRAL_CODES)),
            )

    def programme(self, sr: Located) -> str | None:
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

    def reason(self, sr: Located) -> str | None:
        parts = [concept_text(rc) for rc in sr.resource.reasonCode or []]
        parts += [n.text.strip() for n in sr.resource.note or [] if n.text and n.text.strip()]
        unique = list(dict.fromkeys(p for p in parts if p))
        return "\n".join(unique) or None


def _canonical_issues(exc: pydantic.ValidationError, sr: Located, patient: Located) -> list[FhirIssue]:
    issues = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"]]
        where = patient.path if loc and loc[0] == "person" else f"{sr.path}.requester" if loc and loc[0] == "referrer" else sr.path
        issues.append(error("invalid", where, f"{'.'.join(loc)}: {safe_message(err['msg'], err.get('input'))}"))
    return issues


def referral_from_fhir(
    body: bytes,
    *,
    default_programme_id: str | None,
    source_subcategory: str | None = "nhs_gp",
    referrer_attests_consent: bool = False,
) -> tuple[ReferralSubmission, str | None]:
    """Map a FHIR R4 referral (Bundle or lone ServiceRequest) to the canonical submission.

    Returns ``(submission, partner_referral_id)``: the submission is the validated
    ``ReferralSubmission`` (its ``partner_referral_id`` is the ServiceRequest's own identifier,
    also returned on its own, None if it has none). Only the fields the referral gave are set:
    ``submission.model_dump(mode="json", exclude_unset=True)`` is the canonical JSON body.

    The programme is the ServiceRequest.performer identifier with system
    ``https://referrals.example/programme``, else ``default_programme_id`` (the partner's
    default). The referrer is 'statutory' / ``source_subcategory`` ('nhs_gp' unless the caller
    knows better); pass ``source_subcategory=None`` to decide from the requester organisation
    ('nhs_gp' for a GP practice ODS code or type, else 'nhs_other').

    Consent is an active, permitting Consent in the referral; where it carries none and
    ``referrer_attests_consent`` (the partner is configured so), the referrer attests it, and the
    submission records ``consent.attested_by_referrer``.

    Raises ``FhirReferralError`` with every issue found, in one list.
    """
    if source_subcategory is not None and source_subcategory not in SOURCES["statutory"]:
        raise ValueError(f"source_subcategory must be a statutory subcategory: {', '.join(sorted(SOURCES['statutory']))}")
    parsed = parse(body)
    root = parsed.root
    index = Index.of(root)
    log = IssueLog(parsed.issues, parsed.unreadable)
    request = _Request(root, index, default_programme_id, log)
    sr = request.service_request()
    patient = request.patient(sr)
    if sr is None:
        raise FhirReferralError(log.issues)

    request.check_request(sr)
    partner_referral_id = request.partner_referral_id(sr)
    programme_id = request.programme(sr)
    person = person_from(patient, log) if patient is not None else None
    consent, attested = consented(index, sr, patient, log, referrer_attests=referrer_attests_consent)
    submission: dict[str, Any] = {
        "partner_referral_id": partner_referral_id,
        "programme_id": programme_id,
        "person": person,
        "reason": request.reason(sr),
        "consent": {"to_referral": consent, **({"attested_by_referrer": True} if attested else {})},
        "referrer": referrer_from(root, index, sr, source_subcategory),
    }
    if log.has_errors():
        raise FhirReferralError(log.issues)
    assert patient is not None  # no patient is an error above
    try:  # the caller never meets a canonical validation error, only FHIR issues
        validated = ReferralSubmission.model_validate(submission)
    except pydantic.ValidationError as exc:
        raise FhirReferralError([*log.issues, *_canonical_issues(exc, sr, patient)]) from None
    return validated, partner_referral_id
