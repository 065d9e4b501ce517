"""A worker acting as itself changes and reads only its own offers and cases (refused in the service layer)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from services.caseload.service_layer import handlers, queries
from services.caseload.service_layer import commands as c
from services.caseload.service_layer.errors import Forbidden
from services.caseload.service_layer.ownership import Viewer
from tests.unit.caseload.fakes import FakeCaseloadUnitOfWork
from tests.unit.caseload.test_handlers import PROGRAMME, add_worker, assigned_case, open_case


@pytest.fixture
def uow() -> FakeCaseloadUnitOfWork:
    return FakeCaseloadUnitOfWork()


def contact(case_id, *, worker_id, own_only=True) -> c.RecordContact:
    return c.RecordContact("someone", case_id, kind="phone", minutes=15, occurred_at=datetime.now(UTC),
                           own_work_only=own_only, actor_worker_id=worker_id)


async def test_a_worker_records_a_contact_on_its_own_case_but_not_on_another_workers(uow):
    case, asha = await assigned_case(uow)
    other = await add_worker(uow, name="Ben")

    assert await handlers.handle(contact(case.id, worker_id=asha), uow) == 1
    with pytest.raises(Forbidden, match="another worker"):
        await handlers.handle(contact(case.id, worker_id=other), uow)
    with pytest.raises(Forbidden):  # a worker's token naming no worker profile acts on nobody's case
        await handlers.handle(contact(case.id, worker_id=None), uow)
    assert (await uow.cases.get(case.id)).state.contacts == 1


async def test_closing_holding_and_goals_on_another_workers_case_are_refused(uow):
    case, _asha = await assigned_case(uow)
    ben = await add_worker(uow, name="Ben")
    for command in (c.PutOnHold("ben", case.id, "away", own_work_only=True, actor_worker_id=ben),
                    c.SetGoal("ben", case.id, "join the walking group", own_work_only=True, actor_worker_id=ben)):
        with pytest.raises(Forbidden):
            await handlers.handle(command, uow)
    assert (await uow.cases.get(case.id)).status == "assigned"


async def test_a_coordinator_acts_on_any_workers_case(uow):
    case, _asha = await assigned_case(uow)
    assert await handlers.handle(contact(case.id, worker_id=None, own_only=False), uow) == 1


async def test_a_worker_accepts_only_its_own_offer(uow):
    asha = await add_worker(uow, name="Asha", auto_accept_offers=False)
    case = await open_case(uow)
    offers = await queries.open_offers(uow, asha)
    assert len(offers) == 1 and case.status == "offered"
    ben = uuid.uuid4()
    with pytest.raises(Forbidden, match="offer is not yours"):
        await handlers.handle(c.AcceptOffer("ben", offers[0]["id"], own_work_only=True, actor_worker_id=ben), uow)
    with pytest.raises(Forbidden):
        await handlers.handle(c.DeclineOffer("ben", offers[0]["id"], "busy", own_work_only=True,
                                             actor_worker_id=ben), uow)
    result = await handlers.handle(c.AcceptOffer("asha", offers[0]["id"], own_work_only=True, actor_worker_id=asha),
                                   uow)
    assert result["status"] == "accepted"


async def test_a_worker_reads_only_its_own_cases_and_offers(uow):
    case, asha = await assigned_case(uow)
    ben = await add_worker(uow, name="Ben")
    as_ben = Viewer(own_work_only=True, worker_id=ben)
    with pytest.raises(Forbidden):
        await queries.case_summary(uow, case.id, as_ben)
    with pytest.raises(Forbidden):
        await queries.case_events(uow, case.id, as_ben)
    with pytest.raises(Forbidden):
        await queries.open_offers(uow, asha, as_ben)
    assert await queries.find_cases(uow, as_ben) == []
    assert await queries.find_cases(uow, as_ben, worker_id=asha) == []
    mine = await queries.find_cases(uow, Viewer(own_work_only=True, worker_id=asha))
    assert [row["id"] for row in mine] == [case.id]
    assert (await queries.case_summary(uow, case.id, Viewer(True, asha)))["worker_id"] == asha


# --- a coordinator of some programmes coordinates those only -------------------------------------------

OTHER_PROGRAMMES = frozenset({"leicester-ageing-together"})


async def test_a_coordinator_of_another_programme_neither_changes_nor_reads_the_case(uow):
    case, asha = await assigned_case(uow)
    elsewhere = dict(actor_programmes=OTHER_PROGRAMMES)
    for command in (c.RecordContact("coord", case.id, kind="phone", minutes=5, occurred_at=datetime.now(UTC),
                                    **elsewhere),
                    c.PutOnHold("coord", case.id, "away", **elsewhere),
                    c.UpdateWorker("coord", asha, {"capacity_hours": 30}, **elsewhere),
                    c.SetProgrammeSettings("coord", PROGRAMME, {"ageing_days": 3}, **elsewhere)):
        with pytest.raises(Forbidden, match="programme you do not work in"):
            await handlers.handle(command, uow)
    assert (await uow.cases.get(case.id)).state.contacts == 0
    viewer = Viewer(programmes=OTHER_PROGRAMMES)
    with pytest.raises(Forbidden):
        await queries.case_summary(uow, case.id, viewer)
    with pytest.raises(Forbidden):
        await queries.case_events(uow, case.id, viewer)
    with pytest.raises(Forbidden):
        await queries.waiting_list(uow, PROGRAMME, viewer)
    assert await queries.find_cases(uow, viewer) == []
    assert await queries.workers(uow, None, viewer) == []


async def test_a_coordinator_of_the_programme_does_its_work(uow):
    case, asha = await assigned_case(uow)
    here = frozenset({PROGRAMME})
    assert await handlers.handle(c.RecordContact("coord", case.id, kind="phone", minutes=5,
                                                 occurred_at=datetime.now(UTC), actor_programmes=here), uow) == 1
    viewer = Viewer(programmes=here)
    assert (await queries.case_summary(uow, case.id, viewer))["contact_count"] == 1
    assert [row["id"] for row in await queries.find_cases(uow, viewer)] == [case.id]
    assert [w["id"] for w in await queries.workers(uow, None, viewer)] == [asha]


# --- a coordinator of some sites coordinates the workers there and the cases they hold -------------------

DALSTON, HACKNEY_WICK = frozenset({"Dalston"}), frozenset({"Hackney Wick"})


async def test_a_sites_coordinator_acts_on_cases_held_at_their_sites_only(uow):
    asha = await add_worker(uow, name="Asha", site="Dalston", auto_accept_offers=True)
    case, _ = await assigned_case(uow, asha)
    wick = dict(actor_programmes=frozenset({PROGRAMME}), actor_sites=HACKNEY_WICK)
    for command in (c.RecordContact("wick-coordinator", case.id, kind="phone", minutes=10,
                                    occurred_at=datetime.now(UTC), **wick),
                    c.PutOnHold("wick-coordinator", case.id, "away", **wick)):
        with pytest.raises(Forbidden, match="site you do not coordinate"):
            await handlers.handle(command, uow)
    as_wick = Viewer(programmes=frozenset({PROGRAMME}), sites=HACKNEY_WICK)
    with pytest.raises(Forbidden):
        await queries.case_summary(uow, case.id, as_wick)
    with pytest.raises(Forbidden):
        await queries.case_events(uow, case.id, as_wick)
    assert await queries.find_cases(uow, as_wick) == []
    assert (await uow.cases.get(case.id)).state.contacts == 0

    dalston = dict(actor_sites=DALSTON)
    assert await handlers.handle(c.RecordContact("dalston-coordinator", case.id, kind="phone", minutes=10,
                                                 occurred_at=datetime.now(UTC), **dalston), uow) == 1
    assert [found["id"] for found in await queries.find_cases(uow, Viewer(sites=DALSTON))] == [case.id]
    assert (await queries.case_summary(uow, case.id, Viewer(sites=DALSTON)))["contact_count"] == 1


async def test_a_case_nobody_holds_is_every_sites_coordinators_to_see(uow):
    case = await open_case(uow)  # no worker at all: it waits
    assert case.status == "waiting"
    assert [found["id"] for found in await queries.find_cases(uow, Viewer(sites=HACKNEY_WICK))] == [case.id]
    assert (await queries.case_summary(uow, case.id, Viewer(sites=HACKNEY_WICK)))["status"] == "waiting"


async def test_a_sites_coordinator_sees_and_changes_only_their_sites_workers(uow):
    await add_worker(uow, name="Asha", site="Dalston")
    wick_worker = await add_worker(uow, name="Wren", site="Hackney Wick")
    listed = await queries.workers(uow, PROGRAMME, Viewer(sites=DALSTON))
    assert [w["name"] for w in listed] == ["Asha"]
    with pytest.raises(Forbidden, match="site you do not coordinate"):
        await handlers.handle(c.UpdateWorker("dalston", wick_worker, {"capacity_hours": Decimal("5")},
                                             actor_sites=DALSTON), uow)
    with pytest.raises(Forbidden):
        await handlers.handle(c.AddWorker("dalston", uuid.uuid4(), PROGRAMME,
                                          {"name": "Zed", "role": "connector", "capacity_hours": Decimal("3"),
                                           "site": "Hackney Wick"}, actor_sites=DALSTON), uow)
    with pytest.raises(Forbidden):  # nor moved out of their sight
        asha = next(w["id"] for w in listed)
        await handlers.handle(c.UpdateWorker("dalston", asha, {"site": "Hackney Wick"}, actor_sites=DALSTON), uow)
    with pytest.raises(Forbidden):
        await queries.open_offers(uow, wick_worker, Viewer(sites=DALSTON))
    assert (await uow.workers.get(wick_worker))["capacity_hours"] == Decimal("3")


async def test_a_sites_coordinator_transfers_within_their_sites_and_leaves_programme_settings_alone(uow):
    asha = await add_worker(uow, name="Asha", site="Dalston", auto_accept_offers=True)
    case, _ = await assigned_case(uow, asha)
    wren = await add_worker(uow, name="Wren", site="Hackney Wick")
    bea = await add_worker(uow, name="Bea", site="Dalston")
    with pytest.raises(Forbidden, match="site you do not coordinate"):
        await handlers.handle(c.TransferCase("dalston", case.id, wren, "closer to home", actor_sites=DALSTON), uow)
    moved = await handlers.handle(c.TransferCase("dalston", case.id, bea, "Asha is away", actor_sites=DALSTON), uow)
    assert moved["status"] == "assigned" and (await uow.cases.get(case.id)).worker_id == bea
    with pytest.raises(Forbidden, match="every site"):
        await handlers.handle(c.SetProgrammeSettings("dalston", PROGRAMME, {"ageing_days": 7}, actor_sites=DALSTON),
                              uow)
