"""Why triage refused a command: kinds of refusal, not transport status codes (entrypoints map those)."""

from __future__ import annotations


class TriageError(Exception):
    """A refusal; its message is meant for the person who asked."""

    @property
    def detail(self) -> str:
        return str(self)


class NotFound(TriageError):
    """What the command names does not exist (a review, a referral's decision)."""


class OutOfScope(TriageError):
    """The referral is in a programme the reviewer does not coordinate."""


def require_in_programme(programmes: frozenset[str] | None, programme_id: str) -> None:
    if programmes is not None and programme_id not in programmes:
        raise OutOfScope("this referral is in a programme you do not work in")


class Conflict(TriageError):
    """The command clashes with what is already so (decided, claimed by another, a version that exists)."""


class IncompleteDecision(TriageError):
    """A person's decision lacks what it needs (a reason code, or sizing when no rule set can size it)."""
