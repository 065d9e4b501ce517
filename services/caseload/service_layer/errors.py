"""What the caseload service layer refuses, by kind; the entrypoints decide how to say so."""

from __future__ import annotations

from services.caseload.domain.model import NotAllowed


class NotFound(Exception):
    """The command names something that does not exist; the message says what."""


class CaseNotFound(NotFound):
    def __init__(self, case_id) -> None:
        super().__init__("no such case")
        self.case_id = case_id


class OfferNotFound(NotFound):
    def __init__(self, offer_id) -> None:
        super().__init__("no such offer")
        self.offer_id = offer_id


class WorkerNotFound(NotFound):
    def __init__(self, worker_id) -> None:
        super().__init__("no such worker")
        self.worker_id = worker_id


class Invalid(ValueError):
    """The request asks for something out of bounds (a report's window); the message says what is allowed."""


class Forbidden(Exception):
    """The actor may not do this to this case or offer (a worker acting on another worker's)."""


__all__ = ["Forbidden", "Invalid", "CaseNotFound", "NotAllowed", "NotFound", "OfferNotFound", "WorkerNotFound"]
