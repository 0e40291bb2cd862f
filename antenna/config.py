"""The collector's options: limits, throttling, retries, serving and observability.

Every option is an environment variable (the option name upper-cased); ``jansky config`` and
``docs/configuration.md`` list them from these declarations.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from everett.manager import ListOf, Option

from jansky.config import config_manager

MIB = 1024 * 1024
REPO_ROOT = Path(__file__).resolve().parent.parent


def default_workers() -> int:
    """One worker per core plus one, so a worker blocked on I/O does not idle a core."""
    return (os.cpu_count() or 1) + 1


class CollectorConfig:
    """Collector (`jansky collector`): what it accepts, how it throttles, stores and serves."""

    class Config:
        collector_max_body_bytes = Option(
            default=str(25 * MIB),
            parser=int,
            doc=(
                "Largest request body accepted as sent (compressed if gzipped); larger bodies "
                "get 413 `Discarded=too_large`. A body of exactly this size is accepted."
            ),
        )
        collector_max_decompressed_bytes = Option(
            default=str(100 * MIB),
            parser=int,
            doc=(
                "Largest gzip-decompressed body; decompression stops at this size (gzip bombs "
                "never allocate more) and the request gets 413 `Discarded=too_large`."
            ),
        )
        collector_max_annotation_bytes = Option(
            default=str(20 * MIB),
            parser=int,
            doc=(
                "Largest single text annotation; a larger one is dropped (not rejected) and a "
                "collector note records it."
            ),
        )
        collector_throttle_rules = Option(
            default="default",
            doc=(
                "Throttle rule set: `default` (accept everything), `mozilla` (Socorro's "
                "production rules), a path to a `.toml`/`.yaml` rule file, or `module:ATTRIBUTE` "
                "naming a Python list of rules. See docs/collector.md."
            ),
        )
        collector_remove_fields = Option(
            default="Email,TelemetryClientId,TelemetryServerURL,TelemetrySessionId",
            parser=ListOf(str),
            doc=(
                "Comma-separated annotations removed before a crash is stored (after "
                "throttling); each removal adds a collector note."
            ),
        )
        collector_submitter_bearer_token = Option(
            default="",
            doc=(
                "Secret token of a trusted submitter: only requests with `Authorization: Bearer "
                "<token>` may carry a `uuid` annotation (the crash id to use). Empty: any "
                "request with `uuid` gets 401 `Discarded=unauthorized_uuid`."
            ),
        )
        collector_max_attempts = Option(
            default="3",
            parser=int,
            doc="Attempts to save a crash, and separately to queue its id, before giving up.",
        )
        collector_retry_sleep_seconds = Option(
            default="0.5",
            parser=float,
            doc="Pause between two attempts to save or queue a crash.",
        )
        collector_retry_budget_seconds = Option(
            default="20",
            parser=float,
            doc=(
                "Total time a request may spend saving and queueing one crash, retries "
                "included; must be below `COLLECTOR_WORKER_TIMEOUT`."
            ),
        )
        collector_retry_after_seconds = Option(
            default="30",
            parser=int,
            doc="`Retry-After` value sent with 5xx answers that a client should retry.",
        )
        collector_max_in_flight = Option(
            default="4",
            parser=int,
            doc=(
                "Requests to /submit one worker handles at once; more get 503 with "
                "`Retry-After`. Keep it below `COLLECTOR_THREADS` so health checks still run."
            ),
        )
        collector_workers = Option(
            default=str(default_workers()),
            parser=int,
            doc="gunicorn worker processes (default: cores + 1).",
        )
        collector_threads = Option(
            default="6",
            parser=int,
            doc="Threads per gunicorn worker (1 uses the sync worker, more the gthread worker).",
        )
        collector_worker_timeout = Option(
            default="30",
            parser=int,
            doc="Seconds gunicorn lets one request run before it restarts the worker.",
        )
        collector_version_file = Option(
            default="",
            doc="version.json served at /__version__ (empty: `version.json` in the repository).",
        )
        collector_statsd_host = Option(
            default="",
            doc="dogstatsd host for metrics; empty disables sending (metrics can still be logged).",
        )
        collector_statsd_port = Option(default="8125", parser=int, doc="dogstatsd port.")
        collector_metrics_log = Option(
            default="false",
            parser=lambda value: value.strip().lower() in {"1", "true", "yes"},
            doc="Also log every metric (for development).",
        )
        collector_sentry_dsn = Option(
            default="",
            doc="Sentry DSN for unhandled errors; empty disables Sentry. Bodies are never sent.",
        )
        collector_log_level = Option(default="INFO", doc="Log level of the collector's loggers.")


@dataclass(frozen=True)
class CollectorSettings:
    """The resolved collector options."""

    max_body_bytes: int
    max_decompressed_bytes: int
    max_annotation_bytes: int
    throttle_rules: str
    remove_fields: tuple[str, ...]
    submitter_bearer_token: str
    max_attempts: int
    retry_sleep_seconds: float
    retry_budget_seconds: float
    retry_after_seconds: int
    max_in_flight: int
    workers: int
    threads: int
    worker_timeout: int
    version_file: Path
    statsd_host: str
    statsd_port: int
    metrics_log: bool
    sentry_dsn: str
    log_level: str


class ConfigurationError(ValueError):
    """Collector options that contradict each other."""


def load_collector_settings(env: Mapping[str, str] | None = None) -> CollectorSettings:
    """Read and check the collector options from ``env`` (tests) or the process environment."""
    config = config_manager(env).with_options(CollectorConfig)
    settings = CollectorSettings(
        max_body_bytes=config("collector_max_body_bytes"),
        max_decompressed_bytes=config("collector_max_decompressed_bytes"),
        max_annotation_bytes=config("collector_max_annotation_bytes"),
        throttle_rules=config("collector_throttle_rules"),
        remove_fields=tuple(name for name in config("collector_remove_fields") if name),
        submitter_bearer_token=config("collector_submitter_bearer_token"),
        max_attempts=config("collector_max_attempts"),
        retry_sleep_seconds=config("collector_retry_sleep_seconds"),
        retry_budget_seconds=config("collector_retry_budget_seconds"),
        retry_after_seconds=config("collector_retry_after_seconds"),
        max_in_flight=config("collector_max_in_flight"),
        workers=config("collector_workers"),
        threads=config("collector_threads"),
        worker_timeout=config("collector_worker_timeout"),
        version_file=Path(config("collector_version_file") or REPO_ROOT / "version.json"),
        statsd_host=config("collector_statsd_host"),
        statsd_port=config("collector_statsd_port"),
        metrics_log=config("collector_metrics_log"),
        sentry_dsn=config("collector_sentry_dsn"),
        log_level=config("collector_log_level").upper(),
    )
    if settings.retry_budget_seconds >= settings.worker_timeout:
        raise ConfigurationError(
            f"COLLECTOR_RETRY_BUDGET_SECONDS ({settings.retry_budget_seconds}) must be below "
            f"COLLECTOR_WORKER_TIMEOUT ({settings.worker_timeout}), or gunicorn kills the worker "
            "before the collector can answer; lower the budget or raise the timeout"
        )
    if settings.max_attempts < 1 or settings.max_in_flight < 1:
        raise ConfigurationError(
            "COLLECTOR_MAX_ATTEMPTS and COLLECTOR_MAX_IN_FLIGHT must be at least 1"
        )
    return settings
