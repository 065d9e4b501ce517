"""What intake keeps about a person is sealed under a data key of its own (shared/platform/sealing.py).

Subjects (whose key erasure destroys):
- the person id: their details and contact record on each referral, and their match key (persons);
- each raw submission's id: the body as it was sent (a rejected one never names a person, so the
  retention of rejected submissions destroys its key instead); a dead-lettered partner record is sealed
  under the id of the submission recorded for it;
- each CSV batch's id: the file as sent. It holds many people; each row is also kept as a submission of
  its own, so destroying the file's key when any one of them is erased loses nothing of the others;
- each outreach contact's id: what the person chose to share before they had a referral.

Rows written before sealing began are plain JSON or bytes: they are read as they are.
"""

from __future__ import annotations

import json
from typing import Any

from shared.platform.messaging.dead_letter_archive import sealed_dead_letter_context
from shared.platform.sealing import KeyDestroyed, Sealer, is_sealed

PERSON = "intake.person"
PERSON_KEY = "intake.person-key"  # what matching compares (persons.sealed_key)
CONTACT = "intake.contact"
SUBMISSION = "intake.submission"
BATCH = "intake.batch"
OUTREACH = "intake.outreach"
DEAD_LETTER = sealed_dead_letter_context("intake")  # the archive opens it for admins with the same


async def seal_json(sealer: Sealer, subject: object, value: Any, *, context: str) -> str | None:
    if value is None:
        return None
    return await sealer.seal(str(subject), json.dumps(value, separators=(",", ":"), default=str), context=context)


async def open_json(sealer: Sealer, stored: Any, *, context: str) -> Any:
    """The value, or None when its key was destroyed (erased) or there is none."""
    if not is_sealed(stored):
        return stored
    opened = await sealer.open_or_none(stored, context=context)
    return None if opened is None else json.loads(opened)


async def seal_bytes(sealer: Sealer, subject: object, body: bytes, *, context: str) -> bytes:
    return (await sealer.seal(str(subject), body, context=context)).encode()


async def open_bytes(sealer: Sealer, stored: bytes, *, context: str) -> bytes | None:
    """The bytes as sent, or None when their key was destroyed."""
    text = stored.decode("ascii", errors="replace") if stored.startswith(b"sealed:") else None
    if text is None or not is_sealed(text):
        return stored
    try:
        return await sealer.open_bytes(text, context=context)
    except KeyDestroyed:
        return None
