"""`referrals status`: the operational queues in a terminal, read from each service's /metrics.

The Prometheus endpoints are the single source of truth: this scrapes them, never
the database. Parsing, the view model and the rendering are pure functions; only
`scrape` and `run` touch the network and the terminal.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, NamedTuple, TextIO

import httpx
from prometheus_client.parser import text_string_to_metric_families

from referrals.supervisor import SUPERVISOR_FILE, read_state

CLEAR = "\x1b[H\x1b[2J"  # cursor home, clear screen
RUNNING_FILE = "running.json"
METRICS_TOKEN_FILE = "metrics_scrape_token"  # written by `referrals up` beside running.json, mode 0600


class Sample(NamedTuple):
    name: str
    labels: dict[str, str]
    value: float


@dataclass
class Exposition:
    """One scrape: the metric families the service declares (even with no series yet) and its samples."""

    families: set[str]
    samples: list[Sample]


def parse(text: str) -> Exposition:
    families, samples = set(), []
    for family in text_string_to_metric_families(text):
        families.add(family.name)
        samples.extend(Sample(s.name, dict(s.labels), s.value) for s in family.samples)
    return Exposition(families, samples)


# --- the view model -------------------------------------------------------------------------

@dataclass
class AwaitingTriage:
    programme: str
    count: int
    oldest_age_seconds: float


@dataclass
class PartnerQueue:
    partner: str
    pending: int
    failed: int


@dataclass
class ReviewQueue:
    programme: str
    depth: int
    oldest_age_seconds: float
    overdue: int


@dataclass
class WaitingList:
    programme: str
    site: str | None
    depth: int
    longest_wait_seconds: float


@dataclass
class Offers:
    programme: str
    open: int
    expired: int


@dataclass
class FirstContactBreaches:
    programme: str
    open: int


@dataclass
class AwaitingFirstContact:
    programme: str
    count: int
    oldest_age_seconds: float


@dataclass
class Capacity:
    programme: str
    site: str | None
    used_hours: float
    contracted_hours: float


@dataclass
class Outbox:
    service: str
    backlog: int
    oldest_age_seconds: float


@dataclass
class Consumer:
    group: str
    lag: int | None  # None: the service has not reported lag for this group
    partitions: int
    worst_partition: str | None
    worst_partition_lag: int | None
    consumed: dict[str, int]  # by outcome
    retries: int
    dead_lettered: dict[str, int]  # by error type


@dataclass
class ServiceView:
    name: str
    url: str
    up: bool
    reason: str | None = None  # why it is down
    not_ready: list[str] = field(default_factory=list)  # readiness checks failing, e.g. "broker: failing: KafkaError"
    # None: the service does not expose this queue; []: it does, and nothing is in it
    awaiting_triage: list[AwaitingTriage] | None = None
    match_reviews: tuple[int, float] | None = None  # open, oldest age in seconds
    webhooks: list[PartnerQueue] | None = None
    review_queue: list[ReviewQueue] | None = None
    waiting_list: list[WaitingList] | None = None
    offers: list[Offers] | None = None
    first_contact_breaches: list[FirstContactBreaches] | None = None
    awaiting_first_contact: list[AwaitingFirstContact] | None = None
    capacity: list[Capacity] | None = None
    outbox: list[Outbox] = field(default_factory=list)
    consumers: list[Consumer] = field(default_factory=list)
    published: dict[str, int] = field(default_factory=dict)  # by event type
    # From `referrals up`'s supervisor (None when nothing supervises the service): how often it was started
    # again, why it last ended, and what the supervisor is doing with it now.
    restarts: int | None = None
    last_exit_reason: str | None = None
    last_exit_at: str | None = None
    supervisor_state: str | None = None


def _series(samples: list[Sample], name: str, *keys: str) -> dict[tuple, float]:
    """The sum of a metric's samples grouped by the given labels (a missing label reads None)."""
    out: dict[tuple, float] = defaultdict(float)
    for s in samples:
        if s.name == name:
            out[tuple(s.labels.get(k) for k in keys)] += s.value
    return dict(out)


def _int(value: float) -> int:
    return int(value) if math.isfinite(value) else 0


def _queue(exposition: Exposition, family: str, build) -> list | None:
    """The queue's rows by programme and site, or None when the service does not expose it."""
    if family not in exposition.families:
        return None
    return sorted(build(), key=lambda row: (row.programme, getattr(row, "site", None) or ""))


def build_view(name: str, url: str, exposition: Exposition) -> ServiceView:
    s = exposition.samples

    def awaiting():
        count = _series(s, "referrals_awaiting_triage", "programme")
        oldest = _series(s, "referrals_awaiting_triage_oldest_age_seconds", "programme")
        return [AwaitingTriage(k[0], _int(v), oldest.get(k, 0.0)) for k, v in count.items()]

    def reviews():
        depth = _series(s, "referrals_review_queue_depth", "programme")
        oldest = _series(s, "referrals_review_queue_oldest_age_seconds", "programme")
        overdue = _series(s, "referrals_review_queue_overdue", "programme")
        return [ReviewQueue(k[0], _int(v), oldest.get(k, 0.0), _int(overdue.get(k, 0))) for k, v in depth.items()]

    def waiting():
        depth = _series(s, "referrals_waiting_list_depth", "programme", "site")
        oldest = _series(s, "referrals_waiting_list_oldest_wait_seconds", "programme", "site")
        return [WaitingList(k[0], k[1], _int(v), oldest.get(k, 0.0)) for k, v in depth.items()]

    def offers():
        open_ = _series(s, "referrals_offers_open", "programme")
        expired = _series(s, "referrals_offers_expired", "programme")
        return [Offers(k[0], _int(open_.get(k, 0)), _int(expired.get(k, 0))) for k in open_.keys() | expired.keys()]

    def awaiting_contact():
        count = _series(s, "referrals_awaiting_first_contact", "programme")
        oldest = _series(s, "referrals_awaiting_first_contact_oldest_age_seconds", "programme")
        return [AwaitingFirstContact(k[0], _int(v), oldest.get(k, 0.0)) for k, v in count.items()]

    def breaches():
        return [FirstContactBreaches(k[0], _int(v))
                for k, v in _series(s, "referrals_first_contact_breaches_open", "programme").items()]

    def capacity():
        used = _series(s, "referrals_capacity_hours_used", "programme", "site")
        contracted = _series(s, "referrals_capacity_hours_contracted", "programme", "site")
        return [Capacity(k[0], k[1], used.get(k, 0.0), contracted.get(k, 0.0)) for k in used.keys() | contracted.keys()]

    backlog = _series(s, "referrals_outbox_backlog", "service")
    oldest = _series(s, "referrals_outbox_oldest_age_seconds", "service")
    published = {k[0]: _int(v) for k, v in sorted(_series(s, "referrals_events_published_total", "event_type").items())}
    return ServiceView(
        name, url, up=True,
        awaiting_triage=_queue(exposition, "referrals_awaiting_triage", awaiting),
        match_reviews=(
            (_int(_series(s, "referrals_match_reviews_open").get((), 0)),
             _series(s, "referrals_match_reviews_oldest_age_seconds").get((), 0.0))
            if "referrals_match_reviews_open" in exposition.families else None),
        webhooks=_webhooks(exposition),
        review_queue=_queue(exposition, "referrals_review_queue_depth", reviews),
        waiting_list=_queue(exposition, "referrals_waiting_list_depth", waiting),
        offers=_queue(exposition, "referrals_offers_open", offers),
        first_contact_breaches=_queue(exposition, "referrals_first_contact_breaches_open", breaches),
        awaiting_first_contact=_queue(exposition, "referrals_awaiting_first_contact", awaiting_contact),
        capacity=_queue(exposition, "referrals_capacity_hours_used", capacity),
        outbox=[Outbox(k[0], _int(v), oldest.get(k, 0.0)) for k, v in sorted(backlog.items())],
        consumers=_consumers(s),
        published=published,
    )


def _webhooks(exposition: Exposition) -> list[PartnerQueue] | None:
    if "referrals_webhook_deliveries_pending" not in exposition.families:
        return None
    pending = _series(exposition.samples, "referrals_webhook_deliveries_pending", "partner")
    failed = _series(exposition.samples, "referrals_webhook_deliveries_failed", "partner")
    return [PartnerQueue(k[0], _int(pending.get(k, 0)), _int(failed.get(k, 0)))
            for k in sorted(set(pending) | set(failed))]


def _consumers(s: list[Sample]) -> list[Consumer]:
    lag = _series(s, "referrals_consumer_lag", "consumer", "partition")
    consumed = _series(s, "referrals_events_consumed_total", "consumer", "outcome")
    retries = _series(s, "referrals_event_retries_total", "consumer")
    dead = _series(s, "referrals_events_dead_lettered_total", "consumer", "error_type")
    groups = sorted({k[0] for k in lag} | {k[0] for k in consumed} | {k[0] for k in retries} | {k[0] for k in dead})
    out = []
    for group in groups:
        parts = sorted(((p, _int(v)) for (g, p), v in lag.items() if g == group),
                       key=lambda pv: (-pv[1], int(pv[0]) if pv[0].isdigit() else 0))
        out.append(Consumer(
            group,
            lag=sum(v for _, v in parts) if parts else None,
            partitions=len(parts),
            worst_partition=parts[0][0] if parts else None,
            worst_partition_lag=parts[0][1] if parts else None,
            consumed={o: _int(v) for (g, o), v in sorted(consumed.items()) if g == group},
            retries=_int(retries.get((group,), 0)),
            dead_lettered={e: _int(v) for (g, e), v in sorted(dead.items()) if g == group},
        ))
    return out


def down(name: str, url: str, reason: str) -> ServiceView:
    return ServiceView(name, url, up=False, reason=reason)


def with_supervision(view: ServiceView, supervised: dict | None) -> ServiceView:
    """The view with what the supervisor (referrals/supervisor.py's state file) says of this service."""
    if supervised:
        view.restarts = int(supervised.get("restarts", 0))
        view.last_exit_reason = supervised.get("last_exit_reason")
        view.last_exit_at = supervised.get("last_exit_at")
        view.supervisor_state = supervised.get("state")
    return view


# --- rendering ------------------------------------------------------------------------------

def human_age(seconds: float) -> str:
    """3900 -> '1h 5m'; the two largest units, the smaller dropped when it is zero."""
    total = max(_int(seconds), 0)
    if total < 60:
        return f"{total}s"
    if total < 3600:
        return f"{total // 60}m"
    if total < 86400:
        big, small, units = total // 3600, total % 3600 // 60, ("h", "m")
    else:
        big, small, units = total // 86400, total % 86400 // 3600, ("d", "h")
    return f"{big}{units[0]} {small}{units[1]}" if small else f"{big}{units[0]}"


def _num(value: float) -> str:
    if math.isfinite(value) and value == int(value):
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _place(programme: str, site: str | None) -> str:
    return f"{programme} @ {site}" if site else programme


def _section(title: str, rows: list[tuple[str, str]] | None, empty: str) -> list[str]:
    if rows is None:
        return []
    if not rows:
        return [f"  {title}: {empty}"]
    width = max(len(label) for label, _ in rows)
    return [f"  {title}"] + [f"    {label:<{width}}  {text}" for label, text in rows]


def _optional(rows: list | None, fn) -> list[tuple[str, str]] | None:
    return None if rows is None else [fn(r) for r in rows]


def _supervision(view: ServiceView) -> list[str]:
    if view.restarts is None:
        return []
    line = f"  restarts {view.restarts}"
    if view.last_exit_reason:
        line += f"  last exit: {view.last_exit_reason}" + (f" at {view.last_exit_at}" if view.last_exit_at else "")
    if view.supervisor_state and view.supervisor_state != "running":
        line += f"  ({view.supervisor_state})"
    return [line]


def render_service(view: ServiceView) -> list[str]:
    if not view.up:
        return [f"{view.name}  {view.url}  DOWN  ({view.reason})"] + _supervision(view)
    lines = [f"{view.name}  {view.url}  up" + ("  NOT READY" if view.not_ready else "")] + _supervision(view)
    lines += [f"  ! {problem}" for problem in view.not_ready]
    lines += _section("awaiting triage", _optional(view.awaiting_triage, lambda r: (
        r.programme, f"{r.count}  oldest {human_age(r.oldest_age_seconds)}")), "none")
    if view.match_reviews is not None:
        open_, oldest = view.match_reviews
        lines.append(f"  person-match reviews: {open_} open" + (f", oldest {human_age(oldest)}" if open_ else ""))
    lines += _section("status webhooks", _optional(view.webhooks, lambda r: (
        r.partner, f"pending {r.pending}  failed {r.failed}")), "none sent yet")
    lines += _section("review queue", _optional(view.review_queue, lambda r: (
        r.programme, f"depth {r.depth}  oldest {human_age(r.oldest_age_seconds)}  overdue {r.overdue}")),
        "no referrals waiting for review")
    lines += _section("waiting list", _optional(view.waiting_list, lambda r: (
        _place(r.programme, r.site), f"depth {r.depth}  longest wait {human_age(r.longest_wait_seconds)}")),
        "nobody waiting")
    lines += _section("offers", _optional(view.offers, lambda r: (
        r.programme, f"open {r.open}  expired {r.expired}")), "none made yet")
    lines += _section("awaiting first contact", _optional(view.awaiting_first_contact, lambda r: (
        r.programme, f"{r.count}  longest since assignment {human_age(r.oldest_age_seconds)}")), "none")
    lines += _section("first-contact breaches", _optional(view.first_contact_breaches, lambda r: (
        r.programme, f"{r.open}")), "none")
    lines += _section("capacity (weekly hours)", _optional(view.capacity, lambda r: (
        _place(r.programme, r.site), f"{_num(r.used_hours)} of {_num(r.contracted_hours)} hours used"
        + (f" ({r.used_hours / r.contracted_hours:.0%})" if r.contracted_hours else ""))), "no active workers")
    lines += _section("outbox", [(o.service, f"backlog {o.backlog}  oldest {human_age(o.oldest_age_seconds)}")
                                 for o in view.outbox], "not reported")
    lines += _section("consumers", [(c.group, _consumer_text(c)) for c in view.consumers], "none")
    published = sum(view.published.values())
    lines.append(f"  published: {published} event{'' if published == 1 else 's'}")
    return lines


def _consumer_text(c: Consumer) -> str:
    if c.lag is None:
        lag = "lag not reported"
    else:
        lag = f"lag {c.lag}"
        if c.lag:
            lag += f" (worst partition {c.worst_partition}: {c.worst_partition_lag})"
    consumed = sum(c.consumed.values())
    return f"{lag}  consumed {consumed}  retries {c.retries}  dead-lettered {sum(c.dead_lettered.values())}"


def render(views: list[ServiceView], at: datetime, footer: str | None = None) -> list[str]:
    down_count = sum(not v.up for v in views)
    health = f"{len(views)} service{'s' if len(views) != 1 else ''}, "
    health += f"{down_count} DOWN" if down_count else "all up"
    lines = [f"referrals status  {at:%Y-%m-%d %H:%M:%S}  {health}", ""]
    for view in views:
        lines += render_service(view) + [""]
    if footer:
        lines.append(footer)
    return lines


def as_json(views: list[ServiceView], at: datetime) -> str:
    return json.dumps({"at": at.isoformat(timespec="seconds"), "services": [asdict(v) for v in views]})


# --- finding the services, scraping them, the command ----------------------------------------

def running_file(data_dir: str | None) -> Path:
    """Where `referrals up` lists the services it runs (same default data directory as `up`)."""
    return _data_dir(data_dir) / RUNNING_FILE


def _data_dir(data_dir: str | None) -> Path:
    return Path(data_dir or os.environ.get("REFERRALS_DATA_DIR") or ".referrals").resolve()


def scrape_token(data_dir: str | None) -> str | None:
    """What /metrics asks of us: METRICS_SCRAPE_TOKEN if set, else the one `referrals up` generated."""
    if os.environ.get("METRICS_SCRAPE_TOKEN"):
        return os.environ["METRICS_SCRAPE_TOKEN"]
    path = _data_dir(data_dir) / METRICS_TOKEN_FILE
    return path.read_text().strip() if path.exists() else None


def find_services(data_dir: str | None, explicit: list[str]) -> dict[str, str]:
    """`--service NAME=URL` options if given (they replace discovery), else `<data_dir>/running.json`."""
    if explicit:
        services = {}
        for item in explicit:
            name, sep, url = item.partition("=")
            if not sep or not name or not url:
                raise ValueError(f"--service wants NAME=URL, got {item!r}")
            services[name] = url.rstrip("/")
        return services
    path = running_file(data_dir)
    if not path.exists():
        return {}
    return dict(json.loads(path.read_text()).get("services", {}))


def scrape(name: str, url: str, token: str | None = None, timeout_s: float = 5.0) -> ServiceView:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.get(f"{url}/metrics", headers=headers, timeout=timeout_s)
    except httpx.HTTPError as exc:
        return down(name, url, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    if response.status_code in (401, 403):
        return down(name, url, f"HTTP {response.status_code} from /metrics: give METRICS_SCRAPE_TOKEN "
                               "(or an operator's token) in the environment")
    if response.status_code != 200:
        return down(name, url, f"HTTP {response.status_code} from /metrics")
    try:
        view = build_view(name, url, parse(response.text))
    except ValueError as exc:
        return down(name, url, f"unreadable metrics: {exc}")
    view.not_ready = readiness_problems(url, timeout_s)
    return view


def readiness_problems(url: str, timeout_s: float) -> list[str]:
    """The service's failing readiness checks (database, broker, each consumer's group membership)."""
    try:
        response = httpx.get(f"{url}/health/ready", timeout=timeout_s)
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        return [f"readiness: {type(exc).__name__}"]
    if response.status_code == 200:
        return []
    checks = body.get("checks") or {}
    return [f"{name}: {state}" for name, state in sorted(checks.items()) if state != "ok"] or [
        f"readiness: {body.get('status', response.status_code)}"]


def run(services: dict[str, str], *, once: bool, interval: float, json_out: bool, out: TextIO,
        token: str | None = None, supervision: Callable[[], dict[str, dict]] = dict) -> int:
    """Scrape and show until Ctrl-C (exit 0), or once (exit 1 if any service is down).

    `supervision` reads, at each refresh, what `referrals up`'s supervisor says of each service.
    """
    pool = ThreadPoolExecutor(max_workers=len(services))
    try:
        while True:
            views = list(pool.map(lambda item: scrape(*item, token), services.items()))
            supervised = supervision()
            views = [with_supervision(view, supervised.get(view.name)) for view in views]
            at = datetime.now().astimezone()
            if json_out:
                out.write(as_json(views, at) + "\n")
            else:
                footer = None if once else f"every {_num(interval)}s; Ctrl-C stops"
                out.write(("" if once else CLEAR) + "\n".join(render(views, at, footer)) + "\n")
            out.flush()
            if once:
                return 1 if any(not v.up for v in views) else 0
            time.sleep(interval)
    except KeyboardInterrupt:
        return 0
    finally:
        # Ctrl-C during a scrape: drop the scrapes not yet begun rather than wait for a screen nobody reads.
        pool.shutdown(wait=False, cancel_futures=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--service", action="append", default=[], metavar="NAME=URL",
                        help="a service to watch (repeatable); replaces the list `referrals up` wrote")
    parser.add_argument("--data-dir", help="where `referrals up` wrote running.json "
                                           "(default ./.referrals or $REFERRALS_DATA_DIR)")
    parser.add_argument("--once", action="store_true", help="print one snapshot and exit (1 if any service is down)")
    parser.add_argument("--interval", type=float, default=2.0, metavar="SECONDS", help="refresh period (default 2)")
    parser.add_argument("--json", action="store_true", help="print the view as JSON (one document per refresh)")


def command(args: argparse.Namespace) -> int:
    try:
        services = find_services(args.data_dir, args.service)
    except (ValueError, OSError) as exc:
        print(f"referrals status: {exc}", file=sys.stderr)
        return 2
    if not services:
        print(f"referrals status: no services to watch: {running_file(args.data_dir)} does not exist "
              "(is `referrals up` running?); or name them with --service NAME=URL", file=sys.stderr)
        return 2
    if args.interval <= 0:
        print("referrals status: --interval must be positive", file=sys.stderr)
        return 2
    supervisor_file = _data_dir(args.data_dir) / SUPERVISOR_FILE
    return run(services, once=args.once, interval=args.interval, json_out=args.json, out=sys.stdout,
               token=scrape_token(args.data_dir), supervision=lambda: read_state(supervisor_file))
