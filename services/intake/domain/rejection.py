"""A refused submission as coordinators see it: when, by which channel, from which partner, and what was wrong.

The reasons are what intake's parsers said (field + problem), written without the values sent; but the field
is named by the sender when it is a key we did not expect ("Extra inputs are not permitted"), and a sender
can put anything in a key, a name included. So such a field is never shown, and any other only when it reads
like a field path; otherwise it is "a field we did not expect". No I/O.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.intake.domain.partner import SYSTEM_PARTNERS

# Lower-case words joined by underscores, dots, list indexes (items.0, name[0]), hyphens or FHIR-like paths
# (Patient.name[0].given): how our own field names and FHIR expressions read. A capitalised word, a space,
# an @ or a digit run of a phone number's length does not match, so a name or a number keyed in is not shown.
_FIELD_PATH = re.compile(r"^(?:<[a-z ]{1,20}>|[A-Za-z][a-z0-9_-]{0,40}(?:(?:\.|\[)[a-z0-9_-]{1,40}\]?){0,8})$")
UNEXPECTED_FIELD = "a field we did not expect"
# What became of a refusal once someone looked at it: coded, so the list stays free of personal data.
FOLLOW_UPS = ("partner_told", "no_action_needed")
MAX_PROBLEM = 300


def plain_field(field: str | None, problem: str = "") -> str:
    if not field:
        return "the submission"
    if problem.startswith("Extra inputs") or re.search(r"\d{5,}", field) or not _FIELD_PATH.match(field):
        return UNEXPECTED_FIELD
    return field


def plain_reasons(errors: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    """What was wrong, field by field, safe to show to staff who may not read the submission itself."""
    reasons = []
    for e in errors or []:
        problem = str(e.get("problem") or "")[:MAX_PROBLEM]
        reasons.append({"field": plain_field(str(e.get("field") or e.get("column") or ""), problem),
                        "problem": problem})
    return reasons


@dataclass(frozen=True)
class RejectedSubmission:
    """A submission intake refused, as it keeps it (its body stays sealed)."""

    id: uuid.UUID
    received_at: datetime
    channel: str
    partner_id: str | None
    errors: list[dict[str, Any]]
    batch_id: uuid.UUID | None = None
    followed_up: str | None = None  # one of FOLLOW_UPS; None while nobody has
    followed_up_by: str | None = None
    followed_up_at: datetime | None = None

    @property
    def from_platform(self) -> bool:
        """Through the platform's own channels (the form, the phone, outreach) or an unauthenticated sender:
        no partner's programmes say whose it is."""
        return self.partner_id is None or self.partner_id in SYSTEM_PARTNERS

    def summary(self) -> dict[str, Any]:
        return {"id": str(self.id), "received_at": self.received_at, "channel": self.channel,
                "partner_id": self.partner_id, "batch_id": str(self.batch_id) if self.batch_id else None,
                "reasons": plain_reasons(self.errors), "followed_up": self.followed_up,
                "followed_up_by": self.followed_up_by, "followed_up_at": self.followed_up_at}
