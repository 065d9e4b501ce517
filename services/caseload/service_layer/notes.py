"""What staff write about a person, sealed under caseload's data key for them, and opened for readers.

Reasons, goals, notes and the person's MYCaW concerns are sealed here, before the case sees them, so its
history, its row, the outbox and the caseload.cases topic hold them only sealed. Erasing the person destroys
the key (`forget_person`); from then on they read as erased (None, listed under `erased_fields`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from services.caseload.domain.case import Case
from services.caseload.domain.model import NotAllowed, require
from services.caseload.service_layer.unit_of_work import CaseloadUnitOfWork
from shared.platform.logging import get_logger
from shared.platform.audit import CHANGE, AuditEntry, reads
from shared.platform.sealed_fields import open_fields, open_fields_noting, seal_field
from shared.platform.sealing import KeyDestroyed
from shared.schemas import topics
from shared.schemas.envelope import Envelope
from shared.schemas.events.common import Instrument, MeasureResponse, Timepoint
from shared.schemas.events.erasure import PersonErased

SERVICE = "caseload"
CONSUMER_ERASURES = topics.consumer_group(SERVICE, topics.ERASURES)
log = get_logger(__name__)

if TYPE_CHECKING:
    from services.caseload.service_layer.ownership import Viewer


async def seal(uow: CaseloadUnitOfWork, case: Case, field: str, text: str | None, *, by: str) -> str | None:
    """`text` sealed for the case's person as `field`; refused once the person has been erased. The write is
    in the audit trail (in the same transaction): who wrote which field of which case, never the text."""
    try:
        sealed = await seal_field(uow.sealer, SERVICE, case.person_id, field, text)
    except KeyDestroyed:
        raise NotAllowed("the person has been erased: nothing more can be recorded about them") from None
    if sealed:
        await uow.audit.append(AuditEntry(
            at=datetime.now(UTC), actor=by, roles=(), action=CHANGE, person_id=case.person_id, fields=(field,),
            purpose=f"case {case.id}", referral_id=case.referral_id, case_id=case.id))
    return sealed


async def seal_measure(uow: CaseloadUnitOfWork, case: Case, measure: MeasureResponse, *, by: str) -> MeasureResponse:
    """The measure with its concerns (the person's words) sealed; a later MYCaW must name the baseline's."""
    if measure.concerns is None:
        return measure
    if measure.instrument == Instrument.MYCAW and measure.timepoint != Timepoint.BASELINE:
        baseline = await baseline_concerns(uow, case)
        # The check outcomes made before it stopped receiving the words: only caseload can open both.
        require(baseline is None or _same(measure.concerns, baseline),
                "the concerns are fixed at baseline: score the same ones again")
    return measure.model_copy(update={"concerns": [await seal(uow, case, "concerns", c, by=by) for c in measure.concerns]})


def _same(concerns: list[str], baseline: list[str | None]) -> bool:
    return [c.strip().lower() for c in concerns] == [(b or "").strip().lower() for b in baseline]


async def baseline_concerns(uow: CaseloadUnitOfWork, case: Case) -> list[str | None] | None:
    for event in await uow.views.events(case.id):
        measure = event["data"].get("measure") if event["event_type"] == "case.measure_recorded" else None
        if measure and measure["instrument"] == Instrument.MYCAW and measure["timepoint"] == Timepoint.BASELINE:
            return (await opened(uow, measure)).get("concerns")
    return None


async def opened(uow: CaseloadUnitOfWork, value: Any, reader: Viewer | None = None,
                 case_id: uuid.UUID | None = None) -> Any:
    """`value` (a case, its history, an offer) as its reader sees it: every sealed field opened or erased.
    Given a reader, each person whose text was opened gets an entry in the audit trail (in this transaction):
    who, which fields, for which case. Nothing opened (an erased person's fields), no entry."""
    if reader is None:
        return await open_fields(uow.sealer, SERVICE, value)
    value, seen = await open_fields_noting(uow.sealer, SERVICE, value)
    # A read by no one in particular (caseload's own, or a test's) is still recorded, as caseload's.
    for entry in reads(seen, actor=reader.actor or SERVICE, roles=reader.roles, at=datetime.now(UTC), case_id=case_id,
                       purpose=f"case {case_id}" if case_id else "case"):
        await uow.audit.append(entry)
    return value


async def forget_person(uow: CaseloadUnitOfWork, envelope: Envelope, event: PersonErased) -> None:
    """Destroy caseload's data key for the erased person: every copy of what was sealed for them is unreadable.
    A tombstone stays (even for a person caseload never sealed anything for), so no key is made for them again."""
    async with uow:
        if not await uow.first_delivery(CONSUMER_ERASURES, envelope):
            return
        had_key = await uow.sealer.shred(str(event.person_id))
        await uow.commit()
    log.info("person_data_key_destroyed", had_key=had_key)
