"""The code systems, identifier systems and extension URLs this FHIR channel reads and writes."""

from __future__ import annotations

SNOMED_CT = "http://snomed.info/sct"

# A ServiceRequest.code, when there is one, must be one of these SNOMED CT (UK edition) concepts:
# a referral to social prescribing. NHS England's guidance to social prescribing link workers names
# two national codes: 871731000000106 |Referral to social prescribing service (procedure)|, "when an
# individual accepts a referral", and 871711000000103 |Social prescribing declined (situation)|,
# "when an individual declines" (NHS England social prescribing coding guidance, as quoted in the
# London Transformation Partners' link worker FAQ). Only the first is a referral, so it is the one
# accepted here; the second is what the Task says of a referral the person declined. No other
# national social prescribing referral concept was found; add one here when it is published.
SOCIAL_PRESCRIBING_REFERRAL_CODES: frozenset[str] = frozenset({
    "871731000000106",  # Referral to social prescribing service (procedure)
})
SOCIAL_PRESCRIBING_DECLINED = "871711000000103"  # Social prescribing declined (situation)

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_ORGANISATION_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
PROGRAMME_SYSTEM = "https://referrals.example/programme"
REFERRAL_ID_SYSTEM = "https://referrals.example/referral-id"
REFERRAL_STATUS_SYSTEM = "https://referrals.example/referral-status"
REFERRAL_REASON_SYSTEM = "https://referrals.example/referral-reason"  # decline, redirect and closure reasons

EXT_UKCORE_ETHNIC_CATEGORY = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory"
EXT_UKCORE_NHS_COMMUNICATION = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSCommunication"
EXT_INTERPRETER_REQUIRED = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"
