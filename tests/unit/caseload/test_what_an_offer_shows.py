"""An offer shows the worker enough of the case to decide before accepting, and nothing that names the person."""

from __future__ import annotations

from decimal import Decimal

from services.caseload.service_layer import queries
from services.caseload.service_layer.ownership import Viewer
from tests.unit.caseload.fakes import FakeCaseloadUnitOfWork
from tests.unit.caseload.test_handlers import PROGRAMME, add_worker, decided, open_case


async def test_an_offer_shows_the_programme_needs_area_wait_and_hours_against_the_workers_room():
    uow = FakeCaseloadUnitOfWork()
    asha = await add_worker(uow, name="Asha", hours="5", auto_accept_offers=False)
    await open_case(uow, decided(hours=1.5, priority=2, language="tr", interpreter_needed=True,
                                 home_visit_needed=True, postcode_district="E8", needs=["isolation", "bereavement"],
                                 complexity="high", trigger_groups=["bereavement", "living_alone"]))

    [offer] = await queries.open_offers(uow, asha, Viewer(own_work_only=True, worker_id=asha))

    offered = offer["offered"]
    assert offered["programme_id"] == PROGRAMME and offered["pathway"] == "connector"
    assert offered["priority"] == 2 and offered["expected_weekly_hours"] == Decimal("1.5")
    assert (offered["language"], offered["interpreter_needed"], offered["home_visit_needed"]) == ("tr", True, True)
    assert offered["postcode_district"] == "E8" and offered["needs"] == ["isolation", "bereavement"]
    assert offered["complexity"] == "high" and offered["trigger_groups"] == ["bereavement", "living_alone"]
    assert offered["waited_days"] == 0 and offered["waiting_since"] is not None
    # The offer holds its hours on the worker until answered: 5 of capacity, 1.5 held, 3.5 left if accepted.
    assert offered["capacity_hours"] == Decimal("5") and offered["free_hours_if_accepted"] == Decimal("3.5")
    assert "person_id" not in offered and "referral_id" not in offered
