"""A programme's triage rules, as data: loaded from YAML (or the rule-set API) and validated on load.

A rule set is versioned and has an `effective_from` time: a referral is decided by
the newest version in effect when it was received, so changing the rules never
changes past decisions, and every decision records the version it used.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.schemas.events.triage import Complexity, Pathway


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class When(_Data):
    """A condition on a referral's facts. All the conditions given must hold."""

    needs_any: list[str] = Field(default_factory=list, description="any need containing one of these words")
    needs_count_at_least: int | None = None
    risk_flags_any: list[str] = Field(default_factory=list)
    mobility_in: list[str] = Field(default_factory=list)
    living_situation_in: list[str] = Field(default_factory=list)
    carer_status_in: list[str] = Field(default_factory=list)
    trigger_groups_any: list[str] = Field(default_factory=list)
    trigger_groups_count_at_least: int | None = None
    interpreter_needed: bool | None = None
    age_at_least: int | None = None
    age_below: int | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> When:
        if not any(v not in (None, []) for v in self.model_dump().values()):
            raise ValueError("a condition needs at least one test")
        return self


class Rule(_Data):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    when: When
    explanation: str = Field(min_length=1, description="why it matters, in a coordinator's words")


class Redirect(Rule):
    reason: str = Field(pattern=r"^[a-z0-9_]+$")
    signposting: str


class Exclusion(Rule):
    reason: str = Field(pattern=r"^[a-z0-9_]+$")
    signposting: str


class Marker(Rule):
    weight: int = Field(ge=1, le=5)


class PriorityRule(Rule):
    priority: int = Field(ge=1, le=5)


class Geography(_Data):
    """Where the programme works. A referral is in the area if any of its known places is listed."""

    local_authorities: list[str] = Field(default_factory=list)
    wards: list[str] = Field(default_factory=list)
    postcode_districts: list[str] = Field(default_factory=list)
    postcode_sectors: list[str] = Field(default_factory=list)
    # Districts split between this area and another: a person checks (and may override).
    borderline_postcode_districts: list[str] = Field(default_factory=list)
    # Elsewhere in these districts the programme offers networking only (signposting), not a connector.
    networking_postcode_districts: list[str] = Field(default_factory=list)
    outside_signposting: str = "Contact your local council or Age UK for services where you live."


class Eligibility(_Data):
    min_age: int | None = Field(default=None, ge=0)
    max_age: int | None = Field(default=None, ge=0)
    consent_required: bool = True
    geography: Geography | None = None
    age_signposting: str = "We can suggest other local services for your age group."

    @model_validator(mode="after")
    def _range(self) -> Eligibility:
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError("min_age is above max_age")
        return self


class Complexity_(_Data):
    markers: list[Marker] = Field(default_factory=list)
    bands: dict[Complexity, int] = Field(description="lowest score for each band")

    @model_validator(mode="after")
    def _bands(self) -> Complexity_:
        if set(self.bands) != set(Complexity):
            raise ValueError(f"complexity bands must be exactly {sorted(c.value for c in Complexity)}")
        if not self.bands[Complexity.LOW] <= self.bands[Complexity.MEDIUM] <= self.bands[Complexity.HIGH]:
            raise ValueError("complexity bands must rise: low <= medium <= high")
        return self

    def band(self, score: int) -> Complexity:
        for band in (Complexity.HIGH, Complexity.MEDIUM):
            if score >= self.bands[band]:
                return band
        return Complexity.LOW


class Priority(_Data):
    default: int = Field(default=3, ge=1, le=5)
    rules: list[PriorityRule] = Field(default_factory=list)


class RuleSet(_Data):
    programme_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: str = Field(min_length=1)
    effective_from: datetime
    name: str
    review_due_hours: int = Field(default=48, ge=1)
    eligibility: Eligibility
    redirects: list[Redirect] = Field(default_factory=list)
    exclusions: list[Exclusion] = Field(default_factory=list)
    review_when: list[Rule] = Field(default_factory=list)
    complexity: Complexity_
    pathways: dict[Complexity, Pathway]
    expected_weekly_hours: dict[Complexity, float]
    trigger_group_hours_factor: float = Field(default=1.0, ge=1.0, le=3.0)
    home_visit_extra_hours: float = Field(default=0.0, ge=0.0)
    priority: Priority = Priority()
    kind: Literal["published", "draft"] = "published"

    @model_validator(mode="after")
    def _complete(self) -> RuleSet:
        for name in ("pathways", "expected_weekly_hours"):
            missing = set(Complexity) - set(getattr(self, name))
            if missing:
                raise ValueError(f"{name} lacks bands: {sorted(m.value for m in missing)}")
        ids = [r.id for group in (self.redirects, self.exclusions, self.review_when, self.complexity.markers,
                                  self.priority.rules) for r in group]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"rule ids must be unique: {duplicates}")
        return self


def load_ruleset_files(directory: Path) -> list[RuleSet]:
    """Every shipped rule-set version (one YAML file each), validated."""
    rulesets = []
    for path in sorted(directory.rglob("*.yaml")):
        try:
            rulesets.append(RuleSet.model_validate(yaml.safe_load(path.read_text())))
        except Exception as exc:
            raise ValueError(f"{path.name}: {exc}") from exc
    return rulesets


def current(versions: list[RuleSet], at: datetime) -> RuleSet | None:
    """The version in effect at `at`: the latest effective_from not after it."""
    in_effect = [r for r in versions if r.effective_from <= at]
    return max(in_effect, key=lambda r: r.effective_from) if in_effect else None
