"""Progress of long jobs: counts and rates in the job's output and as gauges, and the stop
request of `jansky cron` (SIGTERM) that long jobs honour between batches."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TextIO

from cronrun.metrics import METRICS

# Set by `jansky cron` on SIGTERM; long jobs stop at their next progress report.
STOP = threading.Event()
REPORT_SECONDS = 10.0


class JobStopped(Exception):
    """The job stopped early because the runner is shutting down; it runs again next time."""


class Progress:
    """Counts of named items (the first is the one whose rate is shown), reported every
    ``every`` seconds and once at the end: ``verifyprocessed: 12,000 crashes (850.2/s), ...``."""

    def __init__(
        self,
        job: str,
        out: TextIO,
        items: tuple[str, ...],
        total: int | None = None,
        every: float = REPORT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.job = job
        self.out = out
        self.counts = dict.fromkeys(items, 0)
        self.total = total
        self.every = every
        self.clock = clock
        self.started = clock()
        self._last_report = self.started

    def add(self, **counts: int) -> None:
        """Add to the counts; report if it is time; raise :class:`JobStopped` on a stop request."""
        for name, count in counts.items():
            self.counts[name] += count
        if STOP.is_set():
            self.report()
            raise JobStopped(f"{self.job} stopped early: the cron runner is shutting down")
        if self.clock() - self._last_report >= self.every:
            self.report()

    @property
    def rate(self) -> float:
        elapsed = self.clock() - self.started
        first = next(iter(self.counts.values()), 0)
        return first / elapsed if elapsed > 0 else 0.0

    def report(self) -> None:
        self._last_report = self.clock()
        name, first = next(iter(self.counts.items()))
        shown = f"{first:,}" + (f" of {self.total:,}" if self.total is not None else "")
        parts = [f"{shown} {name} ({self.rate:,.1f}/s)"]
        parts += [f"{count:,} {item}" for item, count in list(self.counts.items())[1:]]
        self.out.write(f"{self.job}: {', '.join(parts)}\n")
        tags = [f"job:{self.job}"]
        for item, count in self.counts.items():
            METRICS.gauge("progress.count", count, tags=[*tags, f"item:{item}"])
        METRICS.gauge("progress.rate", round(self.rate, 1), tags=[*tags, f"item:{name}"])
