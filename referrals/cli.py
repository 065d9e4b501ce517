"""`referrals`: run the whole system, issue tokens, manage event contracts.

    referrals up [--demo] [--data-dir DIR]   start everything (embedded PostgreSQL + broker
                                             unless DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS are set)
                                             and restart any service that dies (referrals/supervisor.py)
    referrals token --subject S --role R     print a staff bearer token
    referrals account create|list|disable|enable|set-password
                                             staff accounts in the running identity service
    referrals schemas [--write]              check (or record) the JSON Schema of every event
    referrals docs [--write]                 check (or write) docs/api/<service>/{openapi,asyncapi}.json
    referrals event-keys                     print fresh event signing and data encryption keys (.env lines)
    referrals benchmark outcomes [--cases N] load N closed cases and print report latencies
    referrals erase --referral ID | --person ID [--data-dir DIR] [--yes]   erase a person from the registry
    referrals dead-letters list|show|replay|discard   the services' dead letters (replay after a fix)
    referrals chaos [--faults N] [--seed S]   faults at random moments under a stream of referrals; prints
                                             what became of each submission per kind of fault
    referrals status [--once] [--json]       the operational queues, live, from each service's /metrics
                     [--interval S] [--service NAME=URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import sys
import time
from pathlib import Path

from shared.platform.messaging.kafka import ensure_topics
from referrals import dbroles, demo
from referrals.embedded import POSTGRES_SUPERUSER, EmbeddedKafka, EmbeddedPostgres, free_port, port_is_free
from referrals.launcher import SERVICES, WORKSPACE, ServiceProcess, event_key_env, start_services, workspace_env
from referrals.status import METRICS_TOKEN_FILE
from referrals.supervisor import SUPERVISOR_FILE, ServiceCannotStart, Supervisor
from shared.schemas.topics import CONSUMER_GROUPS, Topics

DATABASE_NAME = "referrals"


def _data_dir(arg: str | None) -> Path:
    path = Path(arg or os.environ.get("REFERRALS_DATA_DIR") or ".referrals").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _auth_secret(data_dir: Path) -> str:
    return _secret(data_dir, "AUTH_SECRET", "auth_secret")


def _secret(data_dir: Path, variable: str, file_name: str) -> str:
    """The operator's value if set, else one generated into the data directory once (mode 0600) and kept."""
    if os.environ.get(variable):
        return os.environ[variable]
    path = data_dir / file_name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _event_signing_keys(data_dir: Path) -> dict[str, str]:
    """Each service's Ed25519 private key, made once and kept in the data dir (event_keys/<service>.key)."""
    from shared.platform.messaging.signing import generate_private_key

    return _per_service_keys(data_dir / "event_keys", "key", generate_private_key)


def _data_encryption_keys(data_dir: Path) -> dict[str, str]:
    """Each service's key-encryption key for personal data, made once (data_keys/<service>.kek). Losing
    one loses what that service sealed: a deployment backs it up apart from the database."""
    from shared.platform.sealing import generate_key_encryption_key

    return _per_service_keys(data_dir / "data_keys", "kek", generate_key_encryption_key)


def _per_service_keys(directory: Path, suffix: str, generate) -> dict[str, str]:
    directory.mkdir(mode=0o700, exist_ok=True)
    keys = {}
    for name in SERVICES:
        path = directory / f"{name}.{suffix}"
        if not path.exists():
            # Created 0600 from the start, so the key is never readable by others, not even briefly;
            # written aside and renamed, so an interrupted start never leaves an empty key behind.
            partial = directory / f".{name}.{suffix}.{os.getpid()}"
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as file:
                file.write(generate())
            os.replace(partial, path)
        keys[name] = path.read_text().strip()
    return keys


def _ports(base: int) -> dict[str, int]:
    ports = {}
    for offset, name in enumerate((*SERVICES, WORKSPACE)):  # the workspace last: 8006 by default
        wanted = base + offset
        ports[name] = wanted if port_is_free(wanted) else free_port()
    return ports


def cmd_up(args: argparse.Namespace) -> int:
    data_dir = _data_dir(args.data_dir)
    stack: list = []  # things to stop, in reverse order

    def say(message: str) -> None:
        print(message, flush=True)

    try:
        database_url = os.environ.get("DATABASE_URL")
        if not database_url:
            pg = EmbeddedPostgres(data_dir / "postgres" / "data", free_port())
            say(f"starting embedded PostgreSQL (data in {pg.data_dir}) ...")
            pg.start()
            stack.append(pg.stop)
            pg.create_database(DATABASE_NAME)
            database_url = pg.url_for(DATABASE_NAME)
            passwords = pg.password
            password_file: Path | None = pg.passwords_dir / POSTGRES_SUPERUSER
            password_hint = f"   (password in {password_file})"
        else:
            password_file, password_hint = None, ""
            # Roles on a server of the operator's: their passwords kept with the rest of this run's data.
            passwords = dbroles.password_store(data_dir / "database-roles")
        service_urls = asyncio.run(dbroles.provision(database_url, passwords))
        if service_urls is None:
            say("DATABASE_URL's user is not a superuser, so cannot give each service a role of its own: "
                "every service connects as that user")
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        embedded_broker = not bootstrap
        if embedded_broker:
            port = 9092 if port_is_free(9092) else free_port()
            kafka = EmbeddedKafka(port, log_path=data_dir / "logs" / "broker.log")
            (data_dir / "logs").mkdir(exist_ok=True)
            say("starting embedded Kafka-protocol broker (Tansu, memory storage) ...")
            kafka.start()
            stack.append(kafka.stop)
            bootstrap = kafka.bootstrap_servers
        topic_prefix = os.environ.get("TOPIC_PREFIX", "")
        asyncio.run(ensure_topics(bootstrap, Topics(topic_prefix), list(CONSUMER_GROUPS)))

        env = {
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "AUTH_SECRET": _auth_secret(data_dir),
            # What `referrals status` (and a local Prometheus) present at /metrics: status reads it from here.
            "METRICS_SCRAPE_TOKEN": _secret(data_dir, "METRICS_SCRAPE_TOKEN", METRICS_TOKEN_FILE),
            "TOPIC_PREFIX": topic_prefix,
        }
        if embedded_broker:
            # Tansu joins consumer groups faster with short timeouts; harmless for a local run.
            env.setdefault("KAFKA_SESSION_TIMEOUT_MS", "6000")
            env.setdefault("KAFKA_REBALANCE_TIMEOUT_MS", "1000")
        say("starting services (migrations run as each starts) ...")
        keys = event_key_env(_event_signing_keys(data_dir), _data_encryption_keys(data_dir))
        per_service = {name: {**keys.get(name, {}), **({"DATABASE_URL": service_urls[name]}
                                                        if service_urls and name in service_urls else {})}
                       for name in SERVICES}
        ports = _ports(args.port_base)
        processes = start_services(env, ports, data_dir / "logs", service_env=per_service)
        stack.append(lambda: [p.stop() for p in reversed(processes)])
        urls = {p.name: p.url for p in processes}
        # The staff workspace, told where each service is; its cookies travel over this run's plain http.
        workspace = ServiceProcess(WORKSPACE, ports[WORKSPACE], {
            **env, **workspace_env(urls), "WORKSPACE_COOKIE_SECURE": "false"}, data_dir / "logs" / f"{WORKSPACE}.log")
        workspace.start()
        stack.append(workspace.stop)
        workspace.wait_ready()
        watched = [*processes, workspace]
        running = data_dir / "running.json"  # how `referrals status` finds the services
        running.write_text(json.dumps({"services": urls}, indent=2))  # not the workspace: it has no /metrics
        stack.append(lambda: running.unlink(missing_ok=True))

        summary: dict = {
            "services": {**urls, WORKSPACE: workspace.url},
            "kafka_bootstrap_servers": bootstrap,
            "database": "embedded PostgreSQL" if "DATABASE_URL" not in os.environ else "DATABASE_URL",
            # For psql and the like (as the superuser, or DATABASE_URL's user); the services use their own
            # roles. Without its password: that stays in its own 0600 file.
            "operator_database_url": dbroles.without_password(database_url),
            # Where that password is, so anyone can check what is stored: PGPASSWORD=$(cat FILE) psql URL.
            "operator_database_password_file": str(password_file) if password_file else None,
            "service_database_roles": {name: dbroles.service_role(name) for name in service_urls or {}},
            "data_dir": str(data_dir),
            "logs": str(data_dir / "logs"),
        }
        if args.demo:
            summary.update(demo.seed(urls, env["AUTH_SECRET"], data_dir / "demo.json"))
            demo.write_private(data_dir / "demo.json", json.dumps(summary, indent=2))
        _print_summary(summary, data_dir, args.demo, password_hint)

        stopping = False

        def _stop(signum, frame) -> None:  # noqa: ARG001
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        # A service that dies is started again on its port; the rest keep running (referrals/supervisor.py).
        supervisor_file = data_dir / SUPERVISOR_FILE
        stack.append(lambda: supervisor_file.unlink(missing_ok=True))
        supervisor = Supervisor({p.name: p for p in watched}, supervisor_file, say=say)
        while not stopping:
            try:
                supervisor.check()
            except ServiceCannotStart as exc:
                say(f"{exc}; see {data_dir / 'logs'}. Stopping.")
                return 1
            time.sleep(0.5)
        say("stopping ...")
        return 0
    finally:
        for stop in reversed(stack):
            try:
                stop()
            except Exception as exc:  # noqa: BLE001 - keep stopping the rest
                print(f"while stopping: {exc}", file=sys.stderr)
        print("stopped", flush=True)


def _print_summary(summary: dict, data_dir: Path, with_demo: bool, password_hint: str = "") -> None:
    print("\nCommunity connector referrals is running.\n")
    for name, url in summary["services"].items():
        print(f"  {name:<9} {url}   " + ("(staff sign in here)" if name == WORKSPACE else f"(API docs: {url}/docs)"))
    print(f"  kafka     {summary['kafka_bootstrap_servers']}")
    print(f"  database  {summary['operator_database_url']}{password_hint}")
    print(f"  logs      {summary['logs']}")
    if with_demo:
        creds = summary["credentials"]
        print("\nDemo credentials (also in " + str(data_dir / "demo.json") + "):")
        print(f"  programme            {summary['programme_id']}")
        print(f"  partner API key      {creds['partner_api_key']}")
        for role, token in creds["staff_tokens"].items():
            print(f"  staff token ({role}) {token}")
        for account in creds.get("accounts", []):
            # Staff sign in to identity with these (POST /v1/sessions) for an hour's revocable token.
            print(f"  sign in ({account['name']}) {account['email']} / {account['password']}")
        print(f"  self-referral form   {summary['self_referral_form']}")
        print("\nTry:")
        print(
            f"  curl -s -X POST {summary['services']['intake']}/v1/referrals "
            f"-H 'X-API-Key: {creds['partner_api_key']}' -H 'Content-Type: application/json' \\\n"
            "    -d '{\"programme_id\": \"demo\", \"person\": {\"given_name\": \"Ada\", \"family_name\": \"Example\","
            " \"age_years\": 72, \"postcode\": \"E8 1DY\"}, \"consent\": {\"to_referral\": true}}'"
        )
    print("\nCtrl-C stops everything.\n", flush=True)


def cmd_token(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from shared.platform.auth import issue_staff_token

    secret = os.environ.get("AUTH_SECRET") or _auth_secret(_data_dir(args.data_dir))
    print(issue_staff_token(secret, args.subject, args.role, ttl=timedelta(minutes=args.minutes),
                            worker_id=args.worker_id, programmes=args.programme, sites=args.site))
    return 0


def cmd_schemas(args: argparse.Namespace) -> int:
    from shared.schemas import jsonschema

    if args.write:
        refused = jsonschema.write_snapshots()
        for line in refused:
            print(f"refused (incompatible, needs a new schema version): {line}")
        return 1 if refused else 0
    snapshots = jsonschema.load_snapshots()
    problems = []
    for name, schema in jsonschema.generate().items():
        if name not in snapshots:
            problems.append(f"{name}: no recorded snapshot")
        elif schema != snapshots[name]:
            issues = jsonschema.incompatibilities(snapshots[name], schema)
            problems.append(f"{name}: " + ("; ".join(issues) if issues else "changed compatibly; record it"))
    for p in problems:
        print(p)
    return 1 if problems else 0


def cmd_docs(args: argparse.Namespace) -> int:
    from shared.platform import api_docs

    if args.write:
        for relative in api_docs.write(SERVICES):
            print(f"wrote docs/api/{relative}")
        return 0
    problems = api_docs.check(SERVICES)
    for problem in problems:
        print(problem)
    if problems:
        print(f"the API docs are out of date: {api_docs.REGENERATE}")
    return 1 if problems else 0


def cmd_event_keys(args: argparse.Namespace) -> int:
    """Fresh keys for a deployment, as `NAME=value` lines (docker compose reads them from .env): each
    service's event signing key and its key-encryption key for personal data, and the verify list."""
    from shared.platform.messaging.signing import format_verify_keys, generate_private_key, public_key_text
    from shared.platform.sealing import generate_key_encryption_key

    private = {name: generate_private_key() for name in SERVICES}
    for name in SERVICES:
        print(f"{name.upper()}_EVENT_SIGNING_KEY={private[name]}")
        print(f"{name.upper()}_DATA_ENCRYPTION_KEY={generate_key_encryption_key()}")
    print(f"EVENT_VERIFY_KEYS={format_verify_keys({n: public_key_text(k) for n, k in private.items()})}")
    return 0


def cmd_benchmark(args: argparse.Namespace) -> int:
    from referrals import benchmark

    return benchmark.main(args.cases)


def cmd_status(args: argparse.Namespace) -> int:
    from referrals import status

    return status.command(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="referrals", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="run the whole system")
    up.add_argument("--demo", action="store_true", help="seed a demo programme, partner, workers and credentials")
    up.add_argument("--data-dir", help="where data and logs live (default ./.referrals or $REFERRALS_DATA_DIR)")
    up.add_argument("--port-base", type=int, default=8001, help="first HTTP port (intake; others follow)")
    up.set_defaults(func=cmd_up)
    token = sub.add_parser("token", help="print a staff bearer token")
    token.add_argument("--subject", required=True)
    token.add_argument("--role", action="append", required=True)
    token.add_argument("--worker-id", help="the worker a volunteer or connector acts as (its own cases only)")
    token.add_argument("--minutes", type=int, default=60, help="lifetime, at most 720 (12 hours)")
    token.add_argument("--programme", action="append", default=None,
                       help="a programme the holder works in (repeat); none: every programme")
    token.add_argument("--site", action="append", default=None,
                       help="a site the holder coordinates (repeat); none: every site")
    token.add_argument("--data-dir")
    token.set_defaults(func=cmd_token)
    from referrals import accounts

    account = sub.add_parser("account", help="create, list, disable or enable staff accounts, or set a password")
    accounts.add_arguments(account)
    account.set_defaults(func=accounts.command)
    from referrals import erase

    eraser = sub.add_parser("erase", help="erase a person from the registry (cannot be undone)")
    erase.add_arguments(eraser)
    eraser.set_defaults(func=erase.command)
    schemas = sub.add_parser("schemas", help="check or record event JSON Schemas")
    schemas.add_argument("--write", action="store_true")
    schemas.set_defaults(func=cmd_schemas)
    docs = sub.add_parser("docs", help="check or write each service's OpenAPI and AsyncAPI documents (docs/api/)")
    docs.add_argument("--write", action="store_true")
    docs.set_defaults(func=cmd_docs)
    keys = sub.add_parser("event-keys", help="print new event signing and data encryption keys for a deployment (.env lines)")
    keys.set_defaults(func=cmd_event_keys)
    bench = sub.add_parser("benchmark", help="load a large history and print report latencies")
    bench.add_argument("what", choices=["outcomes"])
    bench.add_argument("--cases", type=int, default=1_000_000)
    bench.set_defaults(func=cmd_benchmark)
    from referrals import chaos

    faults = sub.add_parser("chaos", help="inject faults under a stream of referrals and account for every one")
    chaos.add_arguments(faults)
    faults.set_defaults(func=chaos.command)
    from referrals import status

    from referrals import dead_letters

    letters = sub.add_parser("dead-letters", help="list, show, replay or discard the services' dead letters")
    dead_letters.add_arguments(letters)
    letters.set_defaults(func=dead_letters.command)
    watch = sub.add_parser("status", help="watch the operational queues (scrapes each service's /metrics)")
    status.add_arguments(watch)
    watch.set_defaults(func=cmd_status)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
