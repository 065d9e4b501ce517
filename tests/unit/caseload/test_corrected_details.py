"""A correction of the person's contact details that changes what their case is matched on (intake's
referral.details_corrected) reaches the case: offers made after it use the new language and district, the
case's history says so in coded values, and a redelivery changes nothing twice."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from services.caseload.service_layer import handlers
from services.caseload.service_layer import commands as c
from services.caseload.service_layer.details import on_details_corrected
from shared.platform.messaging.consumer import Rejected
from shared.schemas import topics
from shared.schemas.envelope import new_envelope
from shared.schemas.events.case import DeclineReason
from shared.schemas.events.referral import ReferralDetailsCorrected
from tests.unit.caseload.fakes import FakeCaseloadUnitOfWork
from tests.unit.caseload.test_handlers import STAFF, add_worker, decided, open_case


@pytest.fixture
def uow() -> FakeCaseloadUnitOfWork:
    return FakeCaseloadUnitOfWork()


def corrected(case, **values) -> ReferralDetailsCorrected:
    return ReferralDetailsCorrected(referral_id=case.referral_id, person_id=case.person_id, case_id=case.id,
                                    corrected_at=datetime.now(UTC), **values)


def envelope_of(event: ReferralDetailsCorrected):
    return new_envelope(event, source="/intake", subject=str(event.referral_id), correlation_id=uuid.uuid4())


async def only_offer(uow, worker_id) -> dict:
    (offer,) = await uow.offers.for_worker(worker_id)
    return offer


async def test_after_a_move_and_a_new_language_the_next_offer_goes_to_who_fits_them_now(uow):
    asha = await add_worker(uow, name="Asha", languages=["gu"], travel_districts=["E8"])
    chen = await add_worker(uow, name="Chen", languages=["gu"], travel_districts=["E8"])
    bilan = await add_worker(uow, name="Bilan", languages=["so"], travel_districts=["N1"])
    case = await open_case(uow, decided(language="gu", postcode_district="E8"))
    first = case.worker_id
    assert first in (asha, chen)
    event = corrected(case, language="so", interpreter_needed=False, postcode_district="N1",
                      changed=["language", "postcode_district"])
    await on_details_corrected(uow, envelope_of(event), event)
    assert (case.needs["language"], case.needs["postcode_district"]) == ("so", "N1")
    await handlers.handle(c.DeclineOffer(STAFF, (await only_offer(uow, first))["id"], None,
                                         reason_code=DeclineReason.LANGUAGE), uow)
    # Without the correction the other Gujarati speaker in E8 would be next.
    assert case.worker_id == bilan


async def test_the_history_and_the_cases_topic_carry_the_coded_values_once(uow):
    await add_worker(uow)
    case = await open_case(uow, decided(language="gu", interpreter_needed=True, postcode_district="E8"))
    event = corrected(case, language="gu", interpreter_needed=False, postcode_district="E8",
                      changed=["interpreter_needed"])
    envelope = envelope_of(event)
    await on_details_corrected(uow, envelope, event)
    await on_details_corrected(uow, envelope, event)  # redelivered: no second effect
    [told] = [e for e in uow.events(topics.CASES) if e.event_type == "case.details_corrected"]
    assert (told.case_id, told.changed, told.interpreter_needed, told.language) == (
        case.id, ["interpreter_needed"], False, "gu")
    assert [e["event_type"] for e in await uow.views.events(case.id)].count("case.details_corrected") == 1
    assert case.needs["interpreter_needed"] is False and case.needs["needs"] == []


async def test_an_unmet_need_recorded_after_a_move_is_counted_in_the_new_district(uow):
    await add_worker(uow, auto_accept_offers=True)
    case = await open_case(uow, decided(postcode_district="E8"))
    event = corrected(case, postcode_district="N1", changed=["postcode_district"])
    await on_details_corrected(uow, envelope_of(event), event)
    await handlers.handle(c.RecordUnmetNeed(STAFF, case.id, need="transport"), uow)
    [need] = [e for e in uow.events(topics.CASES) if e.event_type == "case.unmet_need_recorded"]
    assert need.postcode_district == "N1"


async def test_a_correction_for_a_case_caseload_never_had_is_a_dead_letter(uow):
    case = await open_case(uow, decided())
    stranger = corrected(case, language="so", changed=["language"]).model_copy(update={"case_id": uuid.uuid4()})
    with pytest.raises(Rejected, match="no case"):
        await on_details_corrected(uow, envelope_of(stranger), stranger)
    # Nor one naming a case of another referral.
    other = corrected(case, language="so", changed=["language"]).model_copy(update={"referral_id": uuid.uuid4()})
    with pytest.raises(Rejected, match="no case"):
        await on_details_corrected(uow, envelope_of(other), other)
