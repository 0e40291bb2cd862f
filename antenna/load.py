"""Send many crash reports at once and sum up what the collector answered.

What `jansky submit --count N --concurrency C` runs: C threads, each on its own kept-alive
connection, share N posts of the given reports, and every answer is counted as accepted,
rejected (by the collector's reason) or an error (no whole answer).
"""

from __future__ import annotations

import collections
import http.client
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from antenna.client import EncodedReport, SubmitResponse, post_report


@dataclass
class LoadSummary:
    """Every answer of a load run, tallied."""

    accepted: list[str] = field(default_factory=list)
    rejected: collections.Counter[str] = field(default_factory=collections.Counter)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def sent(self) -> int:
        return len(self.accepted) + sum(self.rejected.values()) + sum(self.errors.values())

    def percentile(self, fraction: float) -> float:
        """Latency (seconds) under which ``fraction`` of the answered posts fell."""
        ordered = sorted(self.latencies)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def lines(self) -> list[str]:
        """The summary a person reads."""
        rate = self.sent / self.seconds if self.seconds else 0.0
        lines = [
            f"sent {self.sent} in {self.seconds:.1f}s ({rate:.1f}/s), "
            f"accepted {len(self.accepted)}, rejected {sum(self.rejected.values())}, "
            f"errors {sum(self.errors.values())}",
            "latency p50 {:.0f} ms, p90 {:.0f} ms, p99 {:.0f} ms, max {:.0f} ms".format(
                *(1000 * self.percentile(f) for f in (0.5, 0.9, 0.99, 1.0))
            ),
        ]
        lines += [f"  rejected {n}: {reason}" for reason, n in self.rejected.most_common()]
        lines += [f"  error {n}: {reason}" for reason, n in self.errors.most_common()]
        return lines


def rejection_reason(response: SubmitResponse) -> str:
    """``Discarded=...`` as the collector said it, else the status (503 with Retry-After...)."""
    body = response.body.strip()
    if body.startswith("Discarded="):
        return f"{response.status} {body}"
    retry = response.headers.get("retry-after")
    return f"{response.status}" + (f" (Retry-After {retry})" if retry else "")


def send_load(
    url: str,
    reports: Sequence[EncodedReport],
    count: int,
    concurrency: int,
    timeout: float = 30.0,
    on_answer: Callable[[], None] = lambda: None,
) -> LoadSummary:
    """POST ``count`` reports (cycling through ``reports``) from ``concurrency`` threads."""
    if count < 1 or concurrency < 1 or not reports:
        raise ValueError("count, concurrency and the reports must not be empty")
    summary = LoadSummary()
    lock = threading.Lock()
    tickets = iter(range(count))
    parts = urlsplit(url)
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )

    def worker() -> None:
        connection = connection_class(parts.netloc, timeout=timeout)
        try:
            while True:
                with lock:
                    number = next(tickets, None)
                if number is None:
                    return
                started = time.perf_counter()
                try:
                    response = post_report(url, reports[number % len(reports)], timeout, connection)
                except OSError as exc:
                    connection.close()  # a new connection for the next post
                    with lock:
                        summary.errors[f"{type(exc).__name__}: {exc}"] += 1
                else:
                    with lock:
                        summary.latencies.append(time.perf_counter() - started)
                        if response.crash_id:
                            summary.accepted.append(response.crash_id)
                        else:
                            summary.rejected[rejection_reason(response)] += 1
                on_answer()
        finally:
            connection.close()

    started = time.perf_counter()
    threads = [
        threading.Thread(target=worker, name=f"submit-{n}", daemon=True) for n in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    summary.seconds = time.perf_counter() - started
    return summary
