"""`referrals account`: staff accounts in the running system's identity service, through its admin API.

    referrals account create --name N --email E --role R [--role R] [--programme P] [--worker-id W]
    referrals account list
    referrals account disable EMAIL          (revokes the account's sessions everywhere)
    referrals account enable EMAIL
    referrals account set-password EMAIL

The identity service is found as `referrals status` finds the services (running.json in the data
directory `referrals up` uses), or named with --identity-url. The CLI acts as an admin with a token it
signs for five minutes with the deployment's AUTH_SECRET (the environment's, or the data directory's).
A password is generated and printed once unless --password-stdin reads one: a password given as an
argument would be visible to every user of the machine in the process list.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

import httpx

from shared.platform.auth import STAFF_ROLES, issue_staff_token

ADMIN_TOKEN_LIFETIME = timedelta(minutes=5)


class AccountError(Exception):
    """What the user is told, on stderr, with exit status 1."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="where `referrals up` keeps running.json and auth_secret "
                                           "(default ./.referrals or $REFERRALS_DATA_DIR)")
    parser.add_argument("--identity-url", help="the identity service (default: from running.json)")
    actions = parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create an account (prints its generated password once)")
    create.add_argument("--name", required=True)
    create.add_argument("--email", required=True)
    create.add_argument("--role", action="append", required=True, choices=sorted(STAFF_ROLES))
    create.add_argument("--programme", action="append", default=[], help="a programme it works in (repeat)")
    create.add_argument("--worker-id", help="the caseload worker profile a volunteer or connector is")
    create.add_argument("--partner-id", help="the partner a referrer works for (required with --role referrer)")
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    actions.add_parser("list", help="list the accounts")
    for name, what in (("disable", "disable an account and revoke its sessions"), ("enable", "enable an account"),
                       ("set-password", "give an account a new password (prints a generated one once)")):
        action = actions.add_parser(name, help=what)
        action.add_argument("email")
        if name == "set-password":
            action.add_argument("--password-stdin", action="store_true", help="read the password from standard input")


def command(args: argparse.Namespace) -> int:
    try:
        with httpx.Client(base_url=_identity_url(args), timeout=30, headers=_admin(args)) as client:
            return ACTIONS[args.action](client, args)
    except AccountError as refused:
        print(f"referrals account: {refused}", file=sys.stderr)
        return 1
    except httpx.HTTPError as failed:
        print(f"referrals account: the identity service did not answer ({type(failed).__name__})", file=sys.stderr)
        return 1


def _data_dir(args: argparse.Namespace) -> Path:
    return Path(args.data_dir or os.environ.get("REFERRALS_DATA_DIR") or ".referrals").resolve()


def _identity_url(args: argparse.Namespace) -> str:
    return running_service_url(args, "identity", args.identity_url)


def running_service_url(args: argparse.Namespace, service: str, explicit: str | None = None) -> str:
    """A running service's URL: as given, else as `referrals up` listed it in running.json."""
    if explicit:
        return explicit.rstrip("/")
    running = _data_dir(args) / "running.json"
    if not running.exists():
        raise AccountError(f"{running} does not exist (is `referrals up` running?); or give --{service}-url")
    url = json.loads(running.read_text()).get("services", {}).get(service)
    if not url:
        raise AccountError(f"{running} names no {service} service")
    return url


def admin_headers(args: argparse.Namespace) -> dict[str, str]:
    """An admin's bearer token for five minutes, signed with the deployment's AUTH_SECRET."""
    return _admin(args)


def _admin(args: argparse.Namespace) -> dict[str, str]:
    secret = os.environ.get("AUTH_SECRET")
    if not secret:
        path = _data_dir(args) / "auth_secret"
        if not path.exists():
            raise AccountError(f"no AUTH_SECRET in the environment and no {path}")
        secret = path.read_text().strip()
    token = issue_staff_token(secret, "referrals-cli", ["admin"], ttl=ADMIN_TOKEN_LIFETIME)
    return {"Authorization": f"Bearer {token}"}


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """The password to set, and whether it was generated (then it is printed, once)."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if len(password) < 12:
            raise AccountError("a password has at least 12 characters")
        return password, False
    return secrets.token_urlsafe(15), True


def _refused(response: httpx.Response) -> AccountError:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = response.text[:200]
    return AccountError(f"identity answered {response.status_code}: {detail}")


def _find(client: httpx.Client, email: str) -> dict:
    wanted, offset = email.strip().lower(), 0
    while True:
        page = client.get("/v1/accounts", params={"limit": 500, "offset": offset})
        if page.status_code != 200:
            raise _refused(page)
        accounts = page.json()
        for account in accounts:
            if account["email"] == wanted:
                return account
        if len(accounts) < 500:
            raise AccountError(f"no account with email {wanted}")
        offset += 500


def _create(client: httpx.Client, args: argparse.Namespace) -> int:
    password, generated = _password(args)
    body = {"name": args.name, "email": args.email, "roles": args.role, "programmes": args.programme,
            "password": password}
    if args.worker_id:
        body["worker_id"] = args.worker_id
    if args.partner_id:
        body["partner_id"] = args.partner_id
    created = client.post("/v1/accounts", json=body)
    if created.status_code != 201:
        raise _refused(created)
    account = created.json()
    print(f"created {account['email']} ({', '.join(account['roles'])}) id {account['id']}")
    if generated:
        print(f"password: {password}")
    return 0


def _list(client: httpx.Client, args: argparse.Namespace) -> int:  # noqa: ARG001
    offset = 0
    while True:
        page = client.get("/v1/accounts", params={"limit": 500, "offset": offset})
        if page.status_code != 200:
            raise _refused(page)
        for a in page.json():
            state = "disabled" if a["disabled"] else "enabled"
            worker = f" worker {a['worker_id']}" if a["worker_id"] else ""
            programmes = f" programmes {','.join(a['programmes'])}" if a["programmes"] else ""
            print(f"{a['email']:<40} {state:<8} {','.join(a['roles'])}{programmes}{worker}  {a['name']}")
        if len(page.json()) < 500:
            return 0
        offset += 500


def _set_disabled(disabled: bool):
    def action(client: httpx.Client, args: argparse.Namespace) -> int:
        account = _find(client, args.email)
        changed = client.patch(f"/v1/accounts/{account['id']}", json={"disabled": disabled})
        if changed.status_code != 200:
            raise _refused(changed)
        print(f"{'disabled' if disabled else 'enabled'} {account['email']}"
              + (" (its sessions are revoked on every service)" if disabled else ""))
        return 0

    return action


def _set_password(client: httpx.Client, args: argparse.Namespace) -> int:
    account = _find(client, args.email)
    password, generated = _password(args)
    reset = client.post(f"/v1/accounts/{account['id']}/password", json={"password": password})
    if reset.status_code != 204:
        raise _refused(reset)
    print(f"new password set for {account['email']}")
    if generated:
        print(f"password: {password}")
    return 0


ACTIONS = {"create": _create, "list": _list, "disable": _set_disabled(True), "enable": _set_disabled(False),
           "set-password": _set_password}
