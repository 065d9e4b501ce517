"""FHIR R4 referral channel: BaRS / UK Core shaped referrals in, OperationOutcome and Task out.

A GP or NHS system sends either

* a Bundle of type ``message`` (a MessageHeader first, its ``focus`` the ServiceRequest) or
  ``transaction``, holding the ServiceRequest (the referral), the Patient, the requester
  (PractitionerRole / Practitioner / Organization with an ODS code) and a Consent; or
* a ServiceRequest on its own, with the Patient (and Consent) as contained resources.

``referral_from_fhir`` turns it into the canonical submission or raises ``FhirReferralError``
carrying every problem found (not only the first), each as a FHIR issue with a FHIRPath-like
location. ``operation_outcome`` renders those issues for the HTTP answer; ``task_for`` shows the
referrer the referral's progress as a FHIR Task.

The modules, by direction:

* ``parsing``: the body into ``fhir.resources`` R4B models, structural issues, references;
* ``inbound`` (with ``patient``, ``consent``, ``referrer`` and the ``elements`` readers): the
  referral into the canonical submission;
* ``outcome``: issues out as an OperationOutcome; ``task``: progress out as a Task;
* ``issues``: ``FhirIssue`` and ``FhirReferralError``; ``systems``: code and identifier systems.

Only the names below are this package's interface. No I/O. Diagnostics never echo personal data.
"""

from __future__ import annotations

from .inbound import referral_from_fhir
from .issues import FhirIssue, FhirReferralError
from .outcome import operation_outcome
from .systems import (
    EXT_INTERPRETER_REQUIRED,
    EXT_UKCORE_ETHNIC_CATEGORY,
    EXT_UKCORE_NHS_COMMUNICATION,
    NHS_NUMBER_SYSTEM,
    ODS_ORGANISATION_SYSTEM,
    PROGRAMME_SYSTEM,
    REFERRAL_ID_SYSTEM,
    REFERRAL_STATUS_SYSTEM,
    SNOMED_CT,
    SOCIAL_PRESCRIBING_REFERRAL_CODES,
)
from .task import TASK_STATUS, task_for

__all__ = [
    "EXT_INTERPRETER_REQUIRED",
    "EXT_UKCORE_ETHNIC_CATEGORY",
    "EXT_UKCORE_NHS_COMMUNICATION",
    "NHS_NUMBER_SYSTEM",
    "ODS_ORGANISATION_SYSTEM",
    "PROGRAMME_SYSTEM",
    "REFERRAL_ID_SYSTEM",
    "REFERRAL_STATUS_SYSTEM",
    "SNOMED_CT",
    "SOCIAL_PRESCRIBING_REFERRAL_CODES",
    "TASK_STATUS",
    "FhirIssue",
    "FhirReferralError",
    "operation_outcome",
    "referral_from_fhir",
    "task_for",
]
