"""Triage use cases: decide referrals, the human review queue, overrides, rule sets and what-if."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from services.triage.adapters import tables as t
from services.triage.domain.decide import TriageOutcome, decide, size_accepted
from services.triage.domain.facts import ReferralFacts, facts_of
from services.triage.domain.ruleset import RuleSet
from services.triage.service_layer.rulebook import RuleBook
from services.triage.adapters.unit_of_work import TriageUnitOfWork
from shared.schemas import topics
from shared.schemas.envelope import Envelope
from shared.schemas.events.referral import ReferralReceived
from shared.schemas.events.triage import Complexity, Decision, Pathway, RuleOutcome, TriageDecided

CONSUMER_REFERRALS = topics.consumer_group("triage", topics.REFERRALS)


class ReviewError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


async def triage_referral(uow_factory, rulebook: RuleBook, envelope: Envelope, referral: ReferralReceived) -> None:
    async with uow_factory() as uow:
        if not await uow.first_delivery(CONSUMER_REFERRALS, envelope):
            return
        facts = facts_of(referral)
        ruleset = await rulebook.in_effect(uow.conn, referral.programme_id, referral.received_at)
        if ruleset is None:
            outcome = TriageOutcome(
                Decision.NEEDS_REVIEW, "unknown_programme",
                [RuleOutcome(rule_id="programme.known", passed=False,
                             explanation=f"No rule set for programme {referral.programme_id!r} on that date.")],
                ruleset_version="none", review_reasons=["unknown_programme"],
            )
        else:
            outcome = decide(facts, ruleset)
        now = datetime.now(UTC)
        await _record(uow, referral.referral_id, referral.person_id, referral.partner_id, facts, outcome, now,
                      correlation_id=envelope.correlationid, causation_id=envelope.id,
                      previous_referral_id=referral.previous_referral_id, first=True)
        if outcome.decision == Decision.NEEDS_REVIEW:
            due_hours = ruleset.review_due_hours if ruleset else 24
            await uow.conn.execute(sa.insert(t.reviews).values(
                id=uuid.uuid4(), referral_id=referral.referral_id, programme_id=referral.programme_id,
                reasons=[r.model_dump() for r in outcome.rules if r.rule_id.startswith(("review.", "programme."))],
                created_at=now, due_at=now + timedelta(hours=due_hours)))
        await uow.commit()


async def _record(uow: TriageUnitOfWork, referral_id, person_id, partner_id, facts: ReferralFacts,
                  outcome: TriageOutcome, now: datetime, *, correlation_id, causation_id=None,
                  decided_by: str | None = None, note: str | None = None, previous_referral_id=None,
                  first: bool) -> None:
    event = TriageDecided(
        referral_id=referral_id, person_id=person_id, programme_id=facts.programme_id,
        decision=outcome.decision, reason_code=outcome.reason_code, rules=outcome.rules,
        ruleset_version=outcome.ruleset_version, complexity=outcome.complexity, pathway=outcome.pathway,
        priority=outcome.priority, expected_weekly_hours=outcome.expected_weekly_hours, decided_at=now,
        signposting=outcome.signposting, language=facts.language, interpreter_needed=facts.interpreter_needed,
        worker_gender_preference=facts.worker_gender_preference, home_visit_needed=outcome.home_visit_needed,
        postcode_district=facts.postcode_district, postcode_sector=facts.postcode_sector, ward=facts.ward,
        trigger_groups=list(facts.trigger_groups), needs=list(facts.needs), review_reasons=outcome.review_reasons,
        decided_by=decided_by, previous_referral_id=previous_referral_id,
    )
    values = dict(
        decision=outcome.decision.value, reason_code=outcome.reason_code, ruleset_version=outcome.ruleset_version,
        rules=[r.model_dump() for r in outcome.rules],
        complexity=outcome.complexity.value if outcome.complexity else None,
        pathway=outcome.pathway.value if outcome.pathway else None, priority=outcome.priority,
        expected_weekly_hours=outcome.expected_weekly_hours, decided_at=now, signposting=outcome.signposting,
        review_reasons=outcome.review_reasons, decided_by=decided_by, event=event.model_dump(mode="json"),
    )
    if first:
        await uow.conn.execute(sa.insert(t.decisions).values(
            referral_id=referral_id, person_id=person_id, programme_id=facts.programme_id,
            referring_partner_id=partner_id, facts=facts.to_json(), received_at=facts.received_at,
            correlation_id=correlation_id, **values))
    else:
        await uow.conn.execute(sa.update(t.decisions).where(t.decisions.c.referral_id == referral_id).values(**values))
    await uow.conn.execute(sa.insert(t.decision_history).values(
        referral_id=referral_id, decision=outcome.decision.value, reason_code=outcome.reason_code,
        ruleset_version=outcome.ruleset_version, decided_by=decided_by, note=note, decided_at=now))
    await uow.emit(event, topic=topics.TRIAGE_DECISIONS, subject=str(referral_id), correlation_id=correlation_id,
                   causation_id=causation_id)


# --- the human review queue ------------------------------------------------------------


async def list_reviews(uow_factory, programme_id: str | None = None) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    async with uow_factory() as uow:
        query = sa.select(t.reviews).where(t.reviews.c.status != "decided").order_by(t.reviews.c.created_at)
        if programme_id:
            query = query.where(t.reviews.c.programme_id == programme_id)
        rows = [dict(r._mapping) for r in await uow.conn.execute(query)]
    for row in rows:
        row["age_hours"] = round((now - row["created_at"]).total_seconds() / 3600, 2)
        row["overdue"] = now > row["due_at"]
    return rows


async def claim_review(uow_factory, review_id: uuid.UUID, reviewer: str) -> dict[str, Any]:
    async with uow_factory() as uow:
        review = await _locked_review(uow, review_id)
        if review["status"] == "decided":
            raise ReviewError(409, "this review is already decided")
        if review["claimed_by"] not in (None, reviewer):
            raise ReviewError(409, f"already claimed by {review['claimed_by']}")
        await uow.conn.execute(sa.update(t.reviews).where(t.reviews.c.id == review_id).values(
            status="claimed", claimed_by=reviewer, claimed_at=datetime.now(UTC)))
        await uow.commit()
        return {**review, "status": "claimed", "claimed_by": reviewer}


async def _locked_review(uow, review_id):
    row = (await uow.conn.execute(sa.select(t.reviews).where(t.reviews.c.id == review_id).with_for_update())).first()
    if row is None:
        raise ReviewError(404, "no such review")
    return dict(row._mapping)


async def decide_review(uow_factory, rulebook: RuleBook, review_id: uuid.UUID, reviewer: str,
                        decision: Decision, reason_code: str | None, note: str,
                        sizing: dict[str, Any]) -> dict[str, Any]:
    async with uow_factory() as uow:
        review = await _locked_review(uow, review_id)
        if review["status"] == "decided":
            raise ReviewError(409, "this review is already decided")
        if review["claimed_by"] not in (None, reviewer):
            raise ReviewError(409, f"claimed by {review['claimed_by']}: only they can decide it")
        outcome = await _human_outcome(uow, rulebook, review["referral_id"], decision, reason_code, note, sizing)
        await _apply_human(uow, review["referral_id"], outcome, reviewer, note)
        await uow.conn.execute(sa.update(t.reviews).where(t.reviews.c.id == review_id).values(
            status="decided", decided_by=reviewer, decided_at=datetime.now(UTC), outcome=decision.value, note=note))
        await uow.commit()
        return {"review_id": str(review_id), "decision": decision.value, "decided_by": reviewer}


async def override(uow_factory, rulebook: RuleBook, referral_id: uuid.UUID, reviewer: str, decision: Decision,
                   reason_code: str | None, note: str, sizing: dict[str, Any]) -> dict[str, Any]:
    """A person changes a decision (e.g. a resident's own sense of their ward), with the reason recorded."""
    async with uow_factory() as uow:
        outcome = await _human_outcome(uow, rulebook, referral_id, decision, reason_code, note, sizing)
        await _apply_human(uow, referral_id, outcome, reviewer, note)
        await uow.conn.execute(sa.update(t.reviews).where(
            t.reviews.c.referral_id == referral_id, t.reviews.c.status != "decided").values(
            status="decided", decided_by=reviewer, decided_at=datetime.now(UTC), outcome=decision.value, note=note))
        await uow.commit()
        return {"referral_id": str(referral_id), "decision": decision.value, "decided_by": reviewer}


async def _human_outcome(uow, rulebook, referral_id, decision, reason_code, note, sizing) -> TriageOutcome:
    row = (await uow.conn.execute(sa.select(t.decisions).where(t.decisions.c.referral_id == referral_id)
                                  .with_for_update())).first()
    if row is None:
        raise ReviewError(404, "no decision for that referral")
    facts = ReferralFacts.from_json(row.facts)
    rules = [RuleOutcome(rule_id="review.human_decision", passed=decision == Decision.ACCEPTED,
                         explanation=f"Decided by a person: {note}")]
    if decision == Decision.ACCEPTED:
        ruleset = await rulebook.version(uow.conn, facts.programme_id, row.ruleset_version)
        if ruleset is None:
            ruleset = await rulebook.in_effect(uow.conn, facts.programme_id, facts.received_at)
        if ruleset is None:
            if not {"complexity", "pathway", "expected_weekly_hours"} <= sizing.keys():
                raise ReviewError(422, "no rule set to size this case: give complexity, pathway and expected_weekly_hours")
            sized = TriageOutcome(Decision.ACCEPTED, None, rules, "none", priority=3)
        else:
            sized = size_accepted(facts, ruleset, rules)
        return TriageOutcome(
            Decision.ACCEPTED, reason_code, sized.rules, sized.ruleset_version,
            complexity=Complexity(sizing.get("complexity") or sized.complexity),
            pathway=Pathway(sizing.get("pathway") or sized.pathway),
            priority=sizing.get("priority") or sized.priority,
            expected_weekly_hours=sizing.get("expected_weekly_hours") or sized.expected_weekly_hours,
            home_visit_needed=sized.home_visit_needed,
        )
    if not reason_code:
        raise ReviewError(422, "a declined or redirected decision needs a reason_code")
    return TriageOutcome(decision, reason_code, rules, row.ruleset_version, signposting=sizing.get("signposting"))


async def _apply_human(uow, referral_id, outcome: TriageOutcome, reviewer: str, note: str) -> None:
    row = (await uow.conn.execute(sa.select(t.decisions).where(t.decisions.c.referral_id == referral_id))).first()
    facts = ReferralFacts.from_json(row.facts)
    await _record(uow, referral_id, row.person_id, row.referring_partner_id, facts, outcome, datetime.now(UTC),
                  correlation_id=row.correlation_id, decided_by=reviewer, note=note,
                  previous_referral_id=(row.event or {}).get("previous_referral_id"), first=False)


# --- rule sets and what-if ----------------------------------------------------------------


async def publish_ruleset(uow_factory, ruleset: RuleSet, created_by: str) -> None:
    async with uow_factory() as uow:
        exists = (await uow.conn.execute(sa.select(t.rulesets.c.version).where(
            t.rulesets.c.programme_id == ruleset.programme_id, t.rulesets.c.version == ruleset.version))).first()
        if exists:
            raise ReviewError(409, f"version {ruleset.version} of {ruleset.programme_id} exists; versions never change")
        await uow.conn.execute(sa.insert(t.rulesets).values(
            programme_id=ruleset.programme_id, version=ruleset.version, effective_from=ruleset.effective_from,
            status="published", body=ruleset.model_dump(mode="json"), created_by=created_by))
        await uow.commit()


async def what_if(uow_factory, draft: RuleSet, received_from: datetime | None = None,
                  received_to: datetime | None = None, list_limit: int = 1000) -> dict[str, Any]:
    """How many past automated decisions the draft would change, and which."""
    d = t.decisions
    async with uow_factory() as uow:
        query = sa.select(d.c.referral_id, d.c.facts, d.c.ruleset_version).where(d.c.programme_id == draft.programme_id)
        if received_from:
            query = query.where(d.c.received_at >= received_from)
        if received_to:
            query = query.where(d.c.received_at < received_to)
        rows = (await uow.conn.execute(query.order_by(d.c.received_at))).all()
        firsts = await _automated_decisions(uow, [r.referral_id for r in rows])
    changes: list[dict[str, Any]] = []
    moves: Counter = Counter()
    for row in rows:
        before = firsts[row.referral_id]
        after = decide(ReferralFacts.from_json(row.facts), draft)
        if (before["decision"], before["reason_code"]) != (after.decision.value, after.reason_code):
            moves[(before["decision"], after.decision.value)] += 1
            if len(changes) < list_limit:
                changes.append({"referral_id": str(row.referral_id), "before": before,
                                "after": {"decision": after.decision.value, "reason_code": after.reason_code},
                                "rules": [r.model_dump() for r in after.rules if not r.passed]})
    return {
        "programme_id": draft.programme_id,
        "draft_version": draft.version,
        "referrals": len(rows),
        "changed": sum(moves.values()),
        "moves": [{"from": a, "to": b, "count": n} for (a, b), n in sorted(moves.items())],
        "changes": changes,
    }


async def _automated_decisions(uow, referral_ids) -> dict[uuid.UUID, dict[str, Any]]:
    """The first (automated) decision of each referral: what the rules said, before any person."""
    h = t.decision_history
    first = (sa.select(h.c.referral_id, sa.func.min(h.c.id).label("id")).where(h.c.referral_id.in_(referral_ids))
             .group_by(h.c.referral_id).subquery())
    rows = await uow.conn.execute(sa.select(h.c.referral_id, h.c.decision, h.c.reason_code, h.c.ruleset_version)
                                  .join(first, first.c.id == h.c.id))
    return {r.referral_id: {"decision": r.decision, "reason_code": r.reason_code, "ruleset_version": r.ruleset_version}
            for r in rows}


async def appropriateness(uow_factory, programme_id: str | None, since: datetime | None) -> list[dict[str, Any]]:
    """Declined and redirected referrals by referring organisation and reason, to talk to referrers."""
    d = t.decisions
    organisation = d.c.facts["referring_organisation"].astext
    query = (sa.select(organisation.label("referring_organisation"), d.c.decision, d.c.reason_code,
                       sa.func.count().label("referrals"))
             .where(d.c.decision.in_(["declined", "redirected"]))
             .group_by(organisation, d.c.decision, d.c.reason_code)
             .order_by(sa.func.count().desc(), organisation))
    totals = sa.select(organisation.label("referring_organisation"), sa.func.count().label("total")).group_by(organisation)
    if programme_id:
        query = query.where(d.c.programme_id == programme_id)
        totals = totals.where(d.c.programme_id == programme_id)
    if since:
        query = query.where(d.c.decided_at >= since)
        totals = totals.where(d.c.decided_at >= since)
    async with uow_factory() as uow:
        all_by_org = {r.referring_organisation: r.total for r in await uow.conn.execute(totals)}
        rows = [dict(r._mapping) for r in await uow.conn.execute(query)]
    for row in rows:
        total = all_by_org.get(row["referring_organisation"], 0)
        row["of_all_referrals_from_organisation"] = total
        row["share"] = round(row["referrals"] / total, 3) if total else None
    return rows
