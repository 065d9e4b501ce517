"""Two-level referral source codes, as recorded in the British Red Cross delivery data."""

from __future__ import annotations

SOURCES: dict[str, frozenset[str]] = {
    "statutory": frozenset({
        "nhs_gp", "nhs_hospital", "nhs_community_health", "nhs_mental_health", "nhs_other",
        "local_authority", "social_services", "housing", "police", "fire_service", "statutory_other",
    }),
    "self": frozenset({"self_referral", "phone", "web_form"}),
    "third_sector": frozenset({"charity", "community_group", "faith_group", "housing_association", "third_sector_other"}),
    "provider_own_service": frozenset({"outreach", "other_programme", "provider_other"}),
    "family_friends": frozenset({"family", "friend", "neighbour"}),
    "private_sector": frozenset({"pharmacy", "care_provider", "private_other"}),
    "national_government": frozenset({"dwp", "national_government_other"}),
    "other": frozenset({"other"}),
    "unknown": frozenset({"unknown"}),
}


def check_source(category: str, subcategory: str | None) -> None:
    if category not in SOURCES:
        raise ValueError(f"unknown source category; one of: {', '.join(sorted(SOURCES))}")
    if subcategory is not None and subcategory not in SOURCES[category]:
        raise ValueError(f"unknown subcategory for {category}; one of: {', '.join(sorted(SOURCES[category]))}")
