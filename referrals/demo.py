"""The demo seed: a programme's partner, workers and credentials, created through the public APIs."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from shared.platform.auth import issue_staff_token

DEMO_PROGRAMME = "demo"
DEMO_PARTNER = "demo-gp-practice"
DEMO_WORKERS = (
    # Demo workers take offers at once, so a referral is assigned straight away. To try offers,
    # PATCH a worker with {"auto_accept_offers": false}: their offers then wait at
    # GET /v1/workers/{id}/offers for POST /v1/offers/{offer}/accept or /decline.
    {"name": "Demo Connector One", "role": "connector", "programme_id": DEMO_PROGRAMME, "capacity_hours": "21",
     "auto_accept_offers": True, "languages": ["en"], "travel_districts": ["E5", "E8", "E9"]},
    {"name": "Demo Connector Two", "role": "connector", "programme_id": DEMO_PROGRAMME, "capacity_hours": "21",
     "auto_accept_offers": True, "languages": ["en", "gu"], "travel_districts": ["E8", "N16"]},
    {"name": "Demo Volunteer", "role": "volunteer", "programme_id": DEMO_PROGRAMME, "capacity_hours": "2",
     "auto_accept_offers": True},
)


def seed(urls: dict[str, str], secret: str, demo_file: Path) -> dict:
    tokens = {
        role: issue_staff_token(secret, f"demo-{role}", [role]) for role in ("admin", "coordinator", "connector")
    }
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    previous = json.loads(demo_file.read_text()) if demo_file.exists() else {}
    with httpx.Client(timeout=10) as client:
        client.put(
            f"{urls['intake']}/v1/programmes/{DEMO_PROGRAMME}", headers=admin,
            json={"name": "Demo community connector scheme", "self_referral_open": True},
        ).raise_for_status()
        created = client.post(
            f"{urls['intake']}/v1/partners",
            headers=admin,
            json={"id": DEMO_PARTNER, "name": "Demo GP practice", "allowed_programmes": [DEMO_PROGRAMME],
                  "attests_consent": True},  # a GP system records consent in its own record
        )
        if created.status_code not in (201, 409):
            created.raise_for_status()
        api_key = previous.get("credentials", {}).get("partner_api_key")
        if not api_key or not _key_works(client, urls["intake"], api_key):
            issued = client.post(f"{urls['intake']}/v1/partners/{DEMO_PARTNER}/api-keys", headers=admin)
            issued.raise_for_status()
            api_key = issued.json()["api_key"]
        workers = client.get(
            f"{urls['caseload']}/v1/workers", params={"programme_id": DEMO_PROGRAMME}, headers=admin
        ).raise_for_status().json()
        if not workers:
            for worker in DEMO_WORKERS:
                client.post(f"{urls['caseload']}/v1/workers", headers=admin, json=worker).raise_for_status()
    return {
        "programme_id": DEMO_PROGRAMME,
        "self_referral_form": f"{urls['intake']}/self-referral/{DEMO_PROGRAMME}",
        "credentials": {
            "partner_id": DEMO_PARTNER,
            "partner_api_key": api_key,
            "staff_tokens": tokens,
        },
    }


def _key_works(client: httpx.Client, intake_url: str, api_key: str) -> bool:
    probe = client.get(
        f"{intake_url}/v1/referrals/00000000-0000-0000-0000-000000000000", headers={"X-API-Key": api_key}
    )
    return probe.status_code == 404
