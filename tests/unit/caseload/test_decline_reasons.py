"""A declined offer's reason: coded (counted by the report of declines), with a sealed note where there is one;
and that report, counted by reason and worker for the viewer's programmes and sites."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from services.caseload.domain.model import NotAllowed
from services.caseload.entrypoints.http import OfferResponse
from services.caseload.service_layer import handlers, queries
from services.caseload.service_layer import commands as c
from services.caseload.service_layer.errors import Forbidden, Invalid
from services.caseload.service_layer.ownership import Viewer
from services.caseload.service_layer.timers import run_timers
from shared.platform.sealing import is_sealed
from shared.schemas import topics
from shared.schemas.envelope import new_envelope
from shared.schemas.events import case as ev
from shared.schemas.events.case import DeclineReason
from shared.schemas.registry import parse_envelope
from tests.unit.caseload.fakes import FakeCaseloadUnitOfWork
from tests.unit.caseload.test_handlers import STAFF, add_worker, decided, open_case

TODAY = datetime.now(UTC).date()


@pytest.fixture
def uow() -> FakeCaseloadUnitOfWork:
    return FakeCaseloadUnitOfWork()


async def offered(uow, worker_id: uuid.UUID) -> dict:
    (offer,) = await uow.offers.for_worker(worker_id)
    return offer


def declines(uow) -> list[ev.CaseOfferDeclined]:
    return [e for e in uow.events(topics.CASES) if e.event_type == "case.offer_declined"]


async def test_a_coded_decline_keeps_the_code_on_the_offer_and_in_the_event(uow):
    asha = await add_worker(uow)
    await open_case(uow)
    offer = await offered(uow, asha)
    await handlers.handle(c.DeclineOffer(STAFF, offer["id"], None, reason_code=DeclineReason.LANGUAGE), uow)
    stored = uow.offers.by_id[offer["id"]]
    assert (stored["status"], stored["response_code"], stored["response_reason"]) == ("declined", "language", None)
    [event] = declines(uow)
    assert type(event) is ev.CaseOfferDeclinedV3
    assert (event.reason_code, event.reason) == (DeclineReason.LANGUAGE, None)


async def test_a_code_with_a_note_seals_the_note_and_keeps_the_code_clear(uow):
    asha = await add_worker(uow)
    await open_case(uow)
    offer = await offered(uow, asha)
    await handlers.handle(c.DeclineOffer(STAFF, offer["id"], "On leave until the 14th", reason_code=DeclineReason.AWAY),
                          uow)
    [event] = declines(uow)
    assert event.reason_code == "away" and is_sealed(event.reason)
    assert "On leave" not in event.model_dump_json()
    stored = uow.offers.by_id[offer["id"]]
    assert stored["response_code"] == "away" and is_sealed(stored["response_reason"])


@pytest.mark.parametrize("note", [None, "", "   "])
async def test_other_without_a_reason_is_refused_and_the_offer_stays_open(uow, note):
    asha = await add_worker(uow)
    case = await open_case(uow)
    offer = await offered(uow, asha)
    with pytest.raises(NotAllowed, match="'other' needs a reason"):
        await handlers.handle(c.DeclineOffer(STAFF, offer["id"], note, reason_code=DeclineReason.OTHER), uow)
    with pytest.raises(NotAllowed, match="a reason code or a reason"):
        await handlers.handle(c.DeclineOffer(STAFF, offer["id"], note), uow)
    assert uow.offers.by_id[offer["id"]]["status"] == "open" and case.status == "offered"
    assert declines(uow) == []


async def test_other_with_a_reason_is_taken(uow):
    asha = await add_worker(uow)
    await open_case(uow)
    offer = await offered(uow, asha)
    await handlers.handle(c.DeclineOffer(STAFF, offer["id"], "Moving house", reason_code=DeclineReason.OTHER), uow)
    [event] = declines(uow)
    assert event.reason_code == "other" and is_sealed(event.reason)


async def test_a_reason_alone_from_an_older_client_is_still_taken_uncoded(uow):
    asha = await add_worker(uow)
    await open_case(uow)
    offer = await offered(uow, asha)
    body = OfferResponse.model_validate({"reason": "away: On leave"})  # what the workspace sent before the codes
    await handlers.handle(c.DeclineOffer(STAFF, offer["id"], body.reason, reason_code=body.reason_code), uow)
    [event] = declines(uow)
    assert event.reason_code is None and is_sealed(event.reason)
    assert uow.offers.by_id[offer["id"]]["response_code"] is None


def test_the_decline_body_takes_only_the_codes_and_a_bounded_note():
    assert OfferResponse.model_validate({"reason_code": "too_far"}).reason_code == DeclineReason.TOO_FAR
    for bad in ({"reason_code": "busy"}, {"reason_code": "away", "reason": "x" * 501}):
        with pytest.raises(ValidationError):
            OfferResponse.model_validate(bad)


# --- the report ---------------------------------------------------------------------------------------


async def declined_and_lapsed(uow) -> dict[str, uuid.UUID]:
    """Asha (North) declines one case for language and one with a note only; Ben (South), added after, declines
    the first as away and lets the second lapse. Cai, in another programme, declines for skills."""
    asha = await add_worker(uow, name="Asha", site="North")
    first, second = await open_case(uow), await open_case(uow)
    for case_id, code, note in ((first.id, DeclineReason.LANGUAGE, None), (second.id, None, "Full this week")):
        [offer] = [o for o in await uow.offers.for_worker(asha) if o["case_id"] == case_id]
        await handlers.handle(c.DeclineOffer(STAFF, offer["id"], note, reason_code=code), uow)
    ben = await add_worker(uow, name="Ben", site="South")  # both waiting cases are offered to him
    [offer] = [o for o in await uow.offers.for_worker(ben) if o["case_id"] == first.id]
    await handlers.handle(c.DeclineOffer(STAFF, offer["id"], None, reason_code=DeclineReason.AWAY), uow)
    assert (await run_timers(uow, datetime.now(UTC) + timedelta(days=3)))["offers_expired"] == 1

    cai = uuid.uuid4()
    await handlers.handle(c.AddWorker(STAFF, cai, "elsewhere", {"name": "Cai", "role": "connector",
                                                               "capacity_hours": Decimal(3), "site": "North"}), uow)
    await open_case(uow, decided().model_copy(update={"programme_id": "elsewhere"}))
    await handlers.handle(c.DeclineOffer(STAFF, (await offered(uow, cai))["id"], None,
                                         reason_code=DeclineReason.SKILLS), uow)
    return {"asha": asha, "ben": ben, "cai": cai}


async def test_the_report_counts_declines_by_reason_and_worker_and_the_lapses(uow):
    workers = await declined_and_lapsed(uow)
    report = await queries.offer_declines(uow, "demo", TODAY)
    assert (report["declined"], report["expired"]) == (3, 1)
    assert sorted(((r["reason_code"] or "uncoded"), r["declined"]) for r in report["by_reason"]) == [
        ("away", 1), ("language", 1), ("uncoded", 1)]
    assert report["by_worker"] == [
        {"worker_id": workers["asha"], "name": "Asha", "site": "North", "declined": 2, "expired": 0},
        {"worker_id": workers["ben"], "name": "Ben", "site": "South", "declined": 1, "expired": 1}]
    assert (report["programme_id"], report["since"]) == ("demo", TODAY.isoformat())


async def test_the_report_counts_only_the_viewers_sites_and_programmes(uow):
    workers = await declined_and_lapsed(uow)
    north = Viewer(programmes=frozenset({"demo"}), sites=frozenset({"North"}))
    report = await queries.offer_declines(uow, "demo", TODAY, north)
    assert (report["declined"], report["expired"]) == (2, 0)
    assert {r["reason_code"] for r in report["by_reason"]} == {"language", None}
    assert [w["name"] for w in report["by_worker"]] == ["Asha"]

    as_ben = Viewer(own_work_only=True, worker_id=workers["ben"])
    report = await queries.offer_declines(uow, "demo", TODAY, as_ben)
    assert [(w["name"], w["declined"], w["expired"]) for w in report["by_worker"]] == [("Ben", 1, 1)]

    with pytest.raises(Forbidden):
        await queries.offer_declines(uow, "demo", TODAY, Viewer(programmes=frozenset({"elsewhere"})))


async def test_the_report_counts_from_the_day_asked(uow):
    await declined_and_lapsed(uow)  # declined today; the lapse three days on (the timers ran then)
    report = await queries.offer_declines(uow, "demo", TODAY + timedelta(days=2))
    assert (report["declined"], report["expired"], report["by_reason"]) == (0, 1, [])
    assert [(w["name"], w["declined"], w["expired"]) for w in report["by_worker"]] == [("Ben", 0, 1)]


def test_the_report_looks_back_90_days_unless_asked_and_never_more_than_a_year():
    today = date(2026, 12, 5)
    assert queries.declines_since(None, today) == date(2026, 9, 6)
    assert queries.declines_since(date(2026, 1, 1), today) == date(2026, 1, 1)
    for outside in (date(2025, 12, 3), date(2026, 12, 6)):
        with pytest.raises(Invalid, match="since"):
            queries.declines_since(outside, today)


async def test_the_v3_decline_crosses_the_wire_coded_and_uncoded(uow):
    """Intake and outcomes read caseload.cases through the registry: each v3 decline parses back as it was sent
    (neither projects declines, so parsing is all they need of it)."""
    asha = await add_worker(uow)
    await open_case(uow)
    await open_case(uow)
    first, second = await uow.offers.for_worker(asha)
    await handlers.handle(c.DeclineOffer(STAFF, first["id"], None, reason_code=DeclineReason.TOO_FAR), uow)
    await handlers.handle(c.DeclineOffer(STAFF, second["id"], "Full this week"), uow)
    for sent in declines(uow):
        wire = new_envelope(sent, source="/caseload", subject=str(sent.case_id), correlation_id=uuid.uuid4())
        _, parsed = parse_envelope(wire.model_dump_json())
        assert type(parsed) is ev.CaseOfferDeclinedV3 and parsed == sent
