"""A coordinator's triage decision as triage takes it: the words for each outcome and what the form must hold."""

from __future__ import annotations

import re
from typing import Any

DECISIONS = {"accepted": "Accept: the person gets a connector", "declined": "Decline: not for this programme",
             "redirected": "Redirect: another service must act first"}
_CODE = re.compile(r"^[a-z0-9_]{1,64}$")


def read_decision(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    decision = str(values.get("decision") or "")
    if decision not in DECISIONS:
        errors["decision"] = "Choose a decision"
    note = str(values.get("note") or "").strip()
    if len(note) < 3:
        errors["note"] = "Say why, for the record"
    elif len(note) > 2000:
        errors["note"] = "Say why in 2000 characters or fewer"
    body: dict[str, Any] = {"decision": decision, "note": note}
    reason = str(values.get("reason_code") or "").strip().lower().replace(" ", "_")
    if decision in ("declined", "redirected"):
        if not _CODE.match(reason):
            errors["reason_code"] = "Give a short reason code in lower case, like out_of_area"
        body["reason_code"] = reason
    signposting = str(values.get("signposting") or "").strip()
    if signposting:
        if len(signposting) > 1000:
            errors["signposting"] = "Say where to in 1000 characters or fewer"
        body["signposting"] = signposting
    return body, errors
