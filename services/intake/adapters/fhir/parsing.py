"""Reading the body into ``fhir.resources`` R4B models, and finding resources and references in it.

``parse`` turns the bytes into a Bundle or a lone ServiceRequest with the structural issues found
(each located by FHIRPath, in plain words), or raises ``FhirReferralError`` when there is nothing
to read a referral from. A Bundle's entries are read one by one, so every entry's issues are found
in one pass; an entry of a type the referral does not use is left out when it is not FHIR R4. ``Index`` resolves references: Bundle
entries by fullUrl or Type/id, contained resources by #id. The R4B models are wire-compatible with
R4 for every resource used here. No I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pydantic
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.servicerequest import ServiceRequest

from .issues import FhirIssue, FhirReferralError, error, in_plain_words, safe_message

# --------------------------------------------------------------------------- parsing


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


def _structure_issues(root: str, exc: pydantic.ValidationError) -> list[FhirIssue]:
    issues = []
    for err in exc.errors(include_url=False):
        path = _fhirpath(root, err["loc"])
        element = path.rsplit(".", 1)[-1].split("[", 1)[0]
        words = in_plain_words(element, str(err["type"]), safe_message(str(err["msg"]), err.get("input")))
        issues.append(error("structure", path, words))
    return issues


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
            yield error("structure", child_path, "a resource must be a JSON object")
        elif not _known_resource_type(child.get("resourceType")):
            yield error("structure", f"{child_path}.resourceType", "missing or unknown resourceType")
        else:
            yield from _nested_resource_types(child, child_path)


# The resource types the referral is read from; an entry of any other type is not used, so one
# that is not valid FHIR R4 is left out of the reading (it stays in the stored raw message).
USED_TYPES = frozenset({
    "MessageHeader", "ServiceRequest", "Patient", "Consent",
    "PractitionerRole", "Practitioner", "Organization", "HealthcareService",
})


@dataclass
class Parsed:
    """The body read as FHIR: the root, the structural issues found, and the resource types of the
    entries left out because they are not FHIR R4 (their absence is not a second issue)."""

    root: Bundle | ServiceRequest
    issues: list[FhirIssue]
    unreadable: set[str]


def _json(body: bytes) -> dict[str, Any]:
    try:
        raw = json.loads(body)
    except UnicodeDecodeError:
        raise FhirReferralError([error("structure", None, "the body is not UTF-8 text")]) from None
    except json.JSONDecodeError as exc:
        raise FhirReferralError([
            error("structure", None, f"the body is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})")
        ]) from None
    if not isinstance(raw, dict):
        raise FhirReferralError([error("structure", None, "the body must be a JSON object (a FHIR resource)")])
    return raw


def _as_read(resource_type: str, resource: dict[str, Any]) -> dict[str, Any]:
    """The resource as the R4 model reads it. BaRS omits MessageHeader.destination.endpoint (1..1 in
    R4): the destination is not read here, so an incomplete one is left out of the reading."""
    if resource_type == "MessageHeader" and isinstance(resource.get("destination"), list):
        kept = [d for d in resource["destination"] if not isinstance(d, dict) or d.get("endpoint")]
        resource = {k: v for k, v in resource.items() if k != "destination"} | ({"destination": kept} if kept else {})
    return resource


def _entries(raw: dict[str, Any], issues: list[FhirIssue], unreadable: set[str]) -> dict[str, Any]:
    """The Bundle with each entry's resource read on its own: one not FHIR R4 is reported when
    the referral uses its type and left out either way, so every issue is found in one pass."""
    entries = raw.get("entry")
    if not isinstance(entries, list):
        return raw
    kept: list[Any] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or "resource" not in entry:
            kept.append(entry)
            continue
        path, resource = f"Bundle.entry[{i}].resource", entry["resource"]
        rest = {k: v for k, v in entry.items() if k != "resource"}
        nested = list(_nested_resource_types(resource, path)) if isinstance(resource, dict) else []
        if not isinstance(resource, dict):
            issues.append(error("structure", path, "a resource must be a JSON object"))
        elif not _known_resource_type(resource.get("resourceType")):
            issues.append(error("structure", f"{path}.resourceType", "missing or unknown resourceType"))
        elif nested:
            issues.extend(nested)
            unreadable.add(resource["resourceType"])
        else:
            resource_type = resource["resourceType"]
            read = _as_read(resource_type, resource)
            try:
                get_fhir_model_class(resource_type).model_validate(read)
            except (pydantic.ValidationError, ValueError, KeyError, TypeError) as exc:
                if resource_type in USED_TYPES:
                    unreadable.add(resource_type)
                    issues.extend(_structure_issues(path, exc) if isinstance(exc, pydantic.ValidationError) else [
                        error("structure", path, f"the {resource_type} could not be read as FHIR R4")])
            else:
                kept.append({**rest, "resource": read})
                continue
        kept.append(rest)  # the entry stays, so every later entry keeps its position
    return {**raw, "entry": kept}


def parse(body: bytes) -> Parsed:
    raw = _json(body)
    resource_type = raw.get("resourceType")
    if resource_type is None:
        raise FhirReferralError([error("structure", "resourceType", "resourceType is missing")])
    model: type[Bundle] | type[ServiceRequest]
    if resource_type == "Bundle":
        model = Bundle
    elif resource_type == "ServiceRequest":
        model = ServiceRequest
    elif _known_resource_type(resource_type):
        raise FhirReferralError([
            error("not-supported", resource_type, f"a referral is a Bundle or a ServiceRequest, not a {resource_type}")
        ])
    else:
        raise FhirReferralError([error("not-supported", "resourceType", "unknown resourceType; send a Bundle or a ServiceRequest")])
    issues: list[FhirIssue] = []
    unreadable: set[str] = set()
    if model is Bundle:
        raw = _entries(raw, issues, unreadable)
    else:
        issues.extend(_nested_resource_types(raw, resource_type))
        if issues:
            raise FhirReferralError(issues)
    try:
        return Parsed(model.model_validate(raw), issues, unreadable)
    except pydantic.ValidationError as exc:
        raise FhirReferralError([*issues, *_structure_issues(resource_type, exc)]) from None
    except (ValueError, KeyError, TypeError):
        raise FhirReferralError([*issues, error("structure", resource_type, f"the {resource_type} could not be read as FHIR R4")]) from None


# --------------------------------------------------------------------------- references


@dataclass(frozen=True)
class Located:
    """A resource and its FHIRPath in the body (e.g. ``Bundle.entry[2].resource``)."""

    resource: Any
    path: str

    @property
    def type(self) -> str:
        return self.resource.get_resource_type()


_RELATIVE_REFERENCE = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?$")


class Index:
    """Resolves references: Bundle entries by fullUrl or Type/id, contained ones by #id."""

    def __init__(self, entries: list[Located], full_urls: dict[str, Located]) -> None:
        self.entries = entries
        self._full_urls = full_urls

    @classmethod
    def of(cls, root: Bundle | ServiceRequest) -> Index:
        if isinstance(root, ServiceRequest):
            return cls([Located(root, "ServiceRequest")], {})
        entries: list[Located] = []
        full_urls: dict[str, Located] = {}
        for i, entry in enumerate(root.entry or []):
            if entry.resource is None:
                continue
            located = Located(entry.resource, f"Bundle.entry[{i}].resource")
            entries.append(located)
            if entry.fullUrl:
                full_urls[entry.fullUrl] = located
        return cls(entries, full_urls)

    def resolve(self, ref: Any, container: Located | None) -> Located | None:
        if ref is None or not ref.reference:
            return None
        target = ref.reference
        if target.startswith("#"):
            if container is None:
                return None
            for j, item in enumerate(container.resource.contained or []):
                if item.id == target[1:]:
                    return Located(item, f"{container.path}.contained[{j}]")
            return None
        if target in self._full_urls:
            return self._full_urls[target]
        match = _RELATIVE_REFERENCE.search(target)
        if match:
            for located in self.entries:
                if located.type == match.group(1) and located.resource.id == match.group(2):
                    return located
        return None

    def of_type(self, resource_type: str) -> list[Located]:
        found = [e for e in self.entries if e.type == resource_type]
        for entry in self.entries:
            for j, item in enumerate(entry.resource.contained or []):
                if item.get_resource_type() == resource_type:
                    found.append(Located(item, f"{entry.path}.contained[{j}]"))
        return found


def reference_type(ref: Any) -> str | None:
    if ref is None:
        return None
    if ref.type:
        return ref.type
    match = _RELATIVE_REFERENCE.search(ref.reference or "")
    return match.group(1) if match else None
