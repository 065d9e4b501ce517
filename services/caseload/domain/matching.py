"""Which worker should be offered a case: eligibility, then a ranking by fit, with reasons. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class WorkerProfile:
    id: str
    role: str
    capacity_hours: Decimal
    load_hours: Decimal
    max_open_cases: int
    open_cases: int
    site: str | None = None
    languages: tuple[str, ...] = ()
    gender: str | None = None
    interests: tuple[str, ...] = ()
    home_visits: bool = True
    travel_districts: tuple[str, ...] = ()

    @property
    def free_hours(self) -> Decimal:
        return self.capacity_hours - self.load_hours


@dataclass(frozen=True)
class CaseNeeds:
    role: str
    hours: Decimal
    language: str | None = None
    interpreter_needed: bool = False
    gender_preference: str | None = None
    home_visit_needed: bool = False
    postcode_district: str | None = None
    needs: tuple[str, ...] = ()
    previous_worker_id: str | None = None
    exclude: frozenset[str] = field(default_factory=frozenset)  # workers who already declined or let it lapse


@dataclass(frozen=True)
class Ranked:
    worker_id: str
    score: float
    reasons: list[str]


def eligible(w: WorkerProfile, c: CaseNeeds) -> str | None:
    """None if the worker could take the case, else why not."""
    if w.id in c.exclude:
        return "already offered this case"
    if w.role != c.role:
        return f"the case needs a {c.role}"
    if w.free_hours < c.hours:
        return f"only {w.free_hours} of the {c.hours} weekly hours free"
    if w.open_cases >= w.max_open_cases:
        return "at the maximum number of open cases"
    if c.home_visit_needed and not w.home_visits:
        return "does not do home visits"
    return None


def score(w: WorkerProfile, c: CaseNeeds) -> Ranked:
    points = 0.0
    reasons: list[str] = []
    if c.previous_worker_id and c.previous_worker_id == w.id:
        points += 5
        reasons.append("supported this person before")
    if c.postcode_district and c.postcode_district in w.travel_districts:
        points += 3
        reasons.append(f"covers {c.postcode_district}")
    elif c.postcode_district and w.travel_districts:
        points -= 1
        reasons.append(f"does not usually cover {c.postcode_district}")
    if c.language and c.language in w.languages:
        points += 4 if c.interpreter_needed else 2
        reasons.append(f"speaks {c.language}")
    elif c.interpreter_needed:
        reasons.append("an interpreter will be needed")
    if c.gender_preference in ("female", "male"):
        if w.gender == c.gender_preference:
            points += 3
            reasons.append(f"a {w.gender} worker, as the person asked")
        else:
            points -= 5
            reasons.append("not the gender of worker the person asked for")
    if c.home_visit_needed and w.home_visits:
        points += 1
        reasons.append("does home visits")
    shared = sorted({i for i in w.interests for n in c.needs if i.lower() in n.lower()})
    if shared:
        points += min(len(shared), 2)
        reasons.append(f"shares interests: {', '.join(shared)}")
    load = float(w.load_hours / w.capacity_hours) if w.capacity_hours else 1.0
    points -= 2 * load
    reasons.append(f"{round(load * 100)}% of weekly hours in use")
    return Ranked(w.id, round(points, 3), reasons)


def rank(workers: list[WorkerProfile], case: CaseNeeds) -> list[Ranked]:
    """Eligible workers, best fit first; ties go to the less loaded, then by id (stable)."""
    candidates = [w for w in workers if eligible(w, case) is None]
    by_id = {w.id: w for w in candidates}
    ranked = [score(w, case) for w in candidates]
    return sorted(ranked, key=lambda r: (-r.score, by_id[r.worker_id].load_hours, r.worker_id))
