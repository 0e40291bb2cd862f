"""Every metric the cron jobs emit, in one place.

They go to the backends of :mod:`jansky.metrics` (dogstatsd over UDP and/or the log), set by
CRON_STATSD_HOST, CRON_STATSD_PORT and CRON_METRICS_LOG. docs/cron.md lists the same table.
"""

from __future__ import annotations

import socket

import markus

from jansky.metrics import configure_metrics

PREFIX = "socorro.cron"
METRICS = markus.get_metrics(PREFIX)

# name (below PREFIX) -> (kind, what it measures).
METRIC_NAMES: dict[str, tuple[str, str]] = {
    "job_run": ("timing", "ms one run of a job took; tags job, result:success|failure|stopped"),
    "job_locked": ("incr", "a due job skipped: another runner holds its lock; tag job"),
    "lock_takeover": ("incr", "a stale lock taken over from a runner that died; tag job"),
    "progress.count": ("gauge", "items a long job has handled so far; tags job, item"),
    "progress.rate": ("gauge", "items per second a long job handles; tags job, item"),
    "verifyprocessed.missing_processed": ("gauge", "crashes of the day found unprocessed"),
    "updatemissing.still_missing": ("gauge", "recorded missing crashes still unprocessed"),
    "retention.deleted_crashes": ("incr", "crashes deleted from storage by retention"),
    "updatesignatures.new": ("incr", "signatures seen for the first time"),
    "bugassociations.bugs": ("incr", "bugs whose signature links were read from Bugzilla"),
    "auditgroups.removed": ("incr", "users removed from a protected-data group"),
}


def configure_cron_metrics(statsd_host: str, statsd_port: int, log: bool) -> None:
    """Send metrics to dogstatsd at ``statsd_host`` (if set) and/or log them, tagged host."""
    configure_metrics(statsd_host, statsd_port, log, socket.gethostname())
