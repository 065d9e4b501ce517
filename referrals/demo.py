"""The demo seed: a programme's partner, workers and credentials, created through the public APIs."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import httpx

from shared.platform.auth import MAX_TOKEN_LIFETIME, issue_staff_token

DEMO_PROGRAMME = "demo"
DEMO_PARTNER = "demo-gp-practice"
DEMO_EMAIL_DOMAIN = "demo.example.org"  # example.org: a domain reserved for examples, so no mail goes anywhere
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


# Demo tokens last a working day (the longest a staff token may live), not the hour a real one does.
DEMO_TOKEN_LIFETIME = MAX_TOKEN_LIFETIME


def _token(secret: str, subject: str, roles: list[str], worker_id: str | None = None,
           partner_id: str | None = None) -> str:
    return issue_staff_token(secret, subject, roles, ttl=DEMO_TOKEN_LIFETIME, worker_id=worker_id,
                             partner_id=partner_id)


def seed(urls: dict[str, str], secret: str, demo_file: Path) -> dict:
    tokens = {role: _token(secret, f"demo-{role}", [role]) for role in ("admin", "coordinator", "manager")}
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
            workers = [client.post(f"{urls['caseload']}/v1/workers", headers=admin, json=worker)
                       .raise_for_status().json() for worker in DEMO_WORKERS]
        # Staff accounts in identity, each with a password of its own: sign in with POST /v1/sessions.
        # Each demo worker's account is its worker profile: its tokens act on its own offers and cases only.
        known = {a.get("email"): a.get("password") for a in previous.get("credentials", {}).get("accounts", [])}
        wanted = [{"name": role, "email": f"demo-{role}@{DEMO_EMAIL_DOMAIN}", "roles": [role]}
                  for role in ("admin", "coordinator", "manager")]
        wanted += [{"name": w["name"], "email": f"demo-{_slug(w['name'])}@{DEMO_EMAIL_DOMAIN}", "roles": [w["role"]],
                    "worker_id": w["id"], "programmes": [DEMO_PROGRAMME]} for w in workers]
        # A referrer: the demo GP practice's member of staff, who makes and follows its referrals in the workspace.
        wanted.append({"name": "Demo GP Referrer", "email": f"demo-referrer@{DEMO_EMAIL_DOMAIN}",
                       "roles": ["referrer"], "partner_id": DEMO_PARTNER})
        accounts = [_account(client, urls["identity"], admin, spec, known.get(spec["email"])) for spec in wanted]
    for account in accounts:
        # A token that lasts the demo's day; a signed-in one (POST /v1/sessions) lasts an hour and can be revoked.
        account["token"] = _token(secret, account.pop("id"), account["roles"], account.get("worker_id"),
                                  account.get("partner_id"))
        if account["name"] in tokens:
            tokens[account["name"]] = account["token"]
    first_connector = next(a for a in accounts if a["roles"] == ["connector"])
    tokens["connector"] = first_connector["token"]
    return {
        "programme_id": DEMO_PROGRAMME,
        "self_referral_form": f"{urls['intake']}/self-referral/{DEMO_PROGRAMME}",
        "credentials": {
            "partner_id": DEMO_PARTNER,
            "partner_api_key": api_key,
            "staff_tokens": tokens,
            "accounts": accounts,
        },
    }


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-")


def _account(client: httpx.Client, identity_url: str, admin: dict, spec: dict, password: str | None) -> dict:
    """The demo account as `spec` says, with `password` (the one demo.json gave it before) or a new one."""
    password = password or secrets.token_urlsafe(15)
    created = client.post(f"{identity_url}/v1/accounts", headers=admin, json={**spec, "password": password})
    if created.status_code == 409:  # seeded by an earlier run: give it the password demo.json will hold
        listed = client.get(f"{identity_url}/v1/accounts", headers=admin, params={"limit": 500})
        account = next(a for a in listed.raise_for_status().json() if a["email"] == spec["email"])
        client.post(f"{identity_url}/v1/accounts/{account['id']}/password", headers=admin,
                    json={"password": password}).raise_for_status()
    else:
        account = created.raise_for_status().json()
    return {"id": account["id"], **{k: v for k, v in spec.items() if k != "programmes"}, "password": password}


def _key_works(client: httpx.Client, intake_url: str, api_key: str) -> bool:
    probe = client.get(
        f"{intake_url}/v1/referrals/00000000-0000-0000-0000-000000000000", headers={"X-API-Key": api_key}
    )
    return probe.status_code == 404


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (it holds credentials), whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    path.chmod(0o600)  # an older, world-readable demo.json keeps its mode through O_CREAT
