"""`referrals dead-letters`: list, show, replay or discard the running system's dead letters.

    referrals dead-letters list [--status dead|replayed|discarded|all] [--service NAME]...
    referrals dead-letters show SERVICE ID [--payload]
    referrals dead-letters replay SERVICE ID          (or: replay SERVICE --all [--consumer-group G])
    referrals dead-letters discard SERVICE ID --reason TEXT

Each service keeps its own dead letters; this asks their admin API (/v1/dead-letters), found as
`referrals status` finds them (running.json in the data directory, or --service-url NAME=URL), acting as
an admin with a five-minute token signed with the deployment's AUTH_SECRET. Every replay, discard and
payload read is written to the dead letter's history under that token's subject.
"""

from __future__ import annotations

import argparse
import json
import sys

import httpx

from referrals.accounts import AccountError, admin_headers
from referrals.status import find_services


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="where `referrals up` keeps running.json and auth_secret")
    parser.add_argument("--service-url", action="append", default=[], metavar="NAME=URL",
                        help="a service's URL (repeat); replaces running.json")
    parser.add_argument("--json", action="store_true", help="print the answers as JSON")
    sub = parser.add_subparsers(dest="action", required=True)
    listing = sub.add_parser("list", help="every service's dead letters, oldest first")
    listing.add_argument("--status", default="dead", choices=["dead", "replayed", "discarded", "all"])
    listing.add_argument("--service", action="append", default=[], help="only this service's (repeat)")
    show = sub.add_parser("show", help="what failed and what was done about it")
    show.add_argument("service")
    show.add_argument("id")
    show.add_argument("--payload", action="store_true", help="also the record itself (may name a person; logged)")
    replay = sub.add_parser("replay", help="publish again to its topic, once the cause is mended")
    replay.add_argument("service")
    replay.add_argument("id", nargs="?")
    replay.add_argument("--all", action="store_true", help="every dead letter of the service still waiting")
    replay.add_argument("--consumer-group", help="with --all: only this consumer group's")
    discard = sub.add_parser("discard", help="give up on one, saying why (it is kept, and never replayed)")
    discard.add_argument("service")
    discard.add_argument("id")
    discard.add_argument("--reason", required=True, help="why; no personal data")


class CommandError(Exception):
    pass


def command(args: argparse.Namespace) -> int:
    try:
        services = find_services(args.data_dir, args.service_url)
        if not services:
            raise CommandError("no running services found (is `referrals up` running?); or give --service-url")
        with httpx.Client(headers=admin_headers(args), timeout=30) as client:
            answer = ACTIONS[args.action](client, services, args)
    except (AccountError, CommandError, ValueError, httpx.HTTPError) as exc:
        print(f"referrals dead-letters: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, CommandError) else 2
    if args.json:
        print(json.dumps(answer, indent=2, default=str))
    else:
        print(_text(args.action, answer))
    return 0


def _url(services: dict[str, str], name: str) -> str:
    if name not in services:
        raise CommandError(f"no service {name!r} among {', '.join(sorted(services))}")
    return services[name]


def _call(client: httpx.Client, method: str, url: str, **kwargs) -> httpx.Response:
    response = client.request(method, url, **kwargs)
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail") or response.json().get("title")
        except ValueError:
            detail = response.text[:200]
        raise CommandError(f"HTTP {response.status_code} from {url}: {detail}")
    return response


def _list(client: httpx.Client, services: dict[str, str], args) -> list[dict]:
    names = args.service or sorted(services)
    params = {"status": args.status}
    rows = []
    for name in names:
        listed = _call(client, "GET", f"{_url(services, name)}/v1/dead-letters", params=params).json()
        rows += [{"service": name, **row} for row in listed]
    return rows


def _show(client: httpx.Client, services: dict[str, str], args) -> dict:
    base = f"{_url(services, args.service)}/v1/dead-letters/{args.id}"
    shown = _call(client, "GET", base).json()
    if args.payload:
        shown["payload"] = _call(client, "GET", f"{base}/payload").json()["payload"]
    return shown


def _replay(client: httpx.Client, services: dict[str, str], args) -> list[dict]:
    service = _url(services, args.service)
    if args.all == bool(args.id):
        raise CommandError("replay wants a dead letter's id or --all (not both)")
    if args.all:
        return _call(client, "POST", f"{service}/v1/dead-letter-replays",
                     json={"consumer_group": args.consumer_group}).json()
    return [_call(client, "POST", f"{service}/v1/dead-letters/{args.id}/replay").json()]


def _discard(client: httpx.Client, services: dict[str, str], args) -> dict:
    _call(client, "POST", f"{_url(services, args.service)}/v1/dead-letters/{args.id}/discard",
          json={"reason": args.reason})
    return {"id": args.id, "status": "discarded"}


ACTIONS = {"list": _list, "show": _show, "replay": _replay, "discard": _discard}


def _text(action: str, answer) -> str:
    if action == "list":
        if not answer:
            return "No dead letters."
        return "\n".join(f"{r['service']:9} {r['id']}  {r['status']:9} {r['failed_at'][:19]}  {r['consumer_group']}"
                         f"  {r['event_type'] or '-'}  {r['reason'][:80]}" for r in answer)
    if action == "replay":
        return "\n".join(f"replayed {r['id']} to {r['topic']} (replay {r['replays']})" for r in answer) or \
            "Nothing to replay."
    if action == "discard":
        return f"discarded {answer['id']}"
    lines = [f"{key}: {value}" for key, value in answer.items() if key not in ("history", "payload")]
    lines += [f"  {h['at'][:19]} {h['action']} by {h['actor']}{': ' + h['note'] if h['note'] else ''}"
              for h in answer["history"]]
    if "payload" in answer:
        lines.append("payload: " + json.dumps(answer["payload"], indent=2))
    return "\n".join(lines)
