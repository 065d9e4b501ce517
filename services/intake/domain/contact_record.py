"""What a connector needs to reach the person safely, beside who they are: kept in the registry with the
referral, and read back only by whoever holds the person's case (service_layer/registry.py)."""

from __future__ import annotations

from typing import Any

from services.intake.domain.submission import ReferralSubmission

# The fields a connector's view shows, by name: what each read records in the audit trail.
VIEW_FIELDS = (
    "given_name", "family_name", "preferred_name", "date_of_birth", "age_years", "nhs_number", "phone", "email",
    "address", "postcode", "preferred_contact", "best_times", "do_not_contact_by", "safe_contact_instructions",
    "language", "interpreter_needed", "access_needs", "concerns", "reason", "consent", "referrer",
)


def contact_record(submission: ReferralSubmission) -> dict[str, Any]:
    """How and when to contact the person, what they need to be reached, why they were referred and by whom."""
    person, prefs, referrer = submission.person, submission.contact_preferences, submission.referrer
    return {
        "preferred_contact": prefs.preferred.value if prefs.preferred else None,
        "best_times": prefs.best_times,
        "do_not_contact_by": [method.value for method in prefs.do_not_contact_by],
        "language": person.language,
        "interpreter_needed": person.interpreter_needed,
        "access_needs": {"mobility": submission.mobility.value} if submission.mobility else {},
        "reason": submission.reason,
        "consent": {"to_contact": submission.consent.to_contact, "to_data_sharing": submission.consent.to_data_sharing},
        "referrer": {"organisation": referrer.organisation, "person_name": referrer.person_name,
                     "phone": referrer.phone, "email": referrer.email},
    }


def connector_view(person: dict[str, Any], contact: dict[str, Any] | None,
                   consents: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The person as the connector holding their case sees them: the registry's details and the contact
    record together (a referral from before the contact record was kept shows what the details hold), with
    the consent as it stands now and its history: a change on the case outranks what the referral said."""
    contact = contact or {}
    view = {name: person.get(name) for name in ("given_name", "family_name", "preferred_name", "date_of_birth",
                                                 "age_years", "nhs_number", "phone", "email", "address",
                                                 "postcode", "safe_contact_instructions", "concerns")}
    view.update({name: contact.get(name) for name in ("preferred_contact", "best_times", "language",
                                                      "interpreter_needed", "reason", "consent", "referrer")})
    view["do_not_contact_by"] = contact.get("do_not_contact_by", [])
    view["access_needs"] = contact.get("access_needs", {})
    if consents:
        now = consents[-1]["consent"]
        view["consent"] = {"to_contact": now.get("to_contact"), "to_data_sharing": now.get("to_data_sharing")}
        for name in ("do_not_contact_by", "preferred_contact"):
            if name in now:
                view[name] = now[name]
        view["consent_history"] = [{"consent": c["consent"], "at": c["at"], "source": c["source"]} for c in consents]
    return view
