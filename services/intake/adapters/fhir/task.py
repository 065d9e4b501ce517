"""A referral's progress out as a FHIR R4 Task, for the referrer, to closure: Task.status, a coded
businessStatus (our status, and the SNOMED CT social prescribing concept where there is one) and
the reason coded in statusReason, so a GP system can record the outcome.

Statuses, coded reasons (in words) and times only: never clinical or case detail.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from .systems import (
    REFERRAL_ID_SYSTEM,
    REFERRAL_REASON_SYSTEM,
    REFERRAL_STATUS_SYSTEM,
    SNOMED_CT,
    SOCIAL_PRESCRIBING_DECLINED,
    SOCIAL_PRESCRIBING_REFERRAL_CODES,
)

_REFERRAL = next(iter(sorted(SOCIAL_PRESCRIBING_REFERRAL_CODES)))
# Our status -> the SNOMED CT social prescribing concept a GP system records for it, where one
# exists: the referral accepted (the person taken on) or declined. Statuses with none carry ours only.
_SNOMED_FOR_STATUS: dict[str, tuple[str, str]] = {
    "accepted": (_REFERRAL, "Referral to social prescribing service"),
    "waiting": (_REFERRAL, "Referral to social prescribing service"),
    "assigned": (_REFERRAL, "Referral to social prescribing service"),
    "first_contact": (_REFERRAL, "Referral to social prescribing service"),
    "closed": (_REFERRAL, "Referral to social prescribing service"),
    "declined": (SOCIAL_PRESCRIBING_DECLINED, "Social prescribing declined"),
}

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
            "coding": [{"system": REFERRAL_STATUS_SYSTEM, "code": status, "display": _words(status)}]
            + ([{"system": SNOMED_CT, "code": _SNOMED_FOR_STATUS[status][0], "display": _SNOMED_FOR_STATUS[status][1]}]
               if status in _SNOMED_FOR_STATUS else []),
            "text": _words(status),
        },
        "intent": "order",
        "code": {"coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill"}]},
        "authoredOn": _instant(referral["received_at"]),
        "lastModified": _instant(steps[-1]["at"] if steps else referral["received_at"]),
    }
    if reason_text:
        task["statusReason"] = {"text": reason_text}
        if words:  # the closure, decline or redirect reason, coded so a GP system can record it
            task["statusReason"]["coding"] = [{"system": REFERRAL_REASON_SYSTEM, "code": code, "display": words}]
        elif fixed_reason:
            task["statusReason"]["coding"] = [{"system": REFERRAL_REASON_SYSTEM, "code": status, "display": fixed_reason}]
    if referral.get("partner_referral_id"):
        task["focus"] = {"type": "ServiceRequest", "identifier": {"value": str(referral["partner_referral_id"])}}
    started = next((s["at"] for s in steps if s["status"] in ("assigned", "first_contact")), None)
    ended = next((s["at"] for s in reversed(steps) if s["status"] == "closed"), None) if status == "closed" else None
    if started or ended:
        period = {"start": _instant(started) if started else None, "end": _instant(ended) if ended else None}
        task["executionPeriod"] = {k: v for k, v in period.items() if v is not None}
    return task
