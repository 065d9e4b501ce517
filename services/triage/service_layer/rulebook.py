"""Rule sets are data in triage's database: shipped versions are loaded at start, new
versions and drafts arrive through the API. Published versions never change."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.triage.adapters import tables as t
from services.triage.domain.ruleset import RuleSet, current, load_ruleset_files

SHIPPED = Path(__file__).resolve().parent.parent / "rulesets"


async def load_shipped(conn: AsyncConnection, directory: Path = SHIPPED) -> int:
    """Insert shipped versions not yet known (idempotent; several replicas may do it at once)."""
    added = 0
    for ruleset in load_ruleset_files(directory):
        result = await conn.execute(
            insert(t.rulesets)
            .values(programme_id=ruleset.programme_id, version=ruleset.version, effective_from=ruleset.effective_from,
                    status="published", body=ruleset.model_dump(mode="json"), created_by="shipped")
            .on_conflict_do_nothing()
        )
        added += result.rowcount
    return added


class RuleBook:
    """Published rule sets by programme; parsed versions are cached (they never change)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], RuleSet] = {}

    async def in_effect(self, conn: AsyncConnection, programme_id: str, at: datetime) -> RuleSet | None:
        rows = await conn.execute(
            sa.select(t.rulesets.c.version, t.rulesets.c.body).where(
                t.rulesets.c.programme_id == programme_id, t.rulesets.c.status == "published",
                t.rulesets.c.effective_from <= at,
            )
        )
        return current([self._parse(programme_id, r.version, r.body) for r in rows], at)

    async def version(self, conn: AsyncConnection, programme_id: str, version: str) -> RuleSet | None:
        if (programme_id, version) in self._cache:
            return self._cache[(programme_id, version)]
        row = (await conn.execute(sa.select(t.rulesets.c.body).where(
            t.rulesets.c.programme_id == programme_id, t.rulesets.c.version == version))).first()
        return self._parse(programme_id, version, row.body) if row else None

    def _parse(self, programme_id: str, version: str, body: dict) -> RuleSet:
        key = (programme_id, version)
        if key not in self._cache:
            self._cache[key] = RuleSet.model_validate(body)
        return self._cache[key]
