"""A referral's status as the referrer sees it, derived from the other services' events."""

from __future__ import annotations

from enum import StrEnum


class ReferralStatus(StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REDIRECTED = "redirected"
    IN_REVIEW = "in_review"
    WAITING = "waiting"
    ASSIGNED = "assigned"
    CLOSED = "closed"


TRIAGE_STATUS = {
    "accepted": ReferralStatus.ACCEPTED,
    "declined": ReferralStatus.DECLINED,
    "redirected": ReferralStatus.REDIRECTED,
    "needs_review": ReferralStatus.IN_REVIEW,
}
