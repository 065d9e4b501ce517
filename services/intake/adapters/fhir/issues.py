"""Problems with a FHIR referral, each a FHIR issue located by a FHIRPath-like expression.

Diagnostics never echo personal data values (``safe_message``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

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


def error(code: str, expression: str | None, diagnostics: str) -> FhirIssue:
    return FhirIssue("error", code, expression, diagnostics)


class IssueLog:
    """The issues found while mapping one referral, in the order they were found.

    ``unreadable`` names the resource types of entries already reported as not FHIR R4: a
    ``missing`` resource of such a type is a consequence of that issue, not a second one.
    """

    def __init__(self, issues: Iterable[FhirIssue] = (), unreadable: Iterable[str] = ()) -> None:
        self.issues: list[FhirIssue] = list(issues)
        self.unreadable = frozenset(unreadable)

    def problem(self, code: str, expression: str | None, diagnostics: str) -> None:
        self.issues.append(error(code, expression, diagnostics))

    def missing(self, resource_type: str, diagnostics: str) -> None:
        if resource_type not in self.unreadable:
            self.problem("required", resource_type, diagnostics)

    def has_errors(self) -> bool:
        return any(issue.severity == "error" for issue in self.issues)


def safe_message(message: str, value: Any) -> str:
    # fhir.resources messages rarely carry the offending value; make sure none does.
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = str(value)
        if len(text) >= 3 and text in message:
            message = message.replace(text, "…")
    return message


# Pydantic's error types, in FHIR's words: what the element must be.
_MUST_BE = {
    "list_type": "must be a JSON array (the element repeats in FHIR R4)",
    "string_type": "must be a JSON string",
    "bool_type": "must be true or false", "bool_parsing": "must be true or false",
    "int_type": "must be a whole number", "int_parsing": "must be a whole number", "int_from_float": "must be a whole number",
    "float_type": "must be a number", "float_parsing": "must be a number",
    "decimal_type": "must be a number", "decimal_parsing": "must be a number",
    "dict_type": "must be a JSON object", "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "extra_forbidden": "is not an element FHIR R4 defines here",
}


def in_plain_words(element: str, error_type: str, message: str) -> str:
    """One validation error as FHIR words, never a Python type or class name."""
    if error_type == "missing" or error_type.endswith(".missing"):
        return f"{element} is required (cardinality 1..1 in FHIR R4) and is missing"
    if error_type in _MUST_BE:
        return f"{element} {_MUST_BE[error_type]}"
    lowered = message.lower()
    if "datetime" in lowered or "instant" in lowered:
        return f"{element} is not a valid FHIR dateTime (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss+zz:zz)"
    if "date" in lowered:
        return f"{element} is not a valid FHIR date (YYYY, YYYY-MM or YYYY-MM-DD)"
    if error_type == "value_error" and "<class" not in message and "type" not in lowered:
        text = message.removeprefix("Value error, ").strip().rstrip(".")
        return f"{element}: {text}"
    return f"{element} does not have the form FHIR R4 defines for it"
