"""The code systems, identifier systems and extension URLs this FHIR channel reads and writes."""

from __future__ import annotations

SNOMED_CT = "http://snomed.info/sct"

# ServiceRequest.code must carry one of these SNOMED CT concepts for the referral to be
# accepted. Extendable: add further (UK edition) concept ids here once confirmed.
SOCIAL_PRESCRIBING_REFERRAL_CODES: frozenset[str] = frozenset({
    "871731000000106",  # Referral to social prescribing service (procedure)
})

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_ORGANISATION_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
PROGRAMME_SYSTEM = "https://referrals.example/programme"
REFERRAL_ID_SYSTEM = "https://referrals.example/referral-id"
REFERRAL_STATUS_SYSTEM = "https://referrals.example/referral-status"

EXT_UKCORE_ETHNIC_CATEGORY = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory"
EXT_UKCORE_NHS_COMMUNICATION = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSCommunication"
EXT_INTERPRETER_REQUIRED = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"
