"""`referrals chaos`: faults at random moments under a steady stream of referrals, then an audit.

    referrals chaos                  the short run: each kind of fault once (what the test suite runs)
    referrals chaos --faults 120     the long run: 120 faults, the kinds taken in turn, shuffled each round
                  [--overlap 8]      ... not waiting more than 8 s for recovery before the next fault

The whole system runs in a directory of its own (embedded PostgreSQL, Tansu behind a relay that
can pause one service's traffic, every service under the supervisor of `referrals up`, triage and
caseload with two replicas each). Referrals arrive through every way in while workers contact and
close cases. At the end every submission must be accounted for exactly once, no event applied
twice and no worker over capacity; the counts are printed per kind of fault.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

from shared.platform.sealing import LocalKeyEncryptionKey

from referrals.chaos import audit
from referrals.chaos.faults import Injected, fault_kinds, inject, whole_again
from referrals.chaos.stack import ChaosStack
from referrals.chaos.traffic import Traffic



def schedule(faults: int, rng: random.Random) -> list[str]:
    """`faults` kinds: every kind once per round, in a shuffled order, so a long run covers them evenly."""
    kinds: list[str] = []
    while len(kinds) < faults:
        round_ = fault_kinds()
        rng.shuffle(round_)
        kinds += round_
    return kinds[:faults]


def parse_replicas(text: str) -> dict[str, int]:
    replicas = {}
    for item in filter(None, text.split(",")):
        name, _, count = item.partition("=")
        replicas[name.strip()] = int(count)
    return replicas


async def run(args: argparse.Namespace, data_dir: Path, say) -> int:
    rng = random.Random(args.seed)
    stack = ChaosStack(data_dir, parse_replicas(args.replicas), say=say)
    say(f"starting the system in {data_dir} ...")
    started = time.monotonic()
    try:
        await asyncio.to_thread(stack.start)
        traffic = Traffic([stack.url(k) for k in stack.keys_of("intake")],
                          [stack.url(k) for k in stack.keys_of("caseload")],
                          stack.bootstrap_servers, stack.topics.partner_submissions,
                          stack.topics.dead_letter("intake.intake.partner-submissions"), stack.env["AUTH_SECRET"],
                          seed=args.seed)
        await traffic.set_up(workers=args.workers, hours=args.worker_hours)
        load = asyncio.create_task(traffic.run(args.rate))
        injected: list[Injected] = []
        began = time.monotonic()
        await asyncio.sleep(3)
        for number, kind in enumerate(schedule(args.faults, rng), 1):
            await asyncio.sleep(rng.uniform(0.5, 3))  # a random moment in the stream
            traffic.fault = kind
            at = time.monotonic()
            target = await inject(stack, kind, rng)
            # With --overlap the next fault may come before the system is whole again: faults pile up.
            whole = await whole_again(stack, timeout_s=args.overlap or 180)
            injected.append(Injected(kind, target, time.monotonic() - at))
            state = f"whole again after {time.monotonic() - at:.1f}s" if whole else "not yet whole"
            say(f"[{number}/{args.faults}] {kind} ({target}): {state}; {len(traffic.ledger)} submitted so far")
            if stack.failure or not (whole or args.overlap):
                say(f"the system did not recover: {stack.failure or 'not every service is ready'}")
                break
        if not await whole_again(stack):
            say(f"the system did not recover: {stack.failure or 'not every service is ready'}")
        await asyncio.sleep(3)
        traffic.stop()
        await load
        say(f"stream stopped after {len(traffic.ledger)} submissions; waiting for the system to settle ...")
        conn = await asyncpg.connect(stack.database_url)
        kek = LocalKeyEncryptionKey.from_setting(stack.data_encryption_keys["intake"])
        try:
            deadline = time.monotonic() + args.settle
            while time.monotonic() < deadline and not await audit.settled(conn, traffic.ledger, kek):
                await asyncio.sleep(2)
            result = audit.account(traffic.ledger, *await audit.read(conn, kek))
        finally:
            await conn.close()
        lines = audit.render(result, injected, time.monotonic() - began, stack.restarts())
        lines.append(f"casework: {traffic.contacts_logged} contacts logged, {traffic.closed_cases} cases closed; "
                     f"whole run {(time.monotonic() - started) / 60:.1f} minutes")
        print("\n" + "\n".join(lines), flush=True)
        if args.report:
            Path(args.report).write_text("\n".join(lines) + "\n")
        t = result.total
        complete = len(injected) == args.faults
        return 0 if complete and not (t.lost or t.duplicated or t.capacity_violations) else 1
    finally:
        await asyncio.to_thread(stack.stop)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--faults", type=int, default=len(fault_kinds()),
                        help=f"how many faults (default {len(fault_kinds())}: each kind once)")
    parser.add_argument("--seed", type=int, default=None, help="for a run that picks the same moments again")
    parser.add_argument("--rate", type=float, default=2.0, help="submissions per second (default 2)")
    parser.add_argument("--replicas", default="triage=2,caseload=2", help="NAME=N,... (default triage=2,caseload=2)")
    parser.add_argument("--workers", type=int, default=6, help="connectors taking cases (default 6)")
    parser.add_argument("--worker-hours", default="12", help="each one's weekly hours (default 12)")
    parser.add_argument("--overlap", type=float, default=0, metavar="SECONDS",
                        help="wait at most this long for the system to be whole before the next fault "
                             "(default 0: always wait until it is)")
    parser.add_argument("--settle", type=float, default=600, metavar="SECONDS",
                        help="after the stream stops, how long the system may take to answer every submission "
                             "(default 600; the audit runs as soon as it has)")
    parser.add_argument("--data-dir", help="where the system runs (default: a new temporary directory, removed after)")
    parser.add_argument("--report", help="also write the printed report to this file")


def command(args: argparse.Namespace) -> int:
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1_000_000)
    say = lambda message: print(message, flush=True)  # noqa: E731
    say(f"referrals chaos: {args.faults} faults, seed {args.seed}")
    temporary = args.data_dir is None
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="referrals-chaos-")).resolve()
    try:
        return asyncio.run(run(args, data_dir, say))
    finally:
        if temporary:
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            say(f"logs kept in {data_dir / 'logs'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="referrals chaos")
    add_arguments(parser)
    sys.exit(command(parser.parse_args()))
