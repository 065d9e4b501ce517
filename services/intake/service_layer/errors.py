"""What the intake service layer refuses, by kind; the entrypoints decide how to say so."""

from __future__ import annotations


class SubmissionRejected(Exception):
    """A submission intake did not accept (it is stored all the same); `errors` name each problem."""

    def __init__(self, title: str, errors: list[dict[str, str]]) -> None:
        super().__init__(title)
        self.title = title
        self.errors = errors


class InvalidSubmission(SubmissionRejected):
    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("The referral is not valid", errors)


class ProgrammeNotAllowed(SubmissionRejected):
    def __init__(self) -> None:
        super().__init__("Programme not allowed for this referrer",
                         [{"field": "programme_id", "problem": "this referrer may not refer to that programme"}])


class UnknownProgramme(SubmissionRejected):
    def __init__(self) -> None:
        super().__init__("No such programme",
                         [{"field": "programme_id", "problem": "there is no programme with that id"}])


class ReferenceReused(SubmissionRejected):
    """The partner's reference already names a referral with other content: never filed as a retry."""

    def __init__(self, reference: str, existing_referral_id) -> None:
        super().__init__("The reference already names another referral", [{
            "field": "partner_referral_id",
            "problem": f"{reference!r} already names referral {existing_referral_id}, which was sent with different "
                       "content; use a new reference for a new referral"}])
        self.existing_referral_id = existing_referral_id


class InvalidReference(SubmissionRejected):
    def __init__(self, source: str, problem: str) -> None:
        super().__init__("The reference is not valid", [{"field": source, "problem": problem}])


class NotFound(Exception):
    """The command names something that does not exist; the message says what."""


class Refused(Exception):
    """The command conflicts with what is already there; the message says why."""


class BatchRejected(Exception):
    """A batch file that cannot be processed as a whole (it is kept all the same)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class Forbidden(Exception):
    """The actor's account does not reach this (a programme it does not work in)."""
