"""The in-memory messaging half of every service's fake unit of work.

A service's fake subclasses this and adds in-memory repositories. Events emitted
inside the unit of work are held until commit, as the outbox holds them, and
`published` lists what a commit let out: (topic, subject, payload).
"""

from __future__ import annotations

from typing import Any

from shared.platform.uow import UnitOfWork
from shared.schemas.envelope import Envelope


class FakeMessaging(UnitOfWork):
    source = "/tests/fake"

    def __init__(self) -> None:
        super().__init__()
        self.commits = 0
        self.handled: set[tuple[str, Any]] = set()  # the inbox: (consumer, event id)
        self.published: list[tuple[str, str, Any]] = []
        self._staged: list[tuple[str, Envelope, Any]] = []
        self._claimed: list[tuple[str, Any]] = []

    async def _begin(self) -> None:
        self._staged, self._claimed = [], []

    async def _end(self) -> None:
        self._staged, self._claimed = [], []  # what was not committed is not published

    async def commit(self) -> None:
        self.commits += 1
        self.handled.update(self._claimed)
        self.published.extend((topic, env.subject, payload) for topic, env, payload in self._staged)
        self._staged, self._claimed = [], []

    async def _claim(self, consumer: str, envelope: Envelope) -> bool:
        key = (consumer, envelope.id)
        if key in self.handled or key in self._claimed:
            return False
        self._claimed.append(key)
        return True

    async def emit(self, payload: Any, *, topic: str, subject: str, **ids: Any) -> Envelope:
        envelope = await super().emit(payload, topic=topic, subject=subject, **ids)
        self._staged[-1] = (topic, envelope, payload)  # keep the payload object itself, for the tests
        return envelope

    async def _stage(self, envelope: Envelope, topic: str) -> None:
        self._staged.append((topic, envelope, None))

    def events(self, topic: str | None = None) -> list[Any]:
        """The payloads published (committed), optionally only those to one topic."""
        return [payload for t, _, payload in self.published if topic is None or t == topic]

    def __call__(self) -> FakeMessaging:
        # A fake is its own factory: handlers call uow_factory() and get this one back.
        return self
