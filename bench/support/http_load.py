"""A load generator for the collector: many kept-alive connections, few processes.

Each process runs an event loop with its share of the clients; a client sends prebuilt
requests (one write each) back to back or at a fixed rate, and reads each answer. Hundreds of
clients cost two processes, so the load generator leaves the collector most of the cores.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

# Requests built before the client processes fork, so building them is not measured.
PREBUILT: list[bytes] = []


def http_request(port: int, body: bytes, headers: dict[str, str]) -> bytes:
    """The whole HTTP/1.1 request, so a client sends it with one write."""
    headers = {**headers, "Content-Length": str(len(body))}
    lines = ["POST /submit HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass
class LoadResult:
    """What every client of a run saw."""

    seconds: float
    latencies: list[float] = field(default_factory=list)
    accepted: int = 0
    refused: int = 0  # 503
    other: int = 0  # any other answer, or none

    @property
    def rate(self) -> float:
        return self.accepted / self.seconds

    def quantile(self, fraction: float) -> float:
        """Milliseconds."""
        if len(self.latencies) < 2:
            return 0.0
        return statistics.quantiles(self.latencies, n=100)[int(fraction * 100) - 1] * 1000

    def merge(self, other: LoadResult) -> None:
        self.latencies += other.latencies
        self.accepted += other.accepted
        self.refused += other.refused
        self.other += other.other


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {
        name.lower(): value.strip() for name, _, value in (x.partition(":") for x in lines[1:])
    }
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return int(lines[0].split()[1]), body, headers.get("connection", "").lower() == "close"


async def _client(port: int, end: float, interval: float, offset: int, result: LoadResult) -> None:
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    next_send = time.monotonic() + interval * (offset % 10) / 10
    index = offset
    while time.monotonic() < end:
        if interval:
            pause = next_send - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            next_send += interval
        request = PREBUILT[index % len(PREBUILT)]
        index += 1
        started = time.perf_counter()
        try:
            if connection is None:
                connection = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
            reader, writer = connection
            writer.write(request)
            status, body, closing = await asyncio.wait_for(_read_answer(reader), 120)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
            if connection is not None:
                connection[1].close()
            connection = None
            result.other += 1
            await asyncio.sleep(0.01)
            continue
        if status == 200 and body.startswith(b"CrashID="):
            result.accepted += 1
            result.latencies.append(time.perf_counter() - started)
        elif status == 503:
            result.refused += 1
            await asyncio.sleep(0.05)  # a client backs off before it sends again
        else:
            result.other += 1
        if closing:
            writer.close()
            connection = None
    if connection is not None:
        connection[1].close()


def _client_group(
    port: int, clients: int, first: int, duration: float, interval: float, out: Any
) -> None:
    async def run_all() -> LoadResult:
        result = LoadResult(duration)
        end = time.monotonic() + duration
        await asyncio.gather(
            *(_client(port, end, interval, first + n, result) for n in range(clients))
        )
        return result

    out.put(asyncio.run(run_all()))


def run_load(
    port: int, clients: int, duration: float, rate: float = 0.0, processes: int = 2
) -> LoadResult:
    """``clients`` connections posting for ``duration`` s, spread over ``processes``.

    With ``rate`` > 0 the clients together aim at that many posts a second.
    """
    context = multiprocessing.get_context("fork")  # the children share PREBUILT
    out = context.Queue()
    interval = clients / rate if rate else 0.0
    shares = [clients // processes + (n < clients % processes) for n in range(processes)]
    children = []
    first = 0
    for share in filter(None, shares):
        children.append(
            context.Process(
                target=_client_group, args=(port, share, first, duration, interval, out)
            )
        )
        first += share
    for child in children:
        child.start()
    total = LoadResult(duration)
    for _ in children:
        total.merge(out.get())
    for child in children:
        child.join()
    return total
