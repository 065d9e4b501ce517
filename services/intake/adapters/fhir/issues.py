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
    """The issues found while mapping one referral, in the order they were found."""

    def __init__(self) -> None:
        self.issues: list[FhirIssue] = []

    def problem(self, code: str, expression: str | None, diagnostics: str) -> None:
        self.issues.append(error(code, expression, diagnostics))

    def has_errors(self) -> bool:
        return any(issue.severity == "error" for issue in self.issues)


def safe_message(message: str, value: Any) -> str:
    # fhir.resources messages rarely carry the offending value; make sure none does.
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = str(value)
        if len(text) >= 3 and text in message:
            message = message.replace(text, "…")
    return message
