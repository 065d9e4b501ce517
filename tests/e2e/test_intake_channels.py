"""Every intake channel through the real broker and database: one canonical referral each,
duplicates and re-referrals linked, retries idempotent, nothing that was sent lost."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import httpx
import pytest

from tests.support.sealed import opened_bytes, opened_json, sealed, sealer_of

pytestmark = pytest.mark.e2e
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fhir"
NHS_NUMBER_IN_BUNDLE = "9434765919"


def person(family: str, **extra) -> dict:
    return {"given_name": "Test", "family_name": family, "date_of_birth": "1950-06-01",
            "postcode": "E8 1DY", **extra}


def referral(family: str, reference: str | None = None, **extra) -> dict:
    body = {"programme_id": "demo", "person": person(family, **extra.pop("person_extra", {})),
            "consent": {"to_referral": True}, **extra}
    if reference:
        body["partner_referral_id"] = reference
    return body


async def post(system, api_key: str, body: dict) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.post(f"{system.url('intake')}/v1/referrals", headers={"X-API-Key": api_key}, json=body)


async def referral_row(system, referral_id):
    [row] = await system.sql("SELECT * FROM intake.referrals WHERE id = $1", uuid.UUID(str(referral_id)))
    return row


async def test_fhir_bundle_from_a_gp_system_becomes_a_referral_and_a_task(shared_system):
    system = shared_system
    api_key = await system.setup_partner(partner_id="gp-f84001")
    # The fixture names its programme; point it at the demo programme this system has rules for.
    bundle = (FIXTURES / "gp_referral_message_bundle.json").read_bytes().replace(b"hackney-connect", b"demo")
    source = json.loads(bundle)
    service_request = next(e["resource"] for e in source["entry"] if e["resource"]["resourceType"] == "ServiceRequest")
    async with httpx.AsyncClient(timeout=10) as http:
        created = await http.post(f"{system.url('intake')}/fhir/Bundle", content=bundle,
                                  headers={"X-API-Key": api_key, "Content-Type": "application/fhir+json"})
        assert created.status_code == 201, created.text
        task = created.json()
        assert task["resourceType"] == "Task" and task["status"] == "received"
        referral_id = task["id"]

        row = await referral_row(system, referral_id)
        assert row["channel"] == "fhir"
        assert row["partner_referral_id"] == service_request["identifier"][0]["value"]
        assert NHS_NUMBER_IN_BUNDLE not in row["person"]  # sealed under the person's data key
        stored_person = await opened_json(system, row["person"], sealed.PERSON)
        assert stored_person["nhs_number"] == NHS_NUMBER_IN_BUNDLE and stored_person["postcode"] == "E8 1DY"

        # The GP's retry of the same message changes nothing.
        again = await http.post(f"{system.url('intake')}/fhir/Bundle", content=bundle,
                                headers={"X-API-Key": api_key, "Content-Type": "application/fhir+json"})
        assert again.status_code == 200 and again.json()["id"] == referral_id

        # Triage and caseload move it on; the GP sees the Task follow.
        await system.wait_for("SELECT 1 FROM intake.referrals WHERE id = $1 AND status = 'assigned'",
                              uuid.UUID(referral_id))
        followed = (await http.get(f"{system.url('intake')}/fhir/Task/{referral_id}",
                                   headers={"X-API-Key": api_key})).json()
        assert followed["status"] == "in-progress"

        # A bundle with problems gets an OperationOutcome naming each, and is kept as sent.
        broken = json.loads(bundle)
        for entry in broken["entry"]:
            if entry["resource"]["resourceType"] == "Patient":
                entry["resource"]["identifier"][0]["value"] = "9434765918"  # wrong check digit
        broken_bytes = json.dumps(broken).encode()
        rejected = await http.post(f"{system.url('intake')}/fhir/Bundle", content=broken_bytes,
                                   headers={"X-API-Key": api_key, "Content-Type": "application/fhir+json"})
        assert rejected.status_code == 422
        outcome = rejected.json()
        assert outcome["resourceType"] == "OperationOutcome"
        assert any("check digit" in issue["diagnostics"] for issue in outcome["issue"])
        assert "9434765918" not in rejected.text  # the problem is named, the value not echoed
        kept = await system.sql("SELECT body FROM intake.submissions WHERE channel = 'fhir' AND outcome = 'rejected'")
        assert [await opened_bytes(system, r["body"], sealed.SUBMISSION) for r in kept] == [broken_bytes]
        assert all(b"9434765918" not in r["body"] for r in kept)


BARS_ACCEPTED = ("refreq01_111_to_ed.json", "refreq03_primary_care_to_community_pharmacy.json",
                 "valreq01_999_to_cas_validation.json", "bars_api_validation_request.json")


async def test_published_bars_messages_from_the_demo_gp_become_referrals(shared_system):
    system = shared_system
    api_key = await system.setup_partner(partner_id="demo-gp-bars", attests_consent=True)
    fhir_json = {"X-API-Key": api_key, "Content-Type": "application/fhir+json"}
    async with httpx.AsyncClient(timeout=10, base_url=system.url("intake")) as http:
        for name in BARS_ACCEPTED:
            created = await http.post("/fhir/Bundle", content=(FIXTURES / "bars" / name).read_bytes(), headers=fhir_json)
            assert created.status_code == 201, (name, created.text)
            task = created.json()
            assert task["resourceType"] == "Task", name
            assert (await http.get(f"/fhir/Task/{task['id']}", headers={"X-API-Key": api_key})).status_code == 200

        # No Consent in the message: the attesting partner's referral is still taken.
        bundle = json.loads((FIXTURES / "bars" / "refreq07_gp_to_out_of_hours.json").read_bytes())
        bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Consent"]
        created = await http.post("/fhir/Bundle", content=json.dumps(bundle).encode(), headers=fhir_json)
        assert created.status_code == 201, created.text

        unauthenticated = await http.post("/fhir/Bundle", content=b"{}", headers={"Content-Type": "application/fhir+json"})
        assert unauthenticated.status_code == 401
        assert unauthenticated.json()["resourceType"] == "OperationOutcome"
        assert unauthenticated.json()["issue"][0]["code"] == "login"
        wrong_key = await http.get(f"/fhir/Task/{uuid.uuid4()}", headers={"X-API-Key": "not-a-key"})
        assert wrong_key.status_code == 401 and wrong_key.json()["resourceType"] == "OperationOutcome"
        json_api = await http.get(f"/v1/referrals/{uuid.uuid4()}")
        assert json_api.status_code == 401 and "detail" in json_api.json()  # the JSON API's 401 is unchanged

        xml = await http.post("/fhir/Bundle", content=b"<Bundle xmlns='http://hl7.org/fhir'/>",
                              headers={"X-API-Key": api_key, "Content-Type": "application/fhir+xml"})
        assert xml.status_code == 415
        assert xml.json()["resourceType"] == "OperationOutcome"


async def test_the_same_person_from_two_partners_is_one_person_and_the_second_referral_links(shared_system):
    system = shared_system
    council = await system.setup_partner(partner_id="council-dup")
    charity = await system.setup_partner(partner_id="charity-dup")
    first = await post(system, council, referral("Duplicate", "C-1", person_extra={"nhs_number": "401 023 2137"}))
    assert first.status_code == 201
    # Different spelling of the name, same NHS number: the same person, with an open referral.
    # With consent to data sharing: without it the charity would be told the status alone, no reason.
    second_body = referral("Duplicat", "CH-1", person_extra={"nhs_number": "4010232137", "given_name": "TEST"},
                           consent={"to_referral": True, "to_data_sharing": True})
    second = await post(system, charity, second_body)
    assert second.status_code == 201, second.text
    assert second.json()["status"] == "duplicate"
    rows = await system.sql("SELECT person_id, duplicate_of FROM intake.referrals WHERE partner_referral_id IN ('C-1', 'CH-1') ORDER BY received_at")
    assert rows[0]["person_id"] == rows[1]["person_id"] and rows[1]["duplicate_of"] is not None
    # No second case is opened: only one referral.received went out.
    received = await system.sql(
        "SELECT 1 FROM intake.outbox WHERE event_type = 'referral.received' AND message_key = ANY($1::text[])",
        [first.json()["referral_id"], second.json()["referral_id"]])
    assert len(received) == 1
    # Partners are kept apart (issue 13): the charity is told, in its own terms, that the person is known
    # to the service, and learns nothing of the council's referral: not its id, not its progress.
    assert "linked_to_referral_id" not in second.json()
    assert first.json()["referral_id"] not in second.text
    await system.wait_for("SELECT 1 FROM intake.referrals WHERE id = $1 AND status = 'assigned'",
                          uuid.UUID(first.json()["referral_id"]))
    statuses = await system.events_on(system.topics.referral_status("charity-dup"), min_records=1)
    assert [(e["data"]["status"], e["data"]["linked_referral_id"]) for e in statuses] == [("duplicate", None)]
    assert "already known to the service" in statuses[0]["data"]["reason"]
    async with httpx.AsyncClient(timeout=10) as http:
        view = await http.get(f"{system.url('intake')}/v1/referrals/{second.json()['referral_id']}",
                              headers={"X-API-Key": charity})
    assert first.json()["referral_id"] not in view.text
    assert [e["status"] for e in view.json()["timeline"]] == ["duplicate"]


async def test_a_referral_after_a_closed_episode_is_a_re_referral_linked_to_it(shared_system):
    system = shared_system
    key = await system.setup_partner(partner_id="gp-rereferral")
    first = await post(system, key, referral("Again", "R-1"))
    first_id = uuid.UUID(first.json()["referral_id"])
    [case] = await system.wait_for(
        "SELECT id, worker_id FROM caseload.cases WHERE referral_id = $1 AND status = 'assigned'", first_id)
    connector = system.staff_headers("connector", worker_id=str(case["worker_id"]))
    async with httpx.AsyncClient(base_url=system.url("caseload"), timeout=10) as http:
        assert (await http.post(f"/v1/cases/{case['id']}/contacts", headers=connector,
                                json={"kind": "phone", "minutes": 10})).status_code == 201
        assert (await http.post(f"/v1/cases/{case['id']}/close", headers=connector,
                                json={"reason": "planned_end"})).status_code == 200
    await system.wait_for("SELECT 1 FROM intake.referrals WHERE id = $1 AND status = 'closed'", first_id)

    again = await post(system, key, referral("Again", "R-2"))
    assert again.status_code == 201 and again.json()["status"] == "received"
    assert again.json()["previous_referral_id"] == str(first_id)
    [event] = await system.sql("SELECT envelope FROM intake.outbox WHERE message_key = $1 AND event_type = 'referral.received'",
                               again.json()["referral_id"])
    assert json.loads(event["envelope"])["data"]["previous_referral_id"] == str(first_id)


async def test_an_uncertain_match_goes_to_a_person_who_decides(shared_system):
    system = shared_system
    key = await system.setup_partner(partner_id="gp-uncertain")
    first = await post(system, key, referral("Hesitant", "U-1"))
    # Same name and postcode, date of birth a day out: not sure enough to merge alone.
    second = await post(system, key, referral("Hesitant", "U-2", person_extra={"date_of_birth": "1950-06-02"}))
    assert second.status_code == 201 and second.json()["status"] == "received"
    coordinator = system.staff_headers("coordinator")
    async with httpx.AsyncClient(base_url=system.url("intake"), timeout=10) as http:
        reviews = (await http.get("/v1/match-reviews", headers=coordinator)).json()
        [review] = [r for r in reviews if r["referral_id"] == second.json()["referral_id"]]
        assert 0.75 <= float(review["confidence"]) < 0.92
        # A coordinator of another programme neither sees the review nor decides it.
        elsewhere = system.staff_headers("coordinator", subject="coord-elsewhere", programmes=["elsewhere"])
        assert review["id"] not in [r["id"] for r in (await http.get("/v1/match-reviews", headers=elsewhere)).json()]
        assert (await http.post(f"/v1/match-reviews/{review['id']}/decision", headers=elsewhere,
                                json={"same_person": False})).status_code == 403
        decided = await http.post(f"/v1/match-reviews/{review['id']}/decision", headers=coordinator,
                                  json={"same_person": True})
        assert decided.status_code == 200
        assert (await http.post(f"/v1/match-reviews/{review['id']}/decision", headers=coordinator,
                                json={"same_person": True})).status_code == 409
    rows = await system.sql("SELECT DISTINCT person_id FROM intake.referrals WHERE partner_referral_id IN ('U-1','U-2')")
    assert len(rows) == 1
    # Triage is told the match was uncertain, and sends the referral to a person too.
    [event] = await system.sql("SELECT envelope FROM intake.outbox WHERE message_key = $1 AND event_type = 'referral.received'",
                               second.json()["referral_id"])
    assert json.loads(event["envelope"])["data"]["person_match"]["needs_review"] is True
    assert first.status_code == 201


async def test_council_csv_batch_accepts_and_rejects_row_by_row_and_keeps_the_file(shared_system):
    system = shared_system
    key = await system.setup_partner(partner_id="council-asc")
    mapping = {
        "columns": {"person.given_name": "Forename", "person.family_name": "Surname", "person.date_of_birth": "DOB",
                    "person.postcode": "Postcode", "person.phone": "Telephone", "consent.to_referral": "Consented",
                    "reason": "Reason"},
        "reference_column": "ASC Ref",
        "defaults": {"programme_id": "demo", "referrer.source_category": "statutory",
                     "referrer.source_subcategory": "social_services"},
    }
    async with httpx.AsyncClient(base_url=system.url("intake"), timeout=30) as http:
        put = await http.put("/v1/partners/council-asc/csv-mapping", headers=system.staff_headers("admin"), json=mapping)
        assert put.status_code == 200, put.text
        content = (
            "ASC Ref,Forename,Surname,DOB,Postcode,Telephone,Consented,Reason\r\n"
            "ASC-1,Edna,Batchley,02/03/1941,LE4 6AB,0116 496 0123,Yes,Isolated since moving\r\n"
            "ASC-2,Fred,Datewrong,31/02/1940,LE4 6AB,,Yes,\r\n"
            "ASC-3,Gwen,Postless,01/01/1945,NOT A POSTCODE,,Yes,\r\n"
            "ASC-4,Harold,Noconsent,01/01/1945,LE5 1AA,,No,\r\n"
        ).encode()
        response = await http.post("/v1/referral-batches", content=content,
                                   headers={"X-API-Key": key, "Content-Type": "text/csv", "X-Filename": "asc.csv"})
        assert response.status_code == 201, response.text
        report = response.json()
        outcomes = {row["line"]: row for row in report["rows"]}
        assert outcomes[2]["outcome"] == "accepted"
        assert outcomes[3]["outcome"] == "rejected" and outcomes[3]["errors"][0]["column"] == "DOB"
        assert outcomes[4]["outcome"] == "rejected" and outcomes[4]["errors"][0]["column"] == "Postcode"
        assert outcomes[5]["outcome"] == "rejected"
        assert report["summary"] == {"accepted": 1, "duplicate": 0, "already_received": 0, "rejected": 3}

        # Sending the same file again creates nothing new.
        again = (await http.post("/v1/referral-batches", content=content,
                                 headers={"X-API-Key": key, "Content-Type": "text/csv"})).json()
        assert again["summary"]["already_received"] == 1 and again["summary"]["accepted"] == 0
    files = await system.sql("SELECT content, report FROM intake.batches WHERE partner_id = 'council-asc'")
    assert [await opened_bytes(system, f["content"], sealed.BATCH) for f in files] == [content, content]
    assert all(b"Batchley" not in f["content"] for f in files)
    rows = await system.sql("SELECT person FROM intake.referrals WHERE partner_id = 'council-asc'")
    assert [(await opened_json(system, r["person"], sealed.PERSON))["phone"] for r in rows] == ["+441164960123"]
    rejected = await system.sql("SELECT 1 FROM intake.submissions WHERE partner_id = 'council-asc' AND outcome = 'rejected'")
    assert len(rejected) == 6  # three rows, twice: each one kept


async def test_partners_may_publish_referrals_to_kafka(shared_system):
    system = shared_system
    key = await system.setup_partner(partner_id="kafka-partner")
    topic = system.topics.partner_submissions
    good = json.dumps(referral("Streamer")).encode()
    headers = [("partner-id", b"kafka-partner"), ("api-key", key.encode())]
    await system.produce_raw(topic, good, key=b"K-1", headers=headers)
    await system.produce_raw(topic, good, key=b"K-1", headers=headers)  # a redelivery: same key
    await system.produce_raw(topic, good, key=b"K-2", headers=[("partner-id", b"kafka-partner"), ("api-key", b"rk_x_y")])
    bad = json.dumps(referral("Streamer", person_extra={"postcode": "nowhere"})).encode()
    await system.produce_raw(topic, bad, key=b"K-3", headers=headers)

    dead = await system.read_topic(system.topics.dead_letter("intake.intake.partner-submissions"), min_records=2)
    reasons = sorted({k: v.decode() for k, v in r.headers}["dlt.reason"] for r in dead)
    assert reasons[0].startswith("authentication failed") and "person.postcode" in reasons[1]
    assert sorted(r.key for r in dead) == [b"K-2", b"K-3"]
    rows = await system.wait_for("SELECT id FROM intake.referrals WHERE partner_id = 'kafka-partner'")
    assert len(rows) == 1
    kept = await system.sql("SELECT outcome FROM intake.submissions WHERE channel = 'partner_kafka' ORDER BY received_at")
    assert sorted(r["outcome"] for r in kept) == ["accepted", "rejected", "rejected", "retry_of_existing"]


async def test_self_referral_form_works_without_javascript(shared_system):
    system = shared_system
    base = f"{system.url('intake')}/self-referral/demo"
    async with httpx.AsyncClient(timeout=10) as http:
        page = await http.get(base)
        assert page.status_code == 200 and "<form" in page.text and "<script" not in page.text
        form = {"filled_by": "myself", "given_name": "Selma", "family_name": "Selfref", "dob_day": "9",
                "dob_month": "11", "dob_year": "1944", "postcode": "e8 2aa", "phone": "07911 123456",
                "contact_preferred": "phone", "consent_to_referral": "yes"}
        missing = await http.post(base, data={k: v for k, v in form.items() if k != "consent_to_referral"})
        assert missing.status_code == 422 and "There is a problem" in missing.text
        assert 'value="Selfref"' in missing.text  # what was typed is kept
        sent = await http.post(base, data=form)
        assert sent.status_code == 303, sent.text
        confirmation = await http.get(system.url("intake") + sent.headers["location"])
        reference = sent.headers["location"].split("reference=")[1]
        assert reference in confirmation.text
        [row] = await system.sql("SELECT * FROM intake.referrals WHERE self_reference = $1", reference)
        assert row["channel"] == "self_referral_form" and row["partner_id"] == "self-referral"
        await system.wait_for("SELECT 1 FROM intake.referrals WHERE id = $1 AND status = 'assigned'", row["id"])
        status = await http.get(f"{base}/status", params={"reference": reference, "postcode": "E8 2AA"})
        assert "Someone has been chosen to support you" in status.text
        wrong = await http.get(f"{base}/status", params={"reference": reference, "postcode": "E8 9ZZ"})
        assert "could not find" in wrong.text
    kept = await system.sql("SELECT outcome FROM intake.submissions WHERE channel = 'self_referral_form'")
    assert sorted(r["outcome"] for r in kept) == ["accepted", "rejected"]


async def test_phone_and_outreach_referrals_by_staff(shared_system):
    system = shared_system
    staff = system.staff_headers("connector", subject="connector-outreach")
    async with httpx.AsyncClient(base_url=system.url("intake"), timeout=10) as http:
        phone = await http.post("/v1/phone-referrals", headers=staff, json=referral(
            "Caller", referrer={"source_category": "self", "source_subcategory": "phone"}))
        assert phone.status_code == 201, phone.text
        assert (await referral_row(system, phone.json()["referral_id"]))["channel"] == "phone"
        assert (await http.post("/v1/phone-referrals", json=referral("Caller"))).status_code == 401

        contact = await http.post("/v1/outreach-contacts", headers=staff,
                                  json={"programme_id": "demo", "met_at": "listening bench, Well Street"})
        assert contact.status_code == 201
        contact_id = contact.json()["outreach_contact_id"]
        completed = await http.post(f"/v1/outreach-contacts/{contact_id}/referral", headers=staff,
                                    json=referral("Benchley"))
        assert completed.status_code == 201, completed.text
        twice = await http.post(f"/v1/outreach-contacts/{contact_id}/referral", headers=staff, json=referral("Benchley"))
        assert twice.status_code == 200 and twice.json()["referral_id"] == completed.json()["referral_id"]
    [linked] = await system.sql("SELECT referral_id FROM intake.outreach_contacts WHERE id = $1", uuid.UUID(contact_id))
    assert str(linked["referral_id"]) == completed.json()["referral_id"]
    [event] = await system.sql("SELECT envelope FROM intake.outbox WHERE message_key = $1 AND event_type = 'referral.received'",
                               completed.json()["referral_id"])
    assert json.loads(event["envelope"])["data"]["source"] == {"category": "provider_own_service", "subcategory": "outreach"}


async def cases_for(system, referral_id: str, timeout_s: float = 60) -> list[dict]:
    """Caseload's cases for a referral, asked until there is one (or the time is up)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    async with httpx.AsyncClient(base_url=system.url("caseload"), timeout=10) as http:
        while True:
            found = await http.get("/v1/cases", params={"referral_id": referral_id},
                                   headers=system.staff_headers("coordinator"))
            assert found.status_code == 200, found.text
            if found.json() or asyncio.get_running_loop().time() > deadline:
                return found.json()
            await asyncio.sleep(0.2)


async def test_john_and_joan_smith_at_one_address_are_two_people_with_a_case_each(shared_system):
    system = shared_system
    gp = await system.setup_partner(partner_id="gp-household")
    couple = [("John", 72, "HH-JOHN"), ("Joan", 70, "HH-JOAN")]
    responses = []
    for given, age, reference in couple:
        body = {"programme_id": "demo", "partner_referral_id": reference, "consent": {"to_referral": True},
                "person": {"given_name": given, "family_name": "Smith", "age_years": age, "postcode": "E8 3PQ"}}
        response = await post(system, gp, body)
        assert response.status_code == 201, response.text
        responses.append(response.json())
    assert [r["status"] for r in responses] == ["received", "received"]  # neither is a duplicate of the other
    rows = await system.sql("SELECT id, person_id, status, duplicate_of FROM intake.referrals "
                            "WHERE partner_referral_id IN ('HH-JOHN', 'HH-JOAN')")
    assert len({r["person_id"] for r in rows}) == 2
    assert all(r["duplicate_of"] is None and r["status"] != "duplicate" for r in rows)
    people = await system.sql("SELECT sealed_key, stated_age FROM intake.persons WHERE id = ANY($1::uuid[])",
                              [r["person_id"] for r in rows])
    assert all(p["stated_age"] is None for p in people)  # kept sealed with the rest of the match key
    keys = sorted([json.loads(await sealer_of(system).open(p["sealed_key"], context=sealed.PERSON_KEY)) for p in people],
                  key=lambda k: k["stated_age"])
    assert [k["stated_age"] for k in keys] == [70, 72] and all(k["stated_age_on"] for k in keys)
    [john, joan] = [await cases_for(system, r["referral_id"]) for r in responses]
    assert len(john) == 1 and len(joan) == 1 and john[0]["id"] != joan[0]["id"]
