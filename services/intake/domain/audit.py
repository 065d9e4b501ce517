"""The audit trail of personal data: who read or changed whose record, when and why.

Each entry is chained to the one before it by a SHA-256 hash over its own content and the previous
entry's hash, so changing, removing or reordering any entry breaks every hash after it: an auditor who
recomputes the chain finds the first entry that no longer fits. Entries hold ids and field names, never
the values read, so the trail itself is no copy of the personal data it watches over.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
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
