"""Storing what a case caused: its history, its row, and the outbox, in the unit of work."""

from __future__ import annotations

import uuid

from services.caseload.domain.case import Case
from services.caseload.service_layer.unit_of_work import CaseloadUnitOfWork
from shared.platform.tracing import link_to_origin
from shared.schemas import topics


async def store(uow: CaseloadUnitOfWork, case: Case, causation_id: uuid.UUID | None = None) -> None:
    """Every event the case caused goes to the cases topic, keyed by case id, in order."""
    link_to_origin(case.traceparent, "case opened")
    for pending in await uow.cases.save(case):
        await uow.emit(pending.payload, topic=topics.CASES, subject=str(case.id), correlation_id=case.correlation_id,
                       causation_id=causation_id)
