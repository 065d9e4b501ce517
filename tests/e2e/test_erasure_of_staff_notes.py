"""What staff write about a person, over the wire: caseload and triage keep it only sealed under their own
data key for the person, in every table, the outbox and every topic; the case's worker reads it opened; once
an administrator erases the person at intake, intake destroys its keys and publishes `person.erased`, each of
caseload, outcomes and triage destroys its own key (a tombstone), the API shows the text as erased, nothing anywhere opens, and the outcome reports count what they counted before."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from shared.platform.sealed_fields import field_context
from services.intake.service_layer import sealed as sealed_purposes
from shared.platform.sealing import KeyDestroyed, LocalKeyEncryptionKey, Sealer, SealingError
from tests.e2e.test_personal_data_stays_in_the_registry import all_topics

pytestmark = pytest.mark.e2e

# Distinctive words in every free-text field, found nowhere else.
WORDS = {
    "decline": "Declined: Ottoline-Brackenbury is my aunt",
    "goal": "Goal: Ottoline-Marzipan choir on Tuesdays",
    "signpost": "Note: Ottoline-Tangerine is afraid of buses",
    "need": "Detail: Ottoline-Pistachio cannot afford the fare",
    "extend": "Extended: Ottoline-Velvet is in hospital again",
    "hold": "Hold: Ottoline-Saffron is caring for her sister",
    "transfer": "Transfer: Ottoline-Juniper asked for a woman worker",
    "concern_1": "Ottoline-Lantern: I never see anyone",
    "concern_2": "Ottoline-Harbour: my knees",
    "reviewer": "Reviewer: Ottoline-Quince lives on the E8 side",
}
FIELDS = ("reason", "response_reason", "description", "note", "detail", "concerns")
SERVICES = ("caseload", "triage", "outcomes")
SEALED = re.compile(r"sealed:v1:[A-Za-z0-9._-]{1,100}:[A-Za-z0-9_-]+={0,2}")


class SchemaKeys:
    """A service's data keys, read from its schema as the admin user: the test opens what the service sealed."""

    def __init__(self, system, schema: str) -> None:
        self._system, self._schema = system, schema

    async def get(self, subject: str) -> bytes | None:
        rows = await self._system.sql(f"SELECT wrapped_key FROM {self._schema}.data_keys WHERE subject = $1", subject)
        return rows[0]["wrapped_key"] if rows else None

    async def destroyed(self, subject: str) -> bool:
        rows = await self._system.sql(f"SELECT destroyed_at FROM {self._schema}.data_keys WHERE subject = $1", subject)
        return bool(rows) and rows[0]["destroyed_at"] is not None

    async def add(self, subject: str, wrapped: bytes) -> bytes:
        raise AssertionError("the test never makes a key")

    async def destroy(self, subject: str) -> bool:
        raise AssertionError("the test never destroys a key")


# Intake seals the registry under the same pseudonymous person id, with its own key and purposes.
INTAKE_CONTEXTS = (sealed_purposes.PERSON, sealed_purposes.PERSON_KEY, sealed_purposes.CONTACT,
                   sealed_purposes.SUBMISSION, sealed_purposes.BATCH, sealed_purposes.OUTREACH,
                   sealed_purposes.DEAD_LETTER)


def _contexts(service: str) -> tuple[str, ...]:
    return INTAKE_CONTEXTS if service == "intake" else tuple(field_context(service, f) for f in FIELDS)


async def open_anywhere(system, sealed: str) -> str:
    return (await open_where(system, sealed))[1]


async def open_where(system, sealed: str) -> tuple[str, str]:
    """The text, opened with whichever service's key it was sealed under (intake's registry included);
    KeyDestroyed once every service has destroyed its key for the person (tried with each service's
    key-encryption key and each of its purposes)."""
    subject = sealed.split(":")[2]
    for service in ("intake", *SERVICES):
        keys = SchemaKeys(system, service)
        sealer = Sealer(LocalKeyEncryptionKey.from_setting(system.data_encryption_keys[service]), keys)
        for context in _contexts(service):
            try:
                return service, await sealer.open(sealed, context=context)
            except SealingError:
                continue  # another service's key, or another field
            except KeyDestroyed:
                break  # this service has no key for the person (never had one, or destroyed it)
    if all([await SchemaKeys(system, service).destroyed(subject) for service in ("intake", *SERVICES)]):
        raise KeyDestroyed(subject)
    raise AssertionError(f"a sealed value no service can open: {sealed[:40]}")


async def everything(system) -> list[tuple[str, str]]:
    """(where, text) for every row of every table of every schema, and every record of every topic."""
    found = []
    tables = await system.sql("SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = "
                              "'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')")
    for table in tables:
        name = f'"{table["table_schema"]}"."{table["table_name"]}"'
        found += [(name, row["row"]) for row in await system.sql(f"SELECT t::text AS row FROM {name} t")]
    topics = await all_topics(system)
    assert any(t.endswith(".dead-letter") for t in topics) and system.topics.cases in topics
    for topic in topics:
        for record in await system.read_topic(topic):
            text = (record.value or b"").decode(errors="replace") + (record.key or b"").decode(errors="replace")
            found.append((f"topic {topic}", text))
    return found


def in_clear(places: list[tuple[str, str]]) -> list[str]:
    return [f"{where}: {word}" for where, text in places for word in WORDS.values() if word in text]


async def erase_through_intake(http, system, referral_id: str) -> None:
    """An administrator's erasure request: intake destroys its keys and publishes person.erased."""
    response = await http.post(f"{system.url('intake')}/v1/erasures", headers=system.staff_headers("admin"),
                               json={"referral_id": referral_id, "reason": "erasure request ER-7"})
    assert response.status_code == 200, response.text


async def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


async def test_staff_notes_are_sealed_read_by_the_worker_and_gone_with_the_person(system):
    system.start()
    key = await system.setup_partner(partner_id="notes-gp")
    hesitant = await system.add_worker("connector", "21", auto_accept=False)
    coordinator = system.staff_headers("coordinator")
    manager = system.staff_headers("manager")
    caseload, triage, outcomes = system.url("caseload"), system.url("triage"), system.url("outcomes")
    async with httpx.AsyncClient(timeout=20) as http:
        await ok(await http.post(f"{system.url('intake')}/v1/referrals", headers={"X-API-Key": key}, json={
            "partner_referral_id": "NOTES-1", "programme_id": "demo",
            "person": {"given_name": "Ottoline", "family_name": "Test", "age_years": 74, "postcode": "E8 1AA"},
            "consent": {"to_referral": True, "to_data_sharing": True, "to_contact": True}}), 201)
        [offer] = await system.wait_for("SELECT o.id, c.id AS case_id, c.referral_id, c.person_id FROM "
                                        "caseload.offers o JOIN caseload.cases c ON c.id = o.case_id "
                                        "WHERE o.status = 'open'")
        case_id, referral_id, person_id = str(offer["case_id"]), str(offer["referral_id"]), str(offer["person_id"])
        # A triage reviewer overrides the decision (accepted again), with a note about the person.
        await ok(await http.post(f"{triage}/v1/decisions/{referral_id}/override", headers=coordinator,
                                 json={"decision": "accepted", "note": WORDS["reviewer"]}))
        # The offered worker declines; the next worker takes the case.
        worker = system.staff_headers("connector", worker_id=hesitant)
        await ok(await http.post(f"{caseload}/v1/offers/{offer['id']}/decline", headers=worker,
                                 json={"reason": WORDS["decline"]}))
        first = await system.add_worker("connector", "21")
        await system.wait_for("SELECT 1 FROM caseload.cases WHERE id = $1 AND worker_id = $2 AND status = 'assigned'",
                              uuid.UUID(case_id), uuid.UUID(first))
        second = await system.add_worker("connector", "21")
        case_url = f"{caseload}/v1/cases/{case_id}"
        await ok(await http.post(f"{case_url}/contacts", headers=coordinator,
                                 json={"kind": "home_visit", "minutes": 60}), 201)
        await ok(await http.post(f"{case_url}/goals", headers=coordinator, json={"description": WORDS["goal"]}), 201)
        await ok(await http.post(f"{case_url}/signposts", headers=coordinator, json={
            "destination": "Walking group", "category": "activity", "note": WORDS["signpost"]}), 201)
        await ok(await http.post(f"{case_url}/unmet-needs", headers=coordinator,
                                 json={"need": "befriending", "detail": WORDS["need"]}), 201)
        await ok(await http.post(f"{case_url}/extend", headers=coordinator,
                                 json={"extra_weeks": 2, "reason": WORDS["extend"]}))
        concerns = [WORDS["concern_1"], WORDS["concern_2"]]
        await ok(await http.post(f"{case_url}/measures", headers=coordinator, json={
            "instrument": "mycaw", "timepoint": "baseline", "items": [5, 4, 3], "concerns": concerns}), 201)
        await ok(await http.post(f"{case_url}/measures", headers=coordinator, json={
            "instrument": "ucla3", "timepoint": "baseline", "items": [3, 3, 3]}), 201)
        await ok(await http.post(f"{case_url}/transfer", headers=coordinator,
                                 json={"to_worker_id": second, "reason": WORDS["transfer"]}))
        await ok(await http.post(f"{case_url}/hold", headers=coordinator, json={"reason": WORDS["hold"]}))
        await ok(await http.post(f"{case_url}/resume", headers=coordinator))
        await ok(await http.post(f"{case_url}/close", headers=coordinator, json={"reason": "planned_end", "measures": [
            {"instrument": "mycaw", "timepoint": "end", "items": [2, 2, 4], "concerns": concerns},
            {"instrument": "ucla3", "timepoint": "end", "items": [1, 2, 1]}]}))
        await system.wait_for("SELECT 1 FROM outcomes.measures WHERE case_id = $1 AND instrument = 'mycaw' "
                              "AND timepoint = 'end'", uuid.UUID(case_id))
        await system.wait_for("SELECT 1 FROM outcomes.unmet_needs WHERE case_id = $1", uuid.UUID(case_id))

        # The case's worker reads every word; the reviewer's note is shown with the decision.
        own = system.staff_headers("connector", worker_id=second)
        history = await ok(await http.get(f"{case_url}/events", headers=own))
        shown = repr(history) + repr(await ok(await http.get(case_url, headers=own)))
        assert [name for name, word in WORDS.items() if name != "reviewer" and word not in shown] == []
        decision = await ok(await http.get(f"{triage}/v1/decisions/{referral_id}", headers=coordinator))
        assert decision["note"] == WORDS["reviewer"]

        # Nowhere does any of it sit in clear; every sealed value of the person opens to one of the words.
        places = await everything(system)
        assert in_clear(places) == []
        sealed = {s for _, text in places for s in SEALED.findall(text) if s.split(":")[2] == person_id}
        opened_by = {s: await open_where(system, s) for s in sealed}
        assert set(WORDS.values()) <= {text for _, text in opened_by.values()}
        for service in ("caseload", "triage"):
            assert await system.sql(f"SELECT 1 FROM {service}.data_keys WHERE subject = $1 "
                                    "AND wrapped_key IS NOT NULL", person_id)

        reports = [f"{outcomes}/v1/reports/{name}" for name in ("loneliness", "funnel", "outcomes")]
        before = [await ok(await http.get(url, params={"programme_id": "demo"}, headers=manager)) for url in reports]

        await erase_through_intake(http, system, referral_id)
        for service in ("intake", "caseload", "outcomes", "triage"):
            await system.wait_for(f"SELECT 1 FROM {service}.data_keys WHERE subject = $1 AND wrapped_key IS NULL "
                                  "AND destroyed_at IS NOT NULL", person_id)

        # The API shows what was written as erased; coded values stay.
        after_history = await ok(await http.get(f"{case_url}/events", headers=own))
        by_type = {e["event_type"]: e["data"] for e in after_history}
        assert (by_type["case.goal_set"]["description"], by_type["case.goal_set"]["erased_fields"]) == (
            None, ["description"])
        assert (by_type["case.transferred"]["reason"], by_type["case.signposted"]["destination"]) == (
            None, "Walking group")
        summary = await ok(await http.get(case_url, headers=own))
        mycaw = next(m for m in summary["measures"] if m["instrument"] == "mycaw")
        assert (mycaw["concerns"], mycaw["erased_fields"]) == ([None, None], ["concerns"])
        decision = await ok(await http.get(f"{triage}/v1/decisions/{referral_id}", headers=coordinator))
        assert (decision["note"], decision["erased_fields"]) == (None, ["note"])
        refused = await http.post(f"{case_url}/goals", headers=coordinator, json={"description": "anything more"})
        assert refused.status_code == 409 and "erased" in refused.text

        # Nothing anywhere opens any more, whatever key is tried; and the reports count what they counted.
        places = await everything(system)
        assert in_clear(places) == []
        still = {s for _, text in places for s in SEALED.findall(text) if s.split(":")[2] == person_id}
        # The staff notes' copies are all still there: unreadable, not deleted (intake deletes its registry row).
        assert {s for s, (service, _) in opened_by.items() if service != "intake"} <= still
        for value in still:
            with pytest.raises(KeyDestroyed):
                await open_anywhere(system, value)
        after = [await ok(await http.get(url, params={"programme_id": "demo"}, headers=manager)) for url in reports]
        assert after == before
        for service in system.processes:
            assert [line for line in system.log_lines(service) if any(w in line for w in WORDS.values())] == []
