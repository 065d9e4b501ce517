"""Rule sets are data in triage's database: shipped versions are loaded at start, new
versions and drafts arrive through the API. Published versions never change, so the
rule book caches each version it has parsed; which version applies is chosen here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.triage.domain.ruleset import RuleSet, current
from services.triage.service_layer.unit_of_work import RuleSetRepository


class RuleBook:
    """Published rule sets by programme; parsed versions are cached (they never change)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], RuleSet] = {}

    async def in_effect(self, rulesets: RuleSetRepository, programme_id: str, at: datetime) -> RuleSet | None:
        """The version that decides a referral to the programme received at `at`."""
        stored = await rulesets.published_effective_by(programme_id, at)
        return current([self._parse(programme_id, version, body) for version, body in stored], at)

    async def version(self, rulesets: RuleSetRepository, programme_id: str, version: str) -> RuleSet | None:
        if (programme_id, version) in self._cache:
            return self._cache[(programme_id, version)]
        body = await rulesets.body(programme_id, version)
        return self._parse(programme_id, version, body) if body is not None else None

    def _parse(self, programme_id: str, version: str, body: dict[str, Any]) -> RuleSet:
        key = (programme_id, version)
        if key not in self._cache:
            self._cache[key] = RuleSet.model_validate(body)
        return self._cache[key]
