"""Which programmes' figures an account may read: a coordinator or manager whose account names programmes
reads those programmes' reports and cases only; one naming none (a scheme-wide manager, an admin), all.

Checked here rather than in the routes, so the CSV, SVG and JSON of a report, and whatever asks next
(the workspace), are held to the same rule.
"""

from __future__ import annotations

from typing import Any


class OutsideProgrammes(Exception):
    """The figures asked for are of a programme the account does not work in."""


def programme_in_reach(requested: str | None, programmes: frozenset[str] | None) -> str | None:
    """The programme a report is to cover: the one asked for if the account reaches it; with none asked
    for, every programme for an unscoped account, or the account's own where it has just one."""
    if programmes is None:
        return requested
    if requested is None:
        if len(programmes) == 1:
            return next(iter(programmes))
        raise OutsideProgrammes("name one of your programmes: a report across every programme is for "
                                "scheme-wide accounts")
    if requested not in programmes:
        raise OutsideProgrammes("that programme is not one you work in")
    return requested


def require_case_in_reach(measures: list[dict[str, Any]], programmes: frozenset[str] | None) -> None:
    if programmes is not None and any(m["programme_id"] not in programmes for m in measures):
        raise OutsideProgrammes("this case is in a programme you do not work in")
