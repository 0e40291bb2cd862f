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
        collector_max_parts = Option(
            default="1000",
            parser=int,
            doc="Most multipart parts in one report; more get 400 "
            "`Discarded=malformed_too_many_parts`.",
        )
        collector_max_dumps = Option(
            default="20",
            parser=int,
            doc="Most dumps (file parts) in one report; more get 400 "
            "`Discarded=malformed_too_many_dumps`.",
        )
        collector_max_part_header_bytes = Option(
            default="8192",
            parser=int,
            doc="Largest header block of one multipart part; larger gets 400 "
            "`Discarded=malformed_part_headers_too_large`.",
        )
        collector_max_json_bytes = Option(
            default=str(20 * MIB),
            parser=int,
            doc="Largest JSON annotations part (`extra`); larger gets 400 "
            "`Discarded=malformed_json_too_large`.",
        )
        collector_max_json_depth = Option(
            default="32",
            parser=int,
            doc="Deepest nesting in the JSON annotations; deeper gets 400 "
            "`Discarded=malformed_json_too_deep`.",
        )
        collector_max_json_elements = Option(
            default="100000",
            parser=int,
            doc="Most values in the JSON annotations, checked before they are parsed; more get "
            "400 `Discarded=malformed_json_too_many_elements`.",
        )
        collector_parse_seconds = Option(
            default="10",
            parser=float,
            doc="Deadline for parsing one report (a safety net: parsing is linear and bounded); "
            "past it the report gets 503 `Discarded=parse_timeout` with `Retry-After`.",
        )
        collector_header_timeout_seconds = Option(
            default="10",
            parser=float,
            doc="Seconds a client has to send a request's line and headers, from the connection's "
            "start or the end of the previous answer; then 408 and the connection is closed.",
        )
        collector_max_header_bytes = Option(
            default=str(64 * 1024),
            parser=int,
            doc="Largest request line plus headers; larger gets 431 and the connection closed.",
        )
        collector_keepalive_seconds = Option(
            default="5",
            parser=int,
            doc="Seconds an idle keep-alive connection stays open.",
        )
        collector_body_idle_seconds = Option(
            default="15",
            parser=float,
            doc="Longest wait for the next piece of a request body; then 408 "
            "`Discarded=timeout` and the connection is closed.",
        )
        collector_body_min_rate = Option(
            default="4096",
            parser=int,
            doc="Bytes per second a body must average: it may take "
            "`COLLECTOR_BODY_IDLE_SECONDS` plus one second per this many bytes received.",
        )
        collector_body_max_seconds = Option(
            default="300",
            parser=float,
            doc="Longest time any request body may take, however fast it arrives.",
        )
        collector_max_bytes_in_flight = Option(
            default=str(256 * MIB),
            parser=int,
            doc="Body bytes one worker holds at once (as received, then as decompressed, until "
            "stored). A report waits for room up to `COLLECTOR_ADMISSION_WAIT_SECONDS`, then "
            "gets 503 with `Retry-After`. Must be at least `COLLECTOR_MAX_BODY_BYTES`.",
        )
        collector_admission_wait_seconds = Option(
            default="10",
            parser=float,
            doc="Longest a report waits for room in `COLLECTOR_MAX_BYTES_IN_FLIGHT`.",
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
            doc="Total time a request may spend saving and queueing one crash, retries "
            "included; an abandoned save stops before it writes the raw crash.",
        )
        collector_retry_after_seconds = Option(
            default="30",
            parser=int,
            doc="`Retry-After` value sent with 5xx answers that a client should retry.",
        )
        collector_workers = Option(
            default=str(default_workers()),
            parser=int,
            doc="gunicorn worker processes, each an event loop (default: cores + 1).",
        )
        collector_threads = Option(
            default="6",
            parser=int,
            doc="Threads per worker that parse and store reports (connections themselves cost "
            "no thread).",
        )
        collector_worker_timeout = Option(
            default="30",
            parser=int,
            doc="Seconds a worker's event loop may stay unresponsive before gunicorn restarts it.",
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
    max_parts: int
    max_dumps: int
    max_part_header_bytes: int
    max_json_bytes: int
    max_json_depth: int
    max_json_elements: int
    parse_seconds: float
    header_timeout_seconds: float
    max_header_bytes: int
    keepalive_seconds: int
    body_idle_seconds: float
    body_min_rate: int
    body_max_seconds: float
    max_bytes_in_flight: int
    admission_wait_seconds: float
    throttle_rules: str
    remove_fields: tuple[str, ...]
    submitter_bearer_token: str
    max_attempts: int
    retry_sleep_seconds: float
    retry_budget_seconds: float
    retry_after_seconds: int
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
        max_parts=config("collector_max_parts"),
        max_dumps=config("collector_max_dumps"),
        max_part_header_bytes=config("collector_max_part_header_bytes"),
        max_json_bytes=config("collector_max_json_bytes"),
        max_json_depth=config("collector_max_json_depth"),
        max_json_elements=config("collector_max_json_elements"),
        parse_seconds=config("collector_parse_seconds"),
        header_timeout_seconds=config("collector_header_timeout_seconds"),
        max_header_bytes=config("collector_max_header_bytes"),
        keepalive_seconds=config("collector_keepalive_seconds"),
        body_idle_seconds=config("collector_body_idle_seconds"),
        body_min_rate=config("collector_body_min_rate"),
        body_max_seconds=config("collector_body_max_seconds"),
        max_bytes_in_flight=config("collector_max_bytes_in_flight"),
        admission_wait_seconds=config("collector_admission_wait_seconds"),
        throttle_rules=config("collector_throttle_rules"),
        remove_fields=tuple(name for name in config("collector_remove_fields") if name),
        submitter_bearer_token=config("collector_submitter_bearer_token"),
        max_attempts=config("collector_max_attempts"),
        retry_sleep_seconds=config("collector_retry_sleep_seconds"),
        retry_budget_seconds=config("collector_retry_budget_seconds"),
        retry_after_seconds=config("collector_retry_after_seconds"),
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
    _check(settings)
    return settings


def _check(settings: CollectorSettings) -> None:
    """Refuse options that contradict each other, saying which and what to change."""
    if settings.max_attempts < 1:
        raise ConfigurationError("COLLECTOR_MAX_ATTEMPTS must be at least 1")
    if settings.max_bytes_in_flight < settings.max_body_bytes:
        raise ConfigurationError(
            f"COLLECTOR_MAX_BYTES_IN_FLIGHT ({settings.max_bytes_in_flight}) must be at least "
            f"COLLECTOR_MAX_BODY_BYTES ({settings.max_body_bytes}), or the largest accepted "
            "report could never be admitted"
        )
    positive = {
        "COLLECTOR_THREADS": settings.threads,
        "COLLECTOR_MAX_PARTS": settings.max_parts,
        "COLLECTOR_MAX_DUMPS": settings.max_dumps,
        "COLLECTOR_MAX_JSON_DEPTH": settings.max_json_depth,
        "COLLECTOR_BODY_MIN_RATE": settings.body_min_rate,
        "COLLECTOR_HEADER_TIMEOUT_SECONDS": settings.header_timeout_seconds,
        "COLLECTOR_BODY_IDLE_SECONDS": settings.body_idle_seconds,
        "COLLECTOR_BODY_MAX_SECONDS": settings.body_max_seconds,
        "COLLECTOR_PARSE_SECONDS": settings.parse_seconds,
    }
    for name, value in positive.items():
        if value <= 0:
            raise ConfigurationError(f"{name} must be positive, got {value}")
