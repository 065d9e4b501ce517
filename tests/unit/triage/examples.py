"""A small programme's rule sets and referrals to it, written for these tests (not the shipped ones)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from services.triage.bootstrap import TriageDependencies
from services.triage.domain.ruleset import RuleSet
from services.triage.service_layer import handlers
from services.triage.service_layer.rulebook import RuleBook
from shared.schemas.envelope import Envelope, new_envelope
from shared.schemas.events.common import ReferralSource
from shared.schemas.events.referral import Consent, PersonDetails, ReferralProfile, ReferralReceived
from tests.unit.triage.fakes import FakeClock, FakeTriageUnitOfWork

PROGRAMME = "riverside"
JANUARY = datetime(2026, 1, 1, tzinfo=UTC)
MID_JANUARY = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
FEBRUARY = datetime(2026, 2, 1, tzinfo=UTC)


def ruleset(version: str = "1", effective_from: datetime = JANUARY, min_age: int = 60, **changes: Any) -> RuleSet:
    """Riverside: 60 and over, living in E8 (N16 straddles the boundary: a person checks); crises redirected."""
    body = {
        "programme_id": PROGRAMME, "version": version, "effective_from": effective_from.isoformat(),
        "name": "Riverside connectors", "review_due_hours": 48,
        "eligibility": {"min_age": min_age, "geography": {"postcode_districts": ["E8"],
                                                          "borderline_postcode_districts": ["N16"]}},
        "redirects": [{"id": "crisis", "when": {"risk_flags_any": ["crisis"]}, "reason": "redirect_crisis",
                       "explanation": "In crisis.", "signposting": "NHS 111."}],
        "complexity": {"bands": {"low": 0, "medium": 2, "high": 4},
                       "markers": [{"id": "alone", "weight": 2, "when": {"living_situation_in": ["alone"]},
                                    "explanation": "Lives alone."}]},
        "pathways": {"low": "volunteer", "medium": "connector", "high": "connector_with_volunteer"},
        "expected_weekly_hours": {"low": 1.0, "medium": 2.0, "high": 3.0},
    }
    return RuleSet.model_validate({**body, **changes})


def referral(age: int | None = 70, district: str = "E8", received_at: datetime = MID_JANUARY,
             programme_id: str = PROGRAMME, partner_id: str = "gp-north", **fields: Any) -> ReferralReceived:
    return ReferralReceived(
        referral_id=uuid.uuid4(), person_id=uuid.uuid4(), programme_id=programme_id, partner_id=partner_id,
        source=ReferralSource(category="statutory", subcategory="nhs_gp"),
        person=PersonDetails(given_name="Test", family_name="Person", age_years=age),
        consent=Consent(to_referral=True, to_data_sharing=True, to_contact=True), received_at=received_at,
        profile=ReferralProfile(postcode_district=district, postcode_sector=f"{district} 1"), **fields,
    )


def envelope_of(event: ReferralReceived) -> Envelope:
    return new_envelope(event, source="/tests/intake", subject=str(event.referral_id), correlation_id=uuid.uuid4())


def dependencies(uow: FakeTriageUnitOfWork, clock: FakeClock | None = None) -> TriageDependencies:
    return TriageDependencies(uow_factory=uow, rulebook=RuleBook(), clock=clock or FakeClock())


async def received(deps: TriageDependencies, event: ReferralReceived, envelope: Envelope | None = None) -> Envelope:
    """Deliver a ReferralReceived to triage, as the consumer does."""
    envelope = envelope or envelope_of(event)
    await handlers.triage_referral(envelope, event, uow_factory=deps.uow_factory, rulebook=deps.rulebook,
                                   clock=deps.clock)
    return envelope
