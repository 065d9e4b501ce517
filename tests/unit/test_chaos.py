"""The fault suite's own parts: its schedule, its audit (hand-made ledgers and rows), its pausing relay."""

from __future__ import annotations

import asyncio
import os
import random
import socket

from referrals.chaos import schedule
from referrals.chaos.audit import Referral, Worker, account, render
from referrals.chaos.faults import Injected, fault_kinds
from referrals.chaos.proxy import PausingRelay, local_ports_of
from referrals.chaos.traffic import Submission, family_name
from referrals.embedded import free_port


def sent(number: int, fault: str, channel: str = "partner_api", reference: str | None = None, **kwargs) -> Submission:
    reference = reference if reference is not None else f"R-{number}"
    partner = None if channel == "self_referral_form" else "gp"
    return Submission(number, channel, fault, f"Name{number}", partner, reference or None, **kwargs)


def referral(number: int, status: str, partner_reference: str | None = None, family: str | None = None) -> Referral:
    return Referral(f"ref-{number}-{status}", "gp", partner_reference, family, status)


def test_every_kind_of_fault_comes_once_a_round_in_a_shuffled_order():
    kinds = fault_kinds(("intake", "triage"))
    assert kinds == ["SIGKILL intake", "SIGKILL triage", "broker restart (empty memory)",
                     "PostgreSQL stop and start", "consumer held past session timeout", "network pause to broker"]
    planned = schedule(120, random.Random(7))
    every = fault_kinds()
    assert len(planned) == 120
    for start in range(0, 120 - len(every) + 1, len(every)):
        assert sorted(planned[start:start + len(every)]) == sorted(every)
    assert planned[:len(every)] != every  # shuffled


def test_names_differ_from_one_submission_to_the_next():
    names = {family_name(n, seed=3) for n in range(2000)}
    assert len(names) == 2000
    assert all(name.isalpha() for name in names)


def test_each_submission_is_accounted_lost_or_duplicated_by_what_the_database_holds():
    ledger = [
        sent(1, "SIGKILL caseload", answer="accepted"),
        sent(2, "SIGKILL caseload", answer="accepted"),  # no referral: lost
        sent(3, "broker restart (empty memory)", answer="accepted"),  # still 'received': lost
        sent(4, "broker restart (empty memory)", answer="refused", reason="HTTP 422: person.postcode"),
        sent(5, "network pause to broker", channel="self_referral_form", reference="", answer="accepted"),
        sent(6, "network pause to broker", answer="accepted"),  # two referrals for one reference: duplicated
        sent(7, "none", channel="partner_kafka", answer="accepted"),  # refused on Kafka, found in the database
    ]
    referrals = [
        referral(1, "assigned", "R-1"),
        referral(3, "received", "R-3"),
        # The self-referrer sent the form twice; the second was recognised as the same person.
        referral(5, "waiting", family="Name5"), referral(5, "duplicate", family="Name5"),
        referral(6, "assigned", "R-6"), referral(6, "waiting", "R-6"),
    ]
    audit = account(ledger, referrals, {"R-7": "person.postcode: not a postcode"}, {}, [])
    kill, broker, pause = (audit.by_fault[k] for k in ("SIGKILL caseload", "broker restart (empty memory)",
                                                       "network pause to broker"))
    assert (kill.submitted, kill.accounted, kill.lost, kill.duplicated) == (2, 1, 1, 0)
    assert (broker.submitted, broker.accounted, broker.lost) == (2, 1, 1)
    assert (pause.submitted, pause.accounted, pause.duplicated) == (2, 1, 1)
    assert audit.by_fault["none"].outcomes == {"refused": 1}
    assert (audit.total.submitted, audit.total.accounted, audit.total.lost, audit.total.duplicated) == (7, 4, 2, 1)
    assert audit.total.outcomes == {"assigned": 1, "lost": 2, "refused": 2, "waiting": 1, "duplicated": 1}
    assert len(audit.problems) == 3


def test_an_event_applied_twice_counts_against_its_submission():
    audit = account([sent(1, "SIGKILL triage", answer="accepted")], [referral(1, "assigned", "R-1")], {},
                    {"ref-1-assigned": 1}, [])
    assert (audit.total.accounted, audit.total.duplicated) == (0, 1)


def test_workers_over_capacity_or_with_a_load_their_cases_do_not_explain_are_counted():
    workers = [
        Worker("w1", capacity_hours=12, load_hours=12, open_cases=4, max_open_cases=25, held_hours=12, held_cases=4),
        Worker("w2", capacity_hours=12, load_hours=9, open_cases=3, max_open_cases=25, held_hours=15, held_cases=5),
        Worker("w3", capacity_hours=12, load_hours=6, open_cases=3, max_open_cases=25, held_hours=3, held_cases=1),
    ]
    audit = account([], [], {}, {}, workers)
    assert (audit.total.capacity_violations, audit.total.duplicated) == (1, 2)


def test_the_report_has_a_row_per_kind_and_a_total():
    audit = account([sent(1, "SIGKILL intake", answer="accepted")], [referral(1, "assigned", "R-1")], {}, {}, [])
    lines = render(audit, [Injected("SIGKILL intake", "intake", 3.0)], seconds=90, restarts=1)
    assert lines[0] == "referrals chaos: 1 faults injected in 1.5 minutes; 1 service restarts by the supervisor"
    [row] = [line for line in lines if line.startswith("SIGKILL intake")]
    assert row.split() == ["SIGKILL", "intake", "1", "1", "1", "0", "0", "0"]
    [total] = [line for line in lines if line.startswith("total")]
    assert total.split() == ["total", "1", "1", "1", "0", "0", "0"]


def test_the_relay_finds_a_process_connections_and_holds_them():
    async def scenario() -> tuple[int, bool, bool]:
        upstream = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        relay = PausingRelay(free_port(), upstream.sockets[0].getsockname()[1])
        relay.start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", relay.listen_port)
            client_port = writer.get_extra_info("sockname")[1]
            held_before = relay._held(client_port)
            count = relay.pause(os.getpid(), 60)
            held = relay._held(client_port)
            writer.close()
            await writer.wait_closed()
            return count, held_before, held
        finally:
            await asyncio.to_thread(relay.stop)
            upstream.close()
            await upstream.wait_closed()

    count, held_before, held = asyncio.run(scenario())
    assert count >= 1 and not held_before and held


def test_local_ports_of_a_process_are_read_from_proc():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert listener.getsockname()[1] in local_ports_of(os.getpid())
