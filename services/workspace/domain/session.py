"""Who is signed in, as the workspace keeps it between requests, and what their roles let them open."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

WORKER_ROLES = frozenset({"volunteer", "connector"})
COORDINATING_ROLES = frozenset({"coordinator", "admin"})
REPORTING_ROLES = frozenset({"manager", "coordinator", "admin"})
OVERSEEING_ROLES = frozenset({"manager", "coordinator", "admin"})
# A partner's member of staff (a GP surgery's, a charity's): makes and follows that partner's referrals.
REFERRING_ROLES = frozenset({"referrer"})
# Who runs the platform: the dead letters of every service.
OPERATING_ROLES = frozenset({"operator", "admin"})


@dataclass(frozen=True)
class Session:
    """A signed-in person: identity's token (kept server-side, in an encrypted cookie) and what it says."""

    token: str
    csrf: str  # the synchroniser token every form of this session carries
    name: str
    roles: tuple[str, ...]
    expires_at: float  # seconds since the epoch, as the token's own expiry
    worker_id: str | None = None
    programmes: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Session:
        programmes = data.get("programmes")
        return cls(token=str(data["token"]), csrf=str(data["csrf"]), name=str(data["name"]),
                   roles=tuple(data["roles"]), expires_at=float(data["expires_at"]),
                   worker_id=data.get("worker_id"), programmes=tuple(programmes) if programmes is not None else None)

    def expired(self, now: float) -> bool:
        return now >= self.expires_at

    def has_any(self, roles) -> bool:
        return bool(set(self.roles) & set(roles))

    @property
    def is_worker(self) -> bool:
        return self.worker_id is not None and self.has_any(WORKER_ROLES)


@dataclass(frozen=True)
class Area:
    """A part of the workspace: where it is, what it is called, and who may open it."""

    path: str
    label: str
    roles: frozenset[str]


AREAS = (
    Area("/offers", "My offers", WORKER_ROLES),
    Area("/cases", "My caseload", WORKER_ROLES),
    Area("/reviews", "Triage reviews", COORDINATING_ROLES),
    Area("/match-reviews", "Person-match reviews", COORDINATING_ROLES),
    Area("/search", "Find a referral", COORDINATING_ROLES),
    Area("/waiting-list", "Waiting list", OVERSEEING_ROLES),
    Area("/capacity", "Capacity", OVERSEEING_ROLES),
    Area("/workers", "Workers", COORDINATING_ROLES),
    Area("/reports", "Outcome reports", REPORTING_ROLES),
    Area("/reports/unmet-needs", "Unmet needs", REPORTING_ROLES),
    Area("/rejected-submissions", "Rejected submissions", COORDINATING_ROLES | OPERATING_ROLES),
    Area("/dead-letters", "Dead letters", OPERATING_ROLES),
    Area("/referrals", "Our referrals", REFERRING_ROLES),
    Area("/referrals/new", "Make a referral", REFERRING_ROLES),
)


def areas_for(session: Session) -> list[Area]:
    """The parts of the workspace the navigation offers this person (the services still decide each request)."""
    return [area for area in AREAS if session.has_any(area.roles)]
