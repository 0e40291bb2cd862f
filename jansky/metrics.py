"""Where metrics go: dogstatsd over UDP and/or the log, for every Jansky service.

The dogstatsd backend is a few lines of UDP here because markus's own needs the `datadog`
package. Each service keeps its own names and prefix (``antenna.metrics``,
``processor.metrics``).
"""

from __future__ import annotations

import contextlib
import logging
import socket
from typing import Any

import markus
from markus.backends import BackendBase
from markus.filters import AddTagFilter


class DogStatsdBackend(BackendBase):
    """Send metrics as dogstatsd datagrams over UDP (fire and forget)."""

    TYPES = {"incr": "c", "gauge": "g", "timing": "ms", "histogram": "h"}

    def __init__(self, options: dict[str, Any] | None = None, filters: Any = None) -> None:
        super().__init__(options, filters)
        self.address = (self.options.get("host", "localhost"), int(self.options.get("port", 8125)))
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.setblocking(False)

    def emit(self, record: Any) -> None:
        line = f"{record.key}:{record.value}|{self.TYPES[record.stat_type]}"
        if record.tags:
            line += "|#" + ",".join(record.tags)
        # Metrics must never fail a request; a missing agent is not an error.
        with contextlib.suppress(OSError):
            self.socket.sendto(line.encode("utf-8"), self.address)


def configure_metrics(statsd_host: str, statsd_port: int, log: bool, hostname: str) -> None:
    """Send metrics to dogstatsd at ``statsd_host`` (if set) and/or to the log."""
    backends: list[dict[str, Any]] = []
    filters = [AddTagFilter(f"host:{hostname}")]
    if statsd_host:
        backends.append(
            {
                "class": DogStatsdBackend,
                "options": {"host": statsd_host, "port": statsd_port},
                "filters": filters,
            }
        )
    if log:
        backends.append({"class": "markus.backends.logging.LoggingMetrics", "filters": filters})
    markus.configure(backends, raise_errors=True)
    logging.getLogger("markus").setLevel(logging.INFO if log else logging.ERROR)
