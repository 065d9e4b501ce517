"""Intake's wiring: the one place that chooses the unit of work, the webhook sender and the
leadership lock, and hands them to routes, consumers and background work."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from services.intake.adapters.unit_of_work import SqlIntakeUnitOfWork
from services.intake.adapters.webhook_sender import http_webhook_sender
from services.intake.service_layer import erasure, handlers, search
from services.intake.service_layer.commands import Command
from services.intake.service_layer.unit_of_work import IntakeUnitOfWork
from services.intake.service_layer.webhooks import WebhookDispatcher
from shared.platform.definition import ServiceContext
from shared.platform.leadership import leadership
from shared.platform.blind_index import BlindIndex
from shared.platform.sealing import LocalKeyEncryptionKey
from shared.platform.settings import PlatformSettings
from shared.platform.throttle import Admission, TokenBuckets


@dataclass(frozen=True)
class Intake:
    """What intake's entrypoints are given: a fresh unit of work per use, the command handlers,
    and the webhook dispatcher to run in the background."""

    uow: Callable[[], IntakeUnitOfWork]
    webhooks: WebhookDispatcher
    retention: Callable[[], Any]  # the background job that erases people past their retention period
    admission: Admission  # back-pressure on every submission channel (rates, submissions in progress)
    search_indexing: Callable[[], Any] | None = None  # gives search keys to referrals received before they were kept

    async def handle(self, command: Command) -> Any:
        return await handlers.handle(command, self.uow())


def bootstrap(ctx: ServiceContext) -> Intake:
    # Data keys are wrapped under the service's DATA_ENCRYPTION_KEY (a KMS client can stand in for it). There
    # are no settings only when the API is being documented, and then nothing is sealed.
    # Matching searches on keyed blind indexes, under a key derived from the same setting.
    key_setting = ctx.settings.data_encryption_key if ctx.settings is not None else None
    kek = LocalKeyEncryptionKey.from_setting(key_setting) if key_setting else None
    index = BlindIndex.derived_from(key_setting, "intake.persons") if key_setting else None
    uow = partial(SqlIntakeUnitOfWork, ctx.engine, kek, index)
    dispatcher = WebhookDispatcher(uow, partial(leadership, ctx.engine, "intake-webhook-dispatcher"),
                                   http_webhook_sender)
    interval = float(os.environ.get("INTAKE_RETENTION_INTERVAL_S", "3600"))
    # Submissions that never became a referral name no one erasure can find: their keys go after this long.
    rejected_days = int(os.environ.get("REJECTED_SUBMISSION_RETENTION_DAYS", "30"))
    retention = erasure.retention_job(uow, interval, asyncio.sleep, partial(leadership, ctx.engine, "intake-retention"),
                                      rejected_days=rejected_days)
    return Intake(uow=uow, webhooks=dispatcher, retention=retention, admission=_admission(ctx.settings),
                  search_indexing=search.indexing_job(uow))


def _admission(settings: PlatformSettings | None) -> Admission:
    # The API documents are built from a context with no settings: the defaults serve there.
    def limit(name: str):
        return getattr(settings, name) if settings is not None else PlatformSettings.model_fields[name].default

    return Admission(TokenBuckets(limit("submissions_per_second_per_partner"), limit("submission_burst_per_partner")),
                     TokenBuckets(limit("submissions_per_second"), limit("submission_burst")),
                     limit("submissions_in_flight"),
                     per_address=TokenBuckets(limit("self_referrals_per_minute_per_address") / 60,
                                              limit("self_referral_burst_per_address")))
