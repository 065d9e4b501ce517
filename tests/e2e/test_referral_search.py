"""A coordinator finds a referral by its reference, the person's name (or a misspelling that sounds like it,
marked so), NHS number or postcode, its partner or status, through intake's API on the real database: only in
their own programmes, never an erased person, with no name, phonetic key, NHS number or postcode in clear in
the search keys, and each person shown in the audit trail without the terms searched for. Referrals from
before the keys (or the names' sounds) were kept are given them as intake starts."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.e2e

NHS_NUMBER = "9434765919"  # a valid check digit
PERSON = {"given_name": "Winifred", "family_name": "Ashworth-Gale", "preferred_name": "Winnie", "age_years": 79,
          "postcode": "LS6 2QB", "nhs_number": NHS_NUMBER, "phone": "07700 900 462", "interpreter_needed": False}


async def test_a_coordinator_finds_a_referral_by_each_thing_they_know_of_it(system):
    system.start("intake")
    key = await system.setup_partner(programmes=("demo", "north"), partner_id="search-gp")
    async with httpx.AsyncClient(base_url=system.url("intake"), timeout=30) as http:
        sent = await http.post("/v1/referrals", headers={"X-API-Key": key}, json={
            "partner_referral_id": "SRCH-1", "programme_id": "demo", "consent": {"to_referral": True},
            "person": PERSON, "reason": "Lonely since moving to be near her son"})
        assert sent.status_code == 201, sent.text
        referral_id = sent.json()["referral_id"]
        other = await http.post("/v1/referrals", headers={"X-API-Key": key}, json={
            "partner_referral_id": "SRCH-2", "programme_id": "north", "consent": {"to_referral": True},
            "person": {"given_name": "Albert", "family_name": "Ashworth-Gale", "age_years": 81, "postcode": "LS6 2QB"}})
        assert other.status_code == 201, other.text
        albert_id = other.json()["referral_id"]

        demo = system.staff_headers("coordinator", subject="coord-demo", programmes=["demo"])
        for terms in ({"reference": "SRCH-1"}, {"reference": referral_id}, {"name": "winifred ashworth-gale"},
                      {"name": "WINNIE"}, {"nhs_number": "943 476 5919"}, {"postcode": "ls62qb"},
                      {"partner_id": "search-gp"}, {"status": "received", "name": "Ashworth-Gale"}):
            got = await http.get("/v1/referral-search", params=terms, headers=demo)
            assert got.status_code == 200, (terms, got.text)
            assert [r["referral_id"] for r in got.json()["results"]] == [referral_id], terms
        [found] = got.json()["results"]
        assert (found["given_name"], found["family_name"], found["reference"], found["partner_id"],
                found["programme_id"], found["status"]) == (
            "Winifred", "Ashworth-Gale", "SRCH-1", "search-gp", "demo", "received")
        assert found["status_in_words"].startswith("Received")

        # A misspelt name finds her by how it sounds, marked so; an exact name says it matched exactly, and a
        # name that sounds like nobody's finds nothing.
        for typed in ("Winnefred Ashwurth-Gail", "winifrid", "WINNY"):
            got = await http.get("/v1/referral-search", params={"name": typed}, headers=demo)
            assert [(r["referral_id"], r["matched_by"]) for r in got.json()["results"]] == [
                (referral_id, "sounds_like")], typed
        got = await http.get("/v1/referral-search", params={"name": "Winifred"}, headers=demo)
        assert [(r["referral_id"], r["matched_by"]) for r in got.json()["results"]] == [(referral_id, "name")]
        for typed in ("Bartholomew Quigley", "Winifred Jones"):
            got = await http.get("/v1/referral-search", params={"name": typed}, headers=demo)
            assert got.status_code == 200 and got.json()["results"] == [], typed

        # Another programme's coordinator finds only their own programme's referral; an admin finds both.
        north = system.staff_headers("coordinator", subject="coord-north", programmes=["north"])
        got = await http.get("/v1/referral-search", params={"name": "Ashworth-Gale"}, headers=north)
        assert [r["given_name"] for r in got.json()["results"]] == ["Albert"]
        assert (await http.get("/v1/referral-search", params={"reference": "SRCH-1"}, headers=north)).json()[
            "results"] == []
        got = await http.get("/v1/referral-search", params={"postcode": "LS6 2QB"}, headers=system.staff_headers("admin"))
        assert sorted(r["given_name"] for r in got.json()["results"]) == ["Albert", "Winifred"]

        # Bad searches and the wrong roles are refused, never echoing what was typed.
        for terms in ({}, {"nhs_number": "1234567890"}, {"postcode": "nowhere"}, {"name": "x" * 201},
                      {"name": "Ann", "limit": 500}):
            got = await http.get("/v1/referral-search", params=terms, headers=demo)
            assert got.status_code == 422, (terms, got.text)
            assert "1234567890" not in got.text and "nowhere" not in got.text
        for role, headers in (("connector", system.staff_headers("connector")),
                              ("auditor", system.staff_headers("auditor")),
                              ("referrer", system.staff_headers("referrer", partner_id="search-gp"))):
            got = await http.get("/v1/referral-search", params={"name": "Winnie"}, headers=headers)
            assert got.status_code == 403, role
        assert (await http.get("/v1/referral-search", params={"name": "Winnie"},
                               headers={"X-API-Key": key})).status_code == 401

        # The keys are blind indexes: no name, NHS number or postcode is stored in clear to be searched.
        # Nor is what her names sound like (the Metaphone keys, written out here by hand).
        stored = await system.sql("SELECT name_indexes::text || coalesce(nhs_number_index, '') || "
                                  "coalesce(postcode_index, '') AS keys, name_sound_indexes::text AS sounds "
                                  "FROM intake.referral_search_keys")
        assert len(stored) == 2
        for row in stored:
            for clear in ("winifred", "ashworth", "winnie", NHS_NUMBER, "LS6", "ls6"):
                assert clear not in row["keys"].lower() and clear not in row["sounds"].lower()
            for sound in ("WNFRT", "AXWR0KL", "ALBRT"):
                assert sound.lower() not in (row["keys"] + row["sounds"]).lower()
            assert row["sounds"].count(",") >= 1  # a blind index for each name word's sound (given, family, ...)

        # Each person shown is audited, for "referral search", without the terms searched for.
        auditor = system.staff_headers("auditor", subject="auditor")
        trail = (await http.get("/v1/audit-trail", params={"actor": "coord-demo"}, headers=auditor)).json()
        assert trail and {(e["action"], e["purpose"], e["referral_id"]) for e in trail} == {
            ("read", "referral search", referral_id)}
        assert all(e["fields"] == ["given_name", "family_name", "preferred_name"] for e in trail)
        for clear in ("Winifred", "WINNIE", "winnie", "943 476 5919", NHS_NUMBER, "ls62qb", "LS6 2QB", "SRCH-1"):
            assert clear not in str(trail)
        check = (await http.get("/v1/audit-trail/verification", headers=auditor)).json()
        assert check["intact"] is True

        # Once erased, the person is found by nothing.
        erased = await http.post("/v1/erasures", headers=system.staff_headers("admin"),
                                 json={"referral_id": referral_id, "reason": "request 12"})
        assert erased.status_code == 200, erased.text
        for terms in ({"reference": "SRCH-1"}, {"name": "Winnie"}, {"nhs_number": NHS_NUMBER},
                      {"partner_id": "search-gp"}):
            got = await http.get("/v1/referral-search", params=terms, headers=demo)
            assert got.json()["results"] == [], terms
        assert await system.sql("SELECT 1 FROM intake.referral_search_keys WHERE referral_id = $1::uuid",
                                referral_id) == []

    # A referral received before search keys were kept (its keys removed, as before intake_0011) is given them
    # as intake next starts, and so is one indexed before names' sounds were (intake_0013); the erased person
    # is not.
    await system.sql("DELETE FROM intake.referral_search_keys WHERE referral_id = $1::uuid", albert_id)
    system.stop("intake")
    system.start("intake")
    await system.wait_for("SELECT 1 FROM intake.referral_search_keys WHERE referral_id = $1::uuid", albert_id)
    async with httpx.AsyncClient(base_url=system.url("intake"), timeout=30) as http:
        got = await http.get("/v1/referral-search", params={"name": "albert ashworth-gale"},
                             headers=system.staff_headers("admin"))
        assert [r["referral_id"] for r in got.json()["results"]] == [albert_id]
    await system.sql("UPDATE intake.referral_search_keys SET name_sound_indexes = NULL WHERE referral_id = $1::uuid",
                     albert_id)
    system.stop("intake")
    system.start("intake")
    await system.wait_for("SELECT 1 FROM intake.referral_search_keys WHERE referral_id = $1::uuid "
                          "AND name_sound_indexes IS NOT NULL", albert_id)
    async with httpx.AsyncClient(base_url=system.url("intake"), timeout=30) as http:
        got = await http.get("/v1/referral-search", params={"name": "Albirt Ashwurth-Gail"},
                             headers=system.staff_headers("admin"))
        assert [(r["referral_id"], r["matched_by"]) for r in got.json()["results"]] == [(albert_id, "sounds_like")]
    assert await system.sql("SELECT 1 FROM intake.referral_search_keys WHERE referral_id = $1::uuid",
                            referral_id) == []
