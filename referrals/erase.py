"""`referrals erase`: erase a person from the running system's registry, through intake's admin API.

    referrals erase --referral ID | --person ID [--reason TEXT] [--data-dir DIR] [--yes]

Found as `referrals status` finds the services (running.json in the data directory), acting as an admin
with a five-minute token signed with the deployment's AUTH_SECRET. Erasure cannot be undone, so it asks
first unless --yes; the reason goes into the audit trail.
"""

from __future__ import annotations

import argparse
import sys

import httpx

from referrals.accounts import AccountError, admin_headers, running_service_url


def add_arguments(parser: argparse.ArgumentParser) -> None:
    whom = parser.add_mutually_exclusive_group(required=True)
    whom.add_argument("--referral", help="erase the person this referral names")
    whom.add_argument("--person", help="erase the person with this id")
    parser.add_argument("--reason", default="erasure requested at the command line",
                        help="why, for the audit trail (e.g. the request's reference)")
    parser.add_argument("--data-dir", help="where `referrals up` keeps running.json and auth_secret")
    parser.add_argument("--intake-url", help="the intake service (default: from running.json)")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def command(args: argparse.Namespace) -> int:
    whom = f"referral {args.referral}" if args.referral else f"person {args.person}"
    if not args.yes:
        answer = input(f"Erase the person named by {whom}? This cannot be undone. Type 'erase' to go on: ")
        if answer.strip() != "erase":
            print("Nothing erased.", file=sys.stderr)
            return 1
    body = {"reason": args.reason, **({"referral_id": args.referral} if args.referral else {"person_id": args.person})}
    try:
        url = running_service_url(args, "intake", args.intake_url)
        response = httpx.post(f"{url}/v1/erasures", json=body, headers=admin_headers(args), timeout=30)
    except (AccountError, httpx.HTTPError) as exc:
        print(f"referrals erase: {exc}", file=sys.stderr)
        return 2
    if response.status_code != 200:
        detail = response.json().get("detail") if response.headers.get("content-type", "").endswith("json") else ""
        print(f"referrals erase: HTTP {response.status_code}: {detail or response.text[:200]}", file=sys.stderr)
        return 1
    erased = response.json()
    print(f"Erased person {erased['person_id']}: {len(erased['referrals_erased'])} referral(s) no longer hold "
          "their details.")
    return 0
