"""A TCP relay between the services and the broker that can hold one process's traffic: a network pause.

The broker advertises the relay's address, so every Kafka connection of every service passes
through it. To pause "the network between caseload and the broker", the relay finds which of its
connections belong to caseload's process (its sockets, from /proc) and stops moving their bytes,
both ways, until the pause ends; nothing is dropped, as on a congested or partitioned link.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path


def socket_inodes(pid: int) -> set[int]:
    """The inodes of the sockets a process holds open."""
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    except OSError:
        pass
    return inodes


def local_ports_by_inode() -> dict[int, int]:
    """inode -> local TCP port, for every TCP socket on the machine (IPv4 and IPv6)."""
    ports = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            ports[int(fields[9])] = int(fields[1].rsplit(":", 1)[1], 16)
    return ports


def local_ports_of(pid: int) -> set[int]:
    inodes = socket_inodes(pid)
    return {port for inode, port in local_ports_by_inode().items() if inode in inodes}


class PausingRelay:
    """Listens on `listen_port`, relays to `target_port`; `pause(pid, seconds)` holds that process's bytes."""

    def __init__(self, listen_port: int, target_port: int, host: str = "127.0.0.1") -> None:
        self.listen_port, self.target_port, self.host = listen_port, target_port, host
        self._paused_until: dict[int, float] = {}  # client port -> monotonic time
        self._pause_pid: dict[int, float] = {}  # pid -> monotonic time; ports of new connections are checked
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="broker-relay", daemon=True)
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("the broker relay did not start")

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self._main())
        self._loop.close()

    async def _main(self) -> None:
        self._stopped = asyncio.Event()
        server = await asyncio.start_server(self._serve, self.host, self.listen_port)
        self._started.set()
        await self._stopped.wait()
        server.close()
        # Every relayed connection is cut, as when a real link goes away.
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()

    def stop(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(5)

    def pause(self, pid: int, seconds: float) -> int:
        """Holds every connection of `pid` (and any it opens meanwhile) for `seconds`; returns how many it held."""
        until = time.monotonic() + seconds
        self._pause_pid[pid] = until
        ports = local_ports_of(pid)
        for port in ports:
            self._paused_until[port] = until
        return len(ports)

    def _held(self, client_port: int) -> bool:
        return self._paused_until.get(client_port, 0) > time.monotonic()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        client_port = writer.get_extra_info("peername")[1]
        now = time.monotonic()
        for pid, until in list(self._pause_pid.items()):
            if until > now and client_port in local_ports_of(pid):
                self._paused_until[client_port] = until
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(self.host, self.target_port)
        except OSError:
            writer.close()
            return
        try:
            await asyncio.gather(self._pump(reader, upstream_writer, client_port),
                                 self._pump(upstream_reader, writer, client_port), return_exceptions=True)
        finally:
            self._paused_until.pop(client_port, None)
            writer.close()
            upstream_writer.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, client_port: int) -> None:
        try:
            while data := await reader.read(65536):
                while self._held(client_port):
                    await asyncio.sleep(0.05)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
