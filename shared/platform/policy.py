"""One policy table: who may call each route of every service.

`require_staff()` reads the roles a route needs from here, never from the route, so the table is the one
place a reviewer reads to know who can do what; a route with no row is refused (fail closed), and
tests/unit/test_policy_table.py fails on any route of any app without a row, or a row without a route.
Which offers and cases a worker may touch (its own only) is the service layer's business on top of this
(services/caseload/service_layer/ownership.py): a role opens the door, ownership picks the rooms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Access:
    """Who may call a route: anyone, a partner by API key, or staff by bearer token holding one of `roles`."""

    who: Literal["public", "partner", "staff"]
    roles: frozenset[str] = frozenset()
    why: str = ""
    # Also open to the deployment's metrics scraper (METRICS_SCRAPE_TOKEN): Prometheus holds no staff account.
    scraper: bool = False

    def admits(self, roles: frozenset[str]) -> bool:
        return self.who == "staff" and bool(self.roles & roles)


def public(why: str) -> Access:
    return Access("public", why=why)


PARTNER = Access("partner")
# A partner's own routes that its staff may also use, signed in as a referrer bound to that partner (the token's
# `ptn`): what they see and send is scoped to that partner exactly as its API key would be.
PARTNER_OR_REFERRER = Access("partner", frozenset({"referrer"}), why="the partner's key, or its referrers")


def staff(*roles: str) -> Access:
    return Access("staff", frozenset(roles))


# Role groups, in the domain's words.
ADMIN = ("admin",)
COORDINATE = ("admin", "coordinator")
# Workers act on their own offers and cases (ownership in the service layer); coordinators on any.
CASEWORK = ("admin", "coordinator", "connector", "volunteer")
WORKERS = ("connector", "volunteer")
# Who reads the audit trail of personal data.
AUDIT = ("admin", "auditor")
# Who reads across workers: the programme's workers, the waiting list.
OVERSEE = ("admin", "coordinator", "manager")
# Who reads cases: workers (their own only), coordinators, and auditors (the case history is the trail).
CASE_READERS = (*CASEWORK, "auditor")
# Who reads triage decisions: those who make and review them, and auditors.
DECISION_READERS = ("admin", "coordinator", "auditor")
# Who runs the platform: health, metrics, dead letters.
OPERATE = ("admin", "operator")
# Every staff role (shared.platform.auth.STAFF_ROLES, which imports this module, so spelled out here).
STAFF = ("volunteer", "connector", "coordinator", "manager", "auditor", "operator", "admin", "referrer")
# Reports: counts and outcomes for managers and commissioners, and the coordinators who run the programme.
REPORTS = ("admin", "coordinator", "manager")

_PLATFORM: dict[tuple[str, str], Access] = {
    ("GET", "/health/live"): public("the orchestrator's liveness probe"),
    ("GET", "/health/ready"): public("the orchestrator's readiness probe"),
    # Counts and timings only, yet they tell how busy the scheme is and where it fails: operators' business,
    # and the scraper's, by the deployment's scrape token.
    ("GET", "/metrics"): Access("staff", frozenset(OPERATE), why="health and metrics are operators'", scraper=True),
    ("GET", "/openapi.json"): public("the API's own description"),
    ("GET", "/asyncapi.json"): public("the events' own description"),
    ("GET", "/asyncapi.yaml"): public("the events' own description"),
    ("GET", "/docs"): public("API reference pages"),
    ("GET", "/redoc"): public("API reference pages"),
    ("GET", "/docs/static/swagger-ui-bundle.js"): public("API reference pages"),
    ("GET", "/docs/static/swagger-ui.css"): public("API reference pages"),
    ("GET", "/docs/static/redoc.standalone.js"): public("API reference pages"),
    ("GET", "/docs/static/favicon.png"): public("API reference pages"),
    # Dead letters (shared/platform/dead_letter_routes.py): operators list, replay and discard them; the
    # payload can name a person, so reading it is an admin's alone (and every read is logged).
    ("GET", "/v1/dead-letters"): staff(*OPERATE),
    ("GET", "/v1/dead-letters/{dead_letter_id}"): staff(*OPERATE),
    ("GET", "/v1/dead-letters/{dead_letter_id}/payload"): staff(*ADMIN),
    ("POST", "/v1/dead-letter-replays"): staff(*OPERATE),
    ("POST", "/v1/dead-letters/{dead_letter_id}/replay"): staff(*OPERATE),
    ("POST", "/v1/dead-letters/{dead_letter_id}/discard"): staff(*OPERATE),
}

POLICY: dict[str, dict[tuple[str, str], Access]] = {
    "intake": {
        **_PLATFORM,
        ("POST", "/v1/referrals"): PARTNER_OR_REFERRER,
        ("GET", "/v1/referrals/{referral_id}"): PARTNER_OR_REFERRER,
        ("GET", "/v1/referrals"): PARTNER_OR_REFERRER,
        ("GET", "/v1/partner-referrals"): PARTNER_OR_REFERRER,
        ("POST", "/v1/referral-batches"): PARTNER,
        ("POST", "/fhir/Bundle"): PARTNER,
        ("POST", "/fhir/ServiceRequest"): PARTNER,
        ("GET", "/fhir/Task/{referral_id}"): PARTNER,
        ("POST", "/v1/phone-referrals"): staff(*CASEWORK),
        ("POST", "/v1/outreach-contacts"): staff(*CASEWORK),
        ("POST", "/v1/outreach-contacts/{contact_id}/referral"): staff(*CASEWORK),
        ("GET", "/v1/match-reviews"): staff(*COORDINATE),
        # Both records' identifying details, side by side: read for the review, and audited as such.
        ("GET", "/v1/match-reviews/{review_id}"): staff(*COORDINATE),
        ("POST", "/v1/match-reviews/{review_id}/decision"): staff(*COORDINATE),
        # The person registry: the worker holding a case (ownership in the service layer) or its coordinator.
        ("GET", "/v1/cases/{case_id}/person"): staff(*COORDINATE, *WORKERS),
        # Correcting how to reach the person: the same people as reading (Reader.require_may_change), audited.
        ("PATCH", "/v1/cases/{case_id}/person"): staff(*COORDINATE, *WORKERS),
        # Finds referrals by reference, name, NHS number, postcode, partner or status, in the caller's
        # programmes; each person shown is audited.
        ("GET", "/v1/referral-search"): staff(*COORDINATE),
        ("GET", "/v1/audit-trail"): staff(*AUDIT),
        ("GET", "/v1/audit-trail/verification"): staff(*AUDIT),
        # Refused submissions: the list (no personal data) for coordinators following them up and operators;
        # one submission as sent can name a person, so coordinators alone open it (audited).
        ("GET", "/v1/rejected-submissions"): staff(*COORDINATE, "operator"),
        ("GET", "/v1/rejected-submissions/{submission_id}"): staff(*COORDINATE),
        ("POST", "/v1/rejected-submissions/{submission_id}/follow-up"): staff(*COORDINATE),
        # Erasure cannot be undone: an administrator's, on a request the scheme has checked.
        ("POST", "/v1/erasures"): staff(*ADMIN),
        ("POST", "/v1/partners"): staff(*ADMIN),
        ("POST", "/v1/partners/{partner_id}/api-keys"): staff(*ADMIN),
        ("PUT", "/v1/partners/{partner_id}/webhook"): staff(*ADMIN),
        ("PUT", "/v1/partners/{partner_id}/csv-mapping"): staff(*ADMIN),
        ("PUT", "/v1/partners/{partner_id}/programmes"): staff(*ADMIN),
        ("PUT", "/v1/programmes/{programme_id}"): staff(*ADMIN),
        ("GET", "/self-referral/static/nhsuk-frontend.min.css"): public("the self-referral form's stylesheet"),
        ("GET", "/self-referral/static/app.css"): public("the self-referral form's stylesheet"),
        ("GET", "/self-referral/{programme_id}"): public("people refer themselves"),
        ("POST", "/self-referral/{programme_id}"): public("people refer themselves"),
        ("GET", "/self-referral/{programme_id}/confirmation"): public("people refer themselves"),
        # Answers only to the reference and date of birth the person was given, or holds.
        ("GET", "/self-referral/{programme_id}/status"): public("a person follows their own referral"),
    },
    "triage": {
        # Who opened or wrote whose sealed staff notes (shared/platform/audit_http.py).
        ("GET", "/v1/audit-trail"): staff(*AUDIT),
        ("GET", "/v1/audit-trail/verification"): staff(*AUDIT),
        **_PLATFORM,
        ("GET", "/v1/decisions/{referral_id}"): staff(*DECISION_READERS),
        ("GET", "/v1/reviews"): staff(*COORDINATE),
        ("POST", "/v1/reviews/{review_id}/claim"): staff(*COORDINATE),
        ("POST", "/v1/reviews/{review_id}/decision"): staff(*COORDINATE),
        ("POST", "/v1/decisions/{referral_id}/override"): staff(*COORDINATE),
        ("POST", "/v1/rulesets"): staff(*ADMIN),
        ("POST", "/v1/rulesets/what-if"): staff(*COORDINATE),
        ("GET", "/v1/reports/appropriateness"): staff(*REPORTS),
    },
    "caseload": {
        # Who opened or wrote whose sealed staff notes (shared/platform/audit_http.py).
        ("GET", "/v1/audit-trail"): staff(*AUDIT),
        ("GET", "/v1/audit-trail/verification"): staff(*AUDIT),
        **_PLATFORM,
        ("POST", "/v1/workers"): staff(*COORDINATE),
        ("PATCH", "/v1/workers/{worker_id}"): staff(*COORDINATE),
        ("GET", "/v1/workers"): staff(*OVERSEE),
        ("GET", "/v1/workers/{worker_id}/offers"): staff(*CASEWORK),
        ("POST", "/v1/offers/{offer_id}/accept"): staff(*CASEWORK),
        ("POST", "/v1/offers/{offer_id}/decline"): staff(*CASEWORK),
        ("GET", "/v1/waiting-list"): staff(*OVERSEE),
        # Why offers were declined, counted by reason and worker: what the capacity page shows coordinators.
        ("GET", "/v1/reports/offer-declines"): staff(*OVERSEE),
        ("GET", "/v1/programmes/{programme_id}/settings"): staff(*OVERSEE),
        ("PUT", "/v1/programmes/{programme_id}/settings"): staff(*COORDINATE),
        ("GET", "/v1/cases"): staff(*CASE_READERS),
        ("GET", "/v1/cases/{case_id}"): staff(*CASE_READERS),
        ("GET", "/v1/cases/{case_id}/events"): staff(*CASE_READERS),
        ("POST", "/v1/cases/{case_id}/contacts"): staff(*CASEWORK),
        # The worker holding the case (ownership in the service layer) or a coordinator records what the person said.
        ("POST", "/v1/cases/{case_id}/consent"): staff(*CASEWORK),
        ("POST", "/v1/cases/{case_id}/goals"): staff(*CASEWORK),
        ("POST", "/v1/cases/{case_id}/goals/{goal_id}/progress"): staff(*CASEWORK),
        ("POST", "/v1/cases/{case_id}/signposts"): staff(*CASEWORK),
        ("POST", "/v1/cases/{case_id}/signposts/{signpost_id}/take-up"): staff(*CASEWORK),
        ("POST", "/v1/cases/{case_id}/unmet-needs"): staff(*CASEWORK),
        ("POST", "/v1/cases/{case_id}/review"): staff(*CASEWORK),
        ("POST", "/v1/cases/{case_id}/extend"): staff(*CASEWORK),
        ("POST", "/v1/cases/{case_id}/hold"): staff(*CASEWORK),
        ("POST", "/v1/cases/{case_id}/resume"): staff(*CASEWORK),
        # Moving a case between workers is a coordinator's decision, never the worker's own.
        ("POST", "/v1/cases/{case_id}/transfer"): staff(*COORDINATE),
        ("POST", "/v1/cases/{case_id}/measures"): staff(*CASEWORK),
        ("POST", "/v1/cases/{case_id}/close"): staff(*CASEWORK),
    },
    "outcomes": {
        **_PLATFORM,
        ("GET", "/v1/outcomes/cases/{case_id}"): staff(*REPORTS, "auditor"),
        ("GET", "/v1/reports/outcomes"): staff(*REPORTS),
        ("GET", "/v1/reports/loneliness"): staff(*REPORTS),
        ("GET", "/v1/reports/funnel"): staff(*REPORTS),
        ("GET", "/v1/reports/completeness"): staff(*REPORTS),
        ("GET", "/v1/reports/unmet-needs"): staff(*REPORTS),
    },
    "identity": {
        **_PLATFORM,
        # Accounts decide who holds which role everywhere: the admin's alone.
        ("POST", "/v1/accounts"): staff(*ADMIN),
        ("GET", "/v1/accounts"): staff(*ADMIN),
        ("GET", "/v1/accounts/{account_id}"): staff(*ADMIN),
        ("PATCH", "/v1/accounts/{account_id}"): staff(*ADMIN),
        ("POST", "/v1/accounts/{account_id}/password"): staff(*ADMIN),
        # Wrong passwords and tokens are counted per account and address, and locked out (429).
        ("POST", "/v1/sessions"): public("staff sign in with their email and password"),
        ("POST", "/v1/sessions/oidc"): public("staff sign in with their organisation's identity provider"),
        # Anyone signed in may end their own session (the token's sid), whatever their role.
        ("DELETE", "/v1/sessions/current"): staff(*sorted(STAFF)),
    },
}


def access_for(service: str, method: str, path: str) -> Access | None:
    """The row for a route (its path template as declared, e.g. /v1/cases/{case_id}); None if it has none."""
    method = "GET" if method == "HEAD" else method
    return POLICY.get(service, {}).get((method, path))
