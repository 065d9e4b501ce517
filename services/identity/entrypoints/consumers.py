"""Identity subscribes to nothing of its own; the platform reads session revocations in every service."""

from __future__ import annotations

from shared.platform.messaging.consumer import EventConsumer
from shared.platform.service import ServiceContext


def build_consumers(ctx: ServiceContext) -> list[EventConsumer]:
    return []
