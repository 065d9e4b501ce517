"""Uncertain person matches, decided by a person."""

from __future__ import annotations

from typing import Any

from services.intake.service_layer import commands as c
from services.intake.service_layer.errors import Forbidden, NotFound, Refused
from services.intake.service_layer.unit_of_work import IntakeUnitOfWork


async def decide_match_review(cmd: c.DecideMatchReview, uow: IntakeUnitOfWork) -> dict[str, Any]:
    async with uow:
        review = await uow.persons.review(cmd.review_id)
        if review is None:
            raise NotFound("no such review")
        referral = await uow.referrals.get(review["referral_id"])
        if cmd.actor_programmes is not None and (referral is None or referral.programme_id not in cmd.actor_programmes):
            raise Forbidden("this review is of a referral to a programme you do not work in")
        if review["status"] != "open":
            raise Refused("this review is already decided")
        if cmd.same_person:
            await uow.persons.merge(review["person_id"], review["candidate_person_id"])
        await uow.persons.decide_review(cmd.review_id, "same_person" if cmd.same_person else "different_people",
                                        cmd.actor)
        await uow.commit()
    return {"review_id": str(cmd.review_id), "same_person": cmd.same_person}
