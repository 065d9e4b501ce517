"""Why a page cannot be shown or a form not taken; the entrypoints turn each into a page."""

from __future__ import annotations


class NotSignedIn(Exception):
    """No session, an expired one, or a token the services no longer take: on to the sign-in page."""


class Forbidden(Exception):
    """The person's roles, or the service's rule, do not let them see or do this."""


class NotFound(Exception):
    pass


class Conflict(Exception):
    """The service's state does not allow it now (a closed case, an offer already answered): its words, and
    where to go next when there is a better place than the workspace's home."""

    def __init__(self, reason: str, back: tuple[str, str] | None = None) -> None:
        super().__init__(reason)
        self.back = back


class Invalid(Exception):
    """What was entered is not acceptable: each problem with the field it belongs to ("" for the form)."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("; ".join(p["message"] for p in problems))
        self.problems = problems


class Unavailable(Exception):
    """A service did not answer, or failed: a page saying try again, never a stack trace."""


class WrongCredentials(Exception):
    pass
