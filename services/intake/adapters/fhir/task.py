"""A referral's progress out as a FHIR R4 Task, for the referrer.

Statuses, coded reasons (in words) and times only: never clinical or case detail.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from .systems import REFERRAL_ID_SYSTEM, REFERRAL_STATUS_SYSTEM

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


def _words(code: str) -> str:
    return code.replace("_", " ").replace("-", " ").strip()


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
        period = {"start": _instant(started) if started else None, "end": _instant(ended) if ended else None}
        task["executionPeriod"] = {k: v for k, v in period.items() if v is not None}
    return task
