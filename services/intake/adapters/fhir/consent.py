"""Whether the person consents to the referral: an active, permitting Consent about the Patient,
in the Bundle, contained, or referenced from ServiceRequest.supportingInfo (a reference to a
Consent the sender holds counts, as BaRS allows), or, where the referral carries no Consent at all,
the referrer's attestation when its partner is configured to attest. Each problem is an issue."""

from __future__ import annotations

from .issues import IssueLog
from .parsing import Index, Located, reference_type


def consented(
    index: Index, sr: Located, patient: Located | None, log: IssueLog, *, referrer_attests: bool = False,
) -> tuple[bool, bool]:
    """(consented, attested by the referrer rather than shown by a Consent)."""
    consents: dict[str, Located] = {}
    asserted_elsewhere = False
    for info in sr.resource.supportingInfo or []:
        target = index.resolve(info, sr)
        if target is not None:
            if target.type == "Consent":
                consents[target.path] = target
        elif reference_type(info) == "Consent":
            # A reference to a Consent the sender holds (not sent with the referral): the
            # sender explicitly asserts consent, as BaRS allows.
            asserted_elsewhere = True
    for located in index.of_type("Consent"):
        consents.setdefault(located.path, located)
    for j, item in enumerate(sr.resource.contained or []):
        if item.get_resource_type() == "Consent":
            consents.setdefault(f"{sr.path}.contained[{j}]", Located(item, f"{sr.path}.contained[{j}]"))
    valid = []
    problems: list[tuple[str, str]] = []
    for located in consents.values():
        consent = located.resource
        if patient is not None and consent.patient is not None:
            about = index.resolve(consent.patient, located) or index.resolve(consent.patient, sr)
            if about is not None and about.path != patient.path:
                continue  # someone else's consent
        if consent.status != "active":
            problems.append((f"{located.path}.status", "the Consent is not active"))
        elif consent.provision is not None and consent.provision.type == "deny":
            problems.append((f"{located.path}.provision.type", "the Consent denies rather than permits"))
        else:
            valid.append(located)
    if valid or asserted_elsewhere:
        return True, False
    if not consents and referrer_attests:
        return True, True  # a Consent that is inactive or denies is never overridden by attestation
    for expression, diagnostics in problems:
        log.problem("required", expression, diagnostics)
    if not problems:
        log.missing(
            "Consent",
            "no Consent to the referral: send an active Consent (or reference one from ServiceRequest.supportingInfo)",
        )
    return False, False
