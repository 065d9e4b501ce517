"""The ServiceRequest's requester -> the canonical submission's ``referrer``.

The requester is a PractitionerRole (with its Practitioner and Organization), a Practitioner or
an Organization; a message Bundle's MessageHeader.sender stands in for a missing organisation.
The ODS code, names and contact details come from those resources or the references' own
identifier and display. Finds no issues: what cannot be read is left out.
"""

from __future__ import annotations

import re
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.servicerequest import ServiceRequest

from .elements import concept_text, current, first_email, first_valid_phone, human_name, prune
from .parsing import Index, Located, reference_type
from .systems import ODS_ORGANISATION_SYSTEM

_GP_PRACTICE_ODS = re.compile(r"^[A-Z]\d{5}$")  # England GP practice codes: a letter and five digits


def referrer_from(
    root: Bundle | ServiceRequest, index: Index, sr: Located, source_subcategory: str | None,
) -> dict[str, Any]:
    """The ``referrer`` dict; ``source_subcategory`` None decides it from the organisation."""
    requester = sr.resource.requester
    role = practitioner = organisation = None
    role_ref = practitioner_ref = organisation_ref = None
    target = index.resolve(requester, sr)
    kind = target.type if target is not None else reference_type(requester)
    if kind == "PractitionerRole":
        role_ref = requester
        if target is not None:
            role = target.resource
            practitioner_ref, organisation_ref = role.practitioner, role.organization
            practitioner = index.resolve(practitioner_ref, target) or index.resolve(practitioner_ref, sr)
            organisation = index.resolve(organisation_ref, target) or index.resolve(organisation_ref, sr)
    elif kind == "Practitioner":
        practitioner_ref, practitioner = requester, target
    elif kind == "Organization":
        organisation_ref, organisation = requester, target
    if organisation is None and organisation_ref is None and isinstance(root, Bundle):
        header = index.entries[0] if index.entries and index.entries[0].type == "MessageHeader" else None
        if header is not None and header.resource.sender is not None:
            organisation_ref = header.resource.sender
            organisation = index.resolve(organisation_ref, header)

    org_name = (organisation.resource.name if organisation and organisation.type == "Organization" else None) or (
        organisation_ref.display if organisation_ref else None
    )
    ods_code = _ods_code(organisation, organisation_ref)
    person_name = _person_name(practitioner, practitioner_ref, role_ref)

    contacts = [r for r in (role, practitioner.resource if practitioner else None) if r is not None]
    phone = first_valid_phone(contacts) or first_valid_phone(
        [organisation.resource] if organisation and organisation.type == "Organization" else []
    )
    email = first_email(contacts)

    subcategory = source_subcategory
    if subcategory is None:
        subcategory = "nhs_gp" if _looks_like_gp_practice(organisation, ods_code) else "nhs_other"
    return prune({
        "source_category": "statutory",
        "source_subcategory": subcategory,
        "organisation": org_name.strip()[:200] if org_name and org_name.strip() else None,
        "organisation_code": ods_code,
        "person_name": person_name[:200] if person_name else None,
        "phone": phone,
        "email": email,
    })


def _ods_code(organisation: Located | None, organisation_ref: Any) -> str | None:
    identifiers = list(organisation.resource.identifier or []) if organisation and organisation.type == "Organization" else []
    if organisation_ref is not None and organisation_ref.identifier is not None:
        identifiers.append(organisation_ref.identifier)
    for identifier in identifiers:
        if identifier.system == ODS_ORGANISATION_SYSTEM and identifier.value and identifier.value.strip():
            return identifier.value.strip().upper()
    return None


def _person_name(practitioner: Located | None, practitioner_ref: Any, role_ref: Any) -> str | None:
    if practitioner is not None and practitioner.type == "Practitioner":
        names = current(practitioner.resource.name or [])
        chosen = next((n for _, n in names if n.use == "official"), names[0][1] if names else None)
        person_name = human_name(chosen) if chosen else None
        if person_name is not None:
            return person_name
    for ref in (practitioner_ref, role_ref):
        if ref is not None and ref.display and ref.display.strip():
            return ref.display.strip()
    return None


def _looks_like_gp_practice(organisation: Located | None, ods_code: str | None) -> bool:
    if ods_code and _GP_PRACTICE_ODS.match(ods_code):
        return True
    if organisation is None or organisation.type != "Organization":
        return False
    words = " ".join(filter(None, (concept_text(t) for t in organisation.resource.type or []))).lower()
    return "gp practice" in words or "general practice" in words
