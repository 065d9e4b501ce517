"""Ports handed to the services the tests start lie below the kernel's ephemeral range,
so no outgoing connection can take one between choosing it and binding it."""

import socket
from pathlib import Path

from referrals.embedded import free_port


def _ephemeral_range() -> tuple[int, int]:
    low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    return int(low), int(high)


def test_a_free_port_and_the_five_after_it_lie_below_the_ephemeral_range():
    low, _ = _ephemeral_range()
    for _ in range(50):
        port = free_port()
        assert 1024 < port and port + 5 < low


def test_a_free_port_can_be_bound():
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        assert s.getsockname()[1] == port
