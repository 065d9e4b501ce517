"""The audit trail of personal data: who read or changed whose record, when and why.

Each entry is chained to the one before it by a SHA-256 hash over its own content and the previous
entry's hash, so changing, removing or reordering any entry breaks every hash after it: an auditor who
recomputes the chain finds the first entry that no longer fits. Entries hold ids and field names, never
the values read, so the trail itself is no copy of the personal data it watches over.

One implementation for every service that keeps a trail (intake's registry, caseload's and triage's sealed
staff notes): the entry, its canonical form, the chaining and the check here; the SQL in audit_sql.py.
"""

from __future__ import annotations

import abc
import dataclasses
import hashlib
import json
import uuid
from collections.abc import Iterable
from typing import Any
from dataclasses import dataclass, field
from datetime import datetime

GENESIS = bytes(32)  # what the first entry is chained to

READ, CHANGE, ERASE = "read", "change", "erase"


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    roles: tuple[str, ...]
    action: str  # read | change | erase
    person_id: uuid.UUID
    fields: tuple[str, ...]  # what was read or changed, by name
    purpose: str  # why: the case or review it was for, in the actor's words or ours
    referral_id: uuid.UUID | None = None
    case_id: uuid.UUID | None = None
    seq: int | None = field(default=None, compare=False)  # the trail's order, given when stored

    def canonical(self) -> bytes:
        """The entry's content in one fixed form (sorted keys, no spaces): what its hash covers."""
        content = {"at": self.at.isoformat(), "actor": self.actor, "roles": sorted(self.roles),
                   "action": self.action, "person_id": str(self.person_id), "fields": list(self.fields),
                   "purpose": self.purpose, "referral_id": str(self.referral_id) if self.referral_id else None,
                   "case_id": str(self.case_id) if self.case_id else None}
        return json.dumps(content, sort_keys=True, separators=(",", ":")).encode()

    def chained_to(self, previous_hash: bytes) -> bytes:
        return hashlib.sha256(previous_hash + self.canonical()).digest()


@dataclass(frozen=True)
class ChainCheck:
    entries: int
    intact: bool
    first_broken_seq: int | None = None


def verify(chain: Iterable[tuple[AuditEntry, bytes, bytes]]) -> ChainCheck:
    """Recompute the chain in order from (entry, previous hash as stored, hash as stored)."""
    previous, count = GENESIS, 0
    for entry, stored_previous, stored_hash in chain:
        count += 1
        if stored_previous != previous or entry.chained_to(previous) != stored_hash:
            return ChainCheck(count, False, entry.seq)
        previous = stored_hash
    return ChainCheck(count, True)


class AuditTrail(abc.ABC):
    @abc.abstractmethod
    async def append(self, entry: AuditEntry) -> None:
        """Add the entry at the end of the chain (serialised with every other writer of the trail)."""

    @abc.abstractmethod
    async def entries(self, *, person_id: uuid.UUID | None = None, actor: str | None = None,
                      since: datetime | None = None, until: datetime | None = None,
                      limit: int = 500, after: int | None = None) -> list[AuditEntry]:
        """Matching entries oldest first; `after`: only those after that seq (the next page)."""

    @abc.abstractmethod
    async def chain(self) -> list[tuple[AuditEntry, bytes, bytes]]:
        """Every entry in order, with the previous hash and the hash stored beside it."""


class InMemoryAuditTrail(AuditTrail):
    """The trail kept as the SQL one keeps it, (entry, previous hash, hash) in order: for fakes and tests."""

    def __init__(self) -> None:
        self.rows: list[tuple[AuditEntry, bytes, bytes]] = []

    async def append(self, entry: AuditEntry) -> None:
        previous = self.rows[-1][2] if self.rows else GENESIS
        self.rows.append((dataclasses.replace(entry, seq=len(self.rows) + 1), previous, entry.chained_to(previous)))

    async def entries(self, *, person_id=None, actor=None, since=None, until=None, limit=500,
                      after=None) -> list[AuditEntry]:
        return [e for e, _, _ in self.rows if person_id in (None, e.person_id) and actor in (None, e.actor)
                and (since is None or e.at >= since) and (until is None or e.at < until)
                and (after is None or (e.seq or 0) > after)][:limit]

    async def chain(self) -> list[tuple[AuditEntry, bytes, bytes]]:
        return list(self.rows)


def reads(opened: dict[str, list[str]], *, actor: str, roles: tuple[str, ...], purpose: str, at: datetime,
          referral_id: uuid.UUID | None = None, case_id: uuid.UUID | None = None) -> list[AuditEntry]:
    """One read entry per person whose fields were opened (`opened`: person id -> field names, as
    sealed_fields.open_fields_noting reports them); none for a person nothing was opened for."""
    return [AuditEntry(at=at, actor=actor, roles=tuple(sorted(roles)), action=READ, person_id=uuid.UUID(person),
                       fields=tuple(sorted(fields)), purpose=purpose, referral_id=referral_id, case_id=case_id)
            for person, fields in opened.items() if fields]


def entry_json(e: AuditEntry) -> dict[str, Any]:
    """An entry as auditors read it."""
    return {"seq": e.seq, "at": e.at, "actor": e.actor, "roles": list(e.roles), "action": e.action,
            "person_id": str(e.person_id), "referral_id": str(e.referral_id) if e.referral_id else None,
            "case_id": str(e.case_id) if e.case_id else None, "fields": list(e.fields), "purpose": e.purpose}


def check_json(check: ChainCheck) -> dict[str, Any]:
    return {"entries": check.entries, "intact": check.intact, "first_broken_seq": check.first_broken_seq}
