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
    FIRST_CONTACT = "first_contact"
    CLOSED = "closed"
    DUPLICATE = "duplicate"


TRIAGE_STATUS = {
    "accepted": ReferralStatus.ACCEPTED,
    "declined": ReferralStatus.DECLINED,
    "redirected": ReferralStatus.REDIRECTED,
    "needs_review": ReferralStatus.IN_REVIEW,
}

# A referral in one of these is still being dealt with: a new one for the same person links to it.
OPEN_STATUSES = frozenset({
    ReferralStatus.RECEIVED, ReferralStatus.ACCEPTED, ReferralStatus.IN_REVIEW, ReferralStatus.WAITING,
    ReferralStatus.ASSIGNED, ReferralStatus.FIRST_CONTACT,
})

# What a self-referrer reads on the status page, in plain words.
PLAIN_WORDS = {
    ReferralStatus.RECEIVED: "We have your referral and will look at it soon.",
    ReferralStatus.ACCEPTED: "Your referral has been accepted. We are finding someone to support you.",
    ReferralStatus.IN_REVIEW: "A member of our team is looking at your referral.",
    ReferralStatus.WAITING: "Your referral has been accepted and you are on our waiting list.",
    ReferralStatus.ASSIGNED: "Someone has been chosen to support you and will contact you soon.",
    ReferralStatus.FIRST_CONTACT: "You are being supported.",
    ReferralStatus.DECLINED: "We cannot offer you this service. We will suggest other help.",
    ReferralStatus.REDIRECTED: "We have passed your referral to a service that can help more urgently.",
    ReferralStatus.CLOSED: "Your support has ended.",
    ReferralStatus.DUPLICATE: "We already have a referral for you, and have joined the two together.",
}

# What a referrer (the partner's staff) reads of a referral they made, in plain words.
FOR_REFERRER = {
    ReferralStatus.RECEIVED: "Received: the scheme has the referral and will look at it soon.",
    ReferralStatus.ACCEPTED: "Accepted: the scheme is finding someone to support this person.",
    ReferralStatus.IN_REVIEW: "Being looked at by a member of the scheme's team.",
    ReferralStatus.WAITING: "Accepted, and on the waiting list.",
    ReferralStatus.ASSIGNED: "Someone has been chosen to support this person and will contact them soon.",
    ReferralStatus.FIRST_CONTACT: "The person is being supported.",
    ReferralStatus.DECLINED: "Not accepted: the scheme will suggest other help.",
    ReferralStatus.REDIRECTED: "Passed to a service that can help more urgently.",
    ReferralStatus.CLOSED: "Support has ended.",
    ReferralStatus.DUPLICATE: "Joined to a referral the scheme already had for this person.",
}
