"""The outcomes unit of work, as the service layer sees it: the reporting facts' repositories,
with the inbox and commit of every unit of work. adapters/unit_of_work.py is its PostgreSQL adapter."""

from __future__ import annotations

from services.outcomes.service_layer.ports import (
    CaseFactsRepository,
    MeasuresRepository,
    ReferralFactsRepository,
    SignpostsRepository,
    UnmetNeedsRepository,
)
from shared.platform.sealing import Sealer
from shared.platform.uow import UnitOfWork


class OutcomesUnitOfWork(UnitOfWork):
    referrals: ReferralFactsRepository
    cases: CaseFactsRepository
    measures: MeasuresRepository
    signposts: SignpostsRepository
    unmet_needs: UnmetNeedsRepository
    # Outcomes' data keys per person: it seals nothing today (it keeps no person's words), but destroying a
    # person's key on erasure leaves a tombstone, so nothing sealed for them here later could ever be read.
    sealer: Sealer
