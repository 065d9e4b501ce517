"""What became of every submission, and whether anything happened twice or overfilled a worker.

`account` is pure: it takes the ledger and what the database holds and returns the counts.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from referrals.chaos.traffic import Submission
from shared.platform.sealing import KeyEncryptionKey, Sealer, is_sealed

# What intake seals its registry and raw submissions as (services/intake/service_layer/sealed.py): the audit
# reads them as an operator holding intake's key-encryption key would.
PERSON, SUBMISSION = "intake.person", "intake.submission"


class _IntakeKeys:
    """Intake's wrapped data keys, read (never written) over the operator's connection."""

    def __init__(self, conn) -> None:
        self._conn = conn

    async def get(self, subject: str) -> bytes | None:
        return await self._conn.fetchval("SELECT wrapped_key FROM intake.data_keys WHERE subject = $1", subject)

    async def destroyed(self, subject: str) -> bool:
        return bool(await self._conn.fetchval(
            "SELECT destroyed_at IS NOT NULL FROM intake.data_keys WHERE subject = $1", subject))

    async def add(self, subject: str, wrapped: bytes) -> bytes:
        raise AssertionError("the audit never makes a data key")

    async def destroy(self, subject: str) -> bool:
        raise AssertionError("the audit never destroys a data key")


async def _family_name(sealer: Sealer, person_json: str | None) -> str | None:
    person = json.loads(person_json) if person_json else None
    if is_sealed(person):
        person = json.loads(await sealer.open(person, context=PERSON))
    return person.get("family_name") if isinstance(person, dict) else None


async def _body(sealer: Sealer, body: bytes) -> bytes:
    return await sealer.open_bytes(body.decode(), context=SUBMISSION) if body.startswith(b"sealed:v1:") else body

# A referral in one of these has its answer: the audit counts it accounted for.
ANSWERED = {"assigned", "waiting", "declined", "redirected", "in_review", "first_contact", "closed", "duplicate"}
STILL_MOVING = {"received", "accepted"}


@dataclass
class Referral:
    id: str
    partner_id: str
    partner_referral_id: str | None
    family_name: str | None
    status: str


@dataclass
class Worker:
    id: str
    capacity_hours: float
    load_hours: float
    open_cases: int
    max_open_cases: int
    held_hours: float  # weekly hours of the cases it holds (offered, assigned, on hold)
    held_cases: int


@dataclass
class Tally:
    submitted: int = 0
    accounted: int = 0
    lost: int = 0
    duplicated: int = 0
    capacity_violations: int = 0
    outcomes: Counter = field(default_factory=Counter)  # final status (or "refused") -> count


@dataclass
class Audit:
    by_fault: dict[str, Tally]
    total: Tally
    problems: list[str]  # each lost or duplicated submission and each worker over capacity, in words


def account(ledger: list[Submission], referrals: list[Referral], kafka_refusals: dict[str, str],
            events_applied_twice: dict[str, int], workers: list[Worker]) -> Audit:
    """`kafka_refusals`: reference -> reason for Kafka submissions intake refused; `events_applied_twice`:
    referral id -> events its timeline shows more than once."""
    by_reference = defaultdict(list)
    by_name = defaultdict(list)
    for r in referrals:
        if r.partner_referral_id:
            by_reference[(r.partner_id, r.partner_referral_id)].append(r)
        if r.family_name:
            by_name[r.family_name].append(r)
    by_fault: dict[str, Tally] = defaultdict(Tally)
    total = Tally()
    problems = []
    for s in ledger:
        rows = by_reference[(s.partner_id, s.reference)] if s.reference else by_name[s.family_name]
        effective = [r for r in rows if r.status != "duplicate"] or rows[:1]
        tallies = (by_fault[s.fault], total)
        for t in tallies:
            t.submitted += 1
        refusal = s.reason if s.answer == "refused" else kafka_refusals.get(s.reference or "")
        twice = sum(events_applied_twice.get(r.id, 0) for r in rows)
        if len(effective) > 1 or twice:
            outcome = "duplicated"
            problems.append(f"#{s.number} {s.channel} ({s.fault}): {len(effective)} referrals, "
                            f"{twice} events applied twice")
            for t in tallies:
                t.duplicated += 1
        elif not effective and refusal:
            outcome = "refused"
        elif effective and effective[0].status in ANSWERED:
            outcome = effective[0].status
        else:
            outcome = "lost"
            state = effective[0].status if effective else "no referral"
            problems.append(f"#{s.number} {s.channel} ({s.fault}): sender {s.answer}, {state}")
        for t in tallies:
            t.outcomes[outcome] += 1
            if outcome == "lost":
                t.lost += 1
            elif outcome != "duplicated":
                t.accounted += 1
    for w in workers:
        if w.held_hours > w.capacity_hours or w.load_hours > w.capacity_hours or w.held_cases > w.max_open_cases:
            total.capacity_violations += 1
            problems.append(f"worker {w.id}: {w.held_hours} hours held of {w.capacity_hours}")
        if w.load_hours != w.held_hours or w.open_cases != w.held_cases:
            total.duplicated += 1
            problems.append(f"worker {w.id}: load {w.load_hours} hours / {w.open_cases} cases recorded, "
                            f"{w.held_hours} / {w.held_cases} held")
    return Audit(dict(by_fault), total, problems)


async def read(conn, kek: KeyEncryptionKey) -> tuple[list[Referral], dict[str, str], dict[str, int], list[Worker]]:
    """What the database holds, read with the operator's connection (asyncpg) and intake's key-encryption key
    (the registry and raw submissions are sealed)."""
    sealer = Sealer(kek, _IntakeKeys(conn))
    referrals = [Referral(str(r["id"]), r["partner_id"], r["partner_referral_id"],
                          await _family_name(sealer, r["person"]), r["status"])
                 for r in await conn.fetch("SELECT id, partner_id, partner_referral_id, status, person::text AS person "
                                           "FROM intake.referrals")]
    refusals = {}
    for row in await conn.fetch("SELECT body, errors FROM intake.submissions "
                                "WHERE channel = 'partner_kafka' AND outcome = 'rejected'"):
        try:
            reference = json.loads(await _body(sealer, bytes(row["body"])))["partner_referral_id"]
        except (ValueError, KeyError, TypeError):
            continue
        refusals[reference] = str(row["errors"])
    twice = {str(r["referral_id"]): r["n"] for r in await conn.fetch(
        "SELECT referral_id, count(*) - count(DISTINCT event_id) AS n FROM intake.referral_timeline "
        "WHERE event_id IS NOT NULL GROUP BY referral_id HAVING count(*) > count(DISTINCT event_id)")}
    workers = [Worker(str(r["id"]), float(r["capacity_hours"]), float(r["load_hours"]), r["open_cases"],
                      r["max_open_cases"], float(r["held_hours"]), r["held_cases"]) for r in await conn.fetch(
        "SELECT w.id, w.capacity_hours, w.load_hours, w.open_cases, w.max_open_cases, "
        "coalesce(sum(c.expected_weekly_hours) FILTER (WHERE c.status IN ('offered', 'assigned', 'on_hold')), 0)"
        " AS held_hours, count(c.id) FILTER (WHERE c.status IN ('offered', 'assigned', 'on_hold')) AS held_cases "
        "FROM caseload.workers w LEFT JOIN caseload.cases c ON c.worker_id = w.id GROUP BY w.id")]
    return referrals, refusals, twice, workers


async def settled(conn, ledger: list[Submission], kek: KeyEncryptionKey) -> bool:
    """Nothing still moving: no referral between received and its answer, every outbox published, and every
    submission found as a referral or a refusal."""
    moving = await conn.fetchval("SELECT count(*) FROM intake.referrals WHERE status = ANY($1::text[])",
                                 sorted(STILL_MOVING))
    if moving:
        return False
    for schema in ("intake", "triage", "caseload", "outcomes", "identity"):
        if await conn.fetchval(f"SELECT count(*) FROM {schema}.outbox WHERE published_at IS NULL"):
            return False
    audit = account(ledger, *await read(conn, kek))
    return audit.total.lost == 0


def render(audit: Audit, faults: list, seconds: float, restarts: int) -> list[str]:
    kinds = list(dict.fromkeys([f.kind for f in faults]))
    injected = Counter(f.kind for f in faults)
    width = max([len(k) for k in kinds] + [len("before any fault"), 12])
    head = f"{'fault kind':<{width}}  {'injected':>8}  {'submitted':>9}  {'accounted':>9}  {'lost':>4}  " \
           f"{'duplicated':>10}  {'capacity':>8}"
    lines = [f"referrals chaos: {len(faults)} faults injected in {seconds / 60:.1f} minutes; "
             f"{restarts} service restarts by the supervisor", "", head, "-" * len(head)]
    for kind in ["none", *kinds]:
        t = audit.by_fault.get(kind, Tally())
        label = "before any fault" if kind == "none" else kind
        lines.append(f"{label:<{width}}  {injected.get(kind, 0):>8}  {t.submitted:>9}  {t.accounted:>9}  "
                     f"{t.lost:>4}  {t.duplicated:>10}  {t.capacity_violations:>8}")
    t = audit.total
    lines += ["-" * len(head), f"{'total':<{width}}  {len(faults):>8}  {t.submitted:>9}  {t.accounted:>9}  "
              f"{t.lost:>4}  {t.duplicated:>10}  {t.capacity_violations:>8}", "",
              "how the submissions ended: " + ", ".join(f"{k} {v}" for k, v in sorted(t.outcomes.items()))]
    if audit.problems:
        lines += ["", "problems:"] + [f"  {p}" for p in audit.problems[:50]]
    return lines
