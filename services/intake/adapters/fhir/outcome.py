"""Issues out as a FHIR OperationOutcome (the answer to a rejected referral)."""

from __future__ import annotations

from typing import Any

from .issues import FhirIssue


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
