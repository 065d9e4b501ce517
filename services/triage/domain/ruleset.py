"""A programme's triage rules, as data. Loaded from YAML and validated on load."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.schemas.events.triage import Complexity, Pathway


class Eligibility(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_age: int | None = Field(default=None, ge=0)
    max_age: int | None = Field(default=None, ge=0)
    consent_required: bool = True

    @model_validator(mode="after")
    def _range(self) -> Eligibility:
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError("min_age is above max_age")
        return self


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    programme_id: str
    version: str
    name: str
    eligibility: Eligibility
    redirect_on_flags: list[str] = Field(default_factory=list)
    complexity_default: Complexity = Complexity.MEDIUM
    pathway_default: Pathway = Pathway.CONNECTOR
    priority_default: int = Field(default=3, ge=1, le=5)
    expected_weekly_hours: dict[Complexity, float]

    @model_validator(mode="after")
    def _hours_for_every_band(self) -> RuleSet:
        missing = set(Complexity) - set(self.expected_weekly_hours)
        if missing:
            raise ValueError(f"expected_weekly_hours lacks bands: {sorted(missing)}")
        return self


def load_rulesets(directory: Path) -> dict[str, list[RuleSet]]:
    """All rule set versions by programme, oldest first."""
    by_programme: dict[str, list[RuleSet]] = {}
    for path in sorted(directory.glob("*.yaml")):
        ruleset = RuleSet.model_validate(yaml.safe_load(path.read_text()))
        by_programme.setdefault(ruleset.programme_id, []).append(ruleset)
    for versions in by_programme.values():
        versions.sort(key=lambda r: r.version)
    return by_programme
