"""Every topic name, in one place.

A topic carries the events of one aggregate kind; events are keyed by the
aggregate id so one referral's (or case's) events stay in order on one partition.
"""

from __future__ import annotations

from dataclasses import dataclass

REFERRALS = "intake.referrals"
# Partners that prefer the broker publish canonical referrals here (authenticated per message).
PARTNER_SUBMISSIONS = "intake.partner-submissions"
# Each partner's referral status events go to a topic of its own, so broker ACLs can keep
# one referrer from reading another's: intake.referral-status.<partner id>.
REFERRAL_STATUS = "intake.referral-status"
TRIAGE_DECISIONS = "triage.decisions"
CASES = "caseload.cases"
# Offers to workers, keyed by worker id: each worker (or their app) follows their own key.
OFFERS = "caseload.offers"
# Sign-in sessions of staff accounts (identity): revocations, keyed by account id; every service reads them.
SESSIONS = "identity.sessions"
# People erased from the registry (intake), keyed by the pseudonymous person id: every service that keeps
# anything sealed for a person destroys its key for them on it (shared/schemas/events/erasure.py).
ERASURES = "intake.erasures"
# One record at offset 0 names the broker's epoch (see shared.platform.messaging.epoch).
BROKER_EPOCH = "platform.broker-epoch"

EVENT_TOPICS = (REFERRALS, PARTNER_SUBMISSIONS, TRIAGE_DECISIONS, CASES, OFFERS, SESSIONS, ERASURES)
# Every service, for the subscriptions the platform itself makes in each (session revocations).
SERVICE_NAMES = ("intake", "triage", "caseload", "outcomes", "identity")
# Four, the count the embedded broker (Tansu) gives a topic a client's metadata request creates. A memory-
# only broker restarted under running services has lost every topic, and the clients' metadata requests
# re-create them before `ensure_topics` can: with any other count here, producers still holding the old
# metadata publish to partitions the re-created topic's consumers are never assigned, and those events
# are stranded (measured by `python -m referrals.chaos.rejoin_probe`; docs/recovery.md). Enough for four
# replicas of a consumer; a durable Kafka with auto-creation off may be given more by its operator.
PARTITIONS = 4

# The one service allowed to publish each of our event topics: consumers trust an envelope on a
# topic only if its owner signed it (shared.platform.messaging.signing), and every service needs
# each owner's public key. A new producer is one line here (e.g. identity's sessions topic).
# PARTNER_SUBMISSIONS is absent on purpose: partners write it, each record carries its own API key.
TOPIC_OWNERS = {
    REFERRALS: "intake",
    REFERRAL_STATUS: "intake",  # and every intake.referral-status.<partner id> under it
    TRIAGE_DECISIONS: "triage",
    CASES: "caseload",
    OFFERS: "caseload",
    SESSIONS: "identity",
    ERASURES: "intake",
}
PRODUCERS = frozenset(TOPIC_OWNERS.values())


def topic_owner(topic: str) -> str | None:
    """The service that owns a topic (base name, no prefix); None for topics no service owns."""
    if topic in TOPIC_OWNERS:
        return TOPIC_OWNERS[topic]
    if topic.startswith(f"{REFERRAL_STATUS}."):
        return TOPIC_OWNERS[REFERRAL_STATUS]
    return None


def consumer_group(service: str, topic: str) -> str:
    """One consumer group per (service, topic), e.g. 'triage.intake.referrals'."""
    return f"{service}.{topic}"


# Every subscription in the system; the runtime creates a dead-letter topic for each.
CONSUMER_GROUPS = (
    consumer_group("intake", PARTNER_SUBMISSIONS),
    consumer_group("triage", REFERRALS),
    consumer_group("caseload", TRIAGE_DECISIONS),
    consumer_group("caseload", REFERRALS),  # corrected details only (referral.details_corrected)
    consumer_group("intake", TRIAGE_DECISIONS),
    consumer_group("intake", CASES),
    consumer_group("outcomes", CASES),
    consumer_group("outcomes", REFERRALS),
    consumer_group("outcomes", TRIAGE_DECISIONS),
    # Each service's own copy of the revoked sessions (shared/platform/sessions.py).
    *(consumer_group(service, SESSIONS) for service in SERVICE_NAMES),
    # Each service that seals anything for a person destroys its own data key for them (issue 14).
    *(consumer_group(service, ERASURES) for service in ("caseload", "outcomes", "triage")),
)


def referral_status_topic(partner_id: str) -> str:
    return f"{REFERRAL_STATUS}.{partner_id}"


def dead_letter_topic(consumer_group: str) -> str:
    """Each consumer group dead-letters to its own topic, so a DLT names who failed."""
    return f"{consumer_group}.dead-letter"


@dataclass(frozen=True)
class Topics:
    """Topic names with the deployment's prefix applied."""

    prefix: str = ""

    def name(self, base: str) -> str:
        return f"{self.prefix}{base}"

    @property
    def referrals(self) -> str:
        return self.name(REFERRALS)

    @property
    def partner_submissions(self) -> str:
        return self.name(PARTNER_SUBMISSIONS)

    def referral_status(self, partner_id: str) -> str:
        return self.name(referral_status_topic(partner_id))

    @property
    def triage_decisions(self) -> str:
        return self.name(TRIAGE_DECISIONS)

    @property
    def cases(self) -> str:
        return self.name(CASES)

    @property
    def offers(self) -> str:
        return self.name(OFFERS)

    @property
    def sessions(self) -> str:
        return self.name(SESSIONS)

    @property
    def erasures(self) -> str:
        return self.name(ERASURES)

    @property
    def broker_epoch(self) -> str:
        return self.name(BROKER_EPOCH)

    def dead_letter(self, consumer_group: str) -> str:
        return self.name(dead_letter_topic(consumer_group))

    def base(self, name: str) -> str:
        """The base topic name of a prefixed one (the inverse of `name`)."""
        return name[len(self.prefix):] if self.prefix and name.startswith(self.prefix) else name

    def all_event_topics(self) -> list[str]:
        return [self.name(t) for t in EVENT_TOPICS]
