"""Processor options: the worker, retries, rulesets and the stackwalker."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from everett.manager import ListOf, Option, parse_bool

from jansky.config import config_manager, load_core_settings
from jansky.queue.base import QueueConfig
from processor.sizes import parse_size

CACHED_STACKWALKER = Path.home() / ".cache" / "jansky" / "cargo" / "bin" / "minidump-stackwalk"
CACHED_SERVICE = Path.home() / ".cache" / "jansky" / "stackwalker" / "bin" / "jansky-stackwalker"
STACKWALKER_MODES = ("service", "process")


def default_stackwalker_path() -> str:
    """The provisioned binary if present, else whatever ``minidump-stackwalk`` is on PATH."""
    if CACHED_STACKWALKER.exists():
        return str(CACHED_STACKWALKER)
    return shutil.which("minidump-stackwalk") or "minidump-stackwalk"


def default_service_path() -> str:
    """The provisioned service if present, else whatever ``jansky-stackwalker`` is on PATH."""
    if CACHED_SERVICE.exists():
        return str(CACHED_SERVICE)
    return shutil.which("jansky-stackwalker") or "jansky-stackwalker"


class ProcessorConfig:
    """Processor: queue consumption, retries, rulesets and the minidump-stackwalk invocation."""

    class Config:
        processor_threads = Option(
            default="4",
            parser=int,
            doc=(
                "Crashes processed at once (worker threads). 4 suits the embedded default on 2 "
                "cores; use 8-12 with remote storage, queue and search, where threads wait on "
                "the network and crashes indexed together share one bulk request."
            ),
        )
        processor_processes = Option(
            default="1",
            parser=int,
            doc=(
                "Processor processes `jansky processor` runs, each with PROCESSOR_THREADS threads; "
                "more than one uses more cores for the Python side of processing."
            ),
        )
        processor_prefetch = Option(
            default="8",
            parser=int,
            doc=(
                "Messages received ahead of the worker threads; the puller waits while this many "
                "are waiting, which bounds how long a leased message sits unprocessed."
            ),
        )
        processor_reprocessing_ratio = Option(
            default="5",
            parser=int,
            doc=(
                "Receives from the standard queue per receive from the reprocessing queue when "
                "both have work; the priority queue always goes first."
            ),
        )
        processor_idle_seconds = Option(
            default="1",
            parser=float,
            doc="Seconds to wait before polling the queues again after finding them all empty.",
        )
        processor_ack_batch_seconds = Option(
            default="0.5",
            parser=float,
            doc=(
                "Longest wait for an ack to go out with others in one queue call (SQS "
                "DeleteMessageBatch, one SQLite transaction); 0 acks each crash at once. Under "
                "half of QUEUE_LEASE_SECONDS. An ack lost with the process only means the crash "
                "is processed again after its lease."
            ),
        )
        processor_retry_backoff_seconds = Option(
            default="10",
            parser=float,
            doc=(
                "Delay before a failed crash is delivered again; doubles with each attempt up to "
                "PROCESSOR_RETRY_BACKOFF_MAX_SECONDS. The number of attempts is QUEUE_MAX_RECEIVES."
            ),
        )
        processor_retry_backoff_max_seconds = Option(
            default="300",
            parser=float,
            doc="Longest delay before a failed crash is delivered again.",
        )
        processor_shutdown_seconds = Option(
            default="60",
            parser=float,
            doc=(
                "On SIGTERM, how long in-flight crashes may run before the processor exits anyway "
                "(their messages are then delivered again after the lease)."
            ),
        )
        processor_temporary_path = Option(
            default="",
            doc="Directory for the per-crash working directories (the system temp dir if empty).",
        )
        processor_mozilla_rules = Option(
            default="false",
            parser=parse_bool,
            doc=(
                "Add the Mozilla-specific rules (Fenix/ESR version rewrites, beta version lookup, "
                "memory reports, PHC, theme names, shutdown hangs, ...)."
            ),
        )
        processor_version_string_api = Option(
            default="",
            doc=(
                "Mozilla rules: Crash Stats VersionString API used to turn beta/aurora builds "
                "into version strings (e.g. https://crash-stats.mozilla.org/api/VersionString); "
                "empty means no lookup, and such versions get a `b0` suffix."
            ),
        )
        processor_statsd_host = Option(
            default="",
            doc="dogstatsd host for metrics; empty disables sending (metrics can still be logged).",
        )
        processor_statsd_port = Option(default="8125", parser=int, doc="dogstatsd port.")
        processor_metrics_log = Option(
            default="false",
            parser=parse_bool,
            doc="Also log every metric (for development).",
        )
        stackwalker_path = Option(
            default="",
            doc=(
                "The minidump-stackwalk binary; empty means ~/.cache/jansky/cargo/bin/"
                "minidump-stackwalk if present, else minidump-stackwalk on PATH."
            ),
        )
        stackwalker_kill_timeout = Option(
            default="120",
            parser=float,
            doc="Seconds a stackwalker run may take before it is killed (the crash gets a note).",
        )
        stackwalker_symbols_cache_path = Option(
            default="",
            doc="Cache of downloaded symbol files (DATA_DIR/symbols-cache when empty).",
        )
        stackwalker_symbols_tmp_path = Option(
            default="",
            doc=(
                "Staging directory for symbol downloads; must be on the cache's filesystem "
                "(DATA_DIR/symbols-tmp when empty)."
            ),
        )
        stackwalker_mode = Option(
            default="service",
            doc=(
                "`service`: walk minidumps in one long-lived stackwalker process per processor "
                "process (jansky-stackwalker, built on minidump-stackwalk's crates, same JSON), "
                "which keeps parsed symbol files in memory; a dump it fails on is walked again "
                "by a one-shot minidump-stackwalk. `process`: one minidump-stackwalk process per "
                "minidump, as Socorro does."
            ),
        )
        stackwalker_service_path = Option(
            default="",
            doc=(
                "The jansky-stackwalker binary; empty means ~/.cache/jansky/stackwalker/bin/"
                "jansky-stackwalker if present (`bin/provision stackwalker`), else on PATH."
            ),
        )
        stackwalker_service_cache_size = Option(
            default="2gb",
            doc=(
                "Memory the stackwalker service keeps parsed symbol files in, least recently "
                "used evicted first (units of 1024: `2gb`, `512mb`, bytes). A parsed symbol file "
                "takes about as much memory as its text; one bigger than this is parsed for the "
                "walks that need it and not kept."
            ),
        )
        stackwalker_service_max_memory = Option(
            default="6gb",
            doc=(
                "Resident memory past which the stackwalker service is killed and restarted "
                "(its walks in flight are walked again by one-shot minidump-stackwalk); `0` for "
                "no limit. Keep it well above STACKWALKER_SERVICE_CACHE_SIZE: walks in flight "
                "and symbol files being parsed come on top."
            ),
        )
        stackwalker_service_threads = Option(
            default="0",
            parser=int,
            doc="Threads the stackwalker service walks with; 0 means one per core.",
        )
        stackwalker_extra_args = Option(
            default="",
            parser=ListOf(str, delimiter=" "),
            doc=(
                "Space-separated extra minidump-stackwalk arguments "
                "(e.g. --symbols-download-timeout-secs=60)."
            ),
        )


@dataclass(frozen=True)
class ProcessorSettings:
    """Resolved processor settings (paths filled in from DATA_DIR)."""

    threads: int
    processes: int
    prefetch: int
    reprocessing_ratio: int
    idle_seconds: float
    ack_batch_seconds: float
    backoff_seconds: float
    backoff_max_seconds: float
    shutdown_seconds: float
    max_attempts: int
    lease_seconds: float
    temporary_path: Path
    mozilla_rules: bool
    version_string_api: str
    statsd_host: str
    statsd_port: int
    metrics_log: bool
    stackwalker_path: str
    kill_timeout: float
    symbols_urls: tuple[str, ...]
    symbols_paths: tuple[str, ...]
    symbols_cache_path: Path
    symbols_tmp_path: Path
    extra_args: tuple[str, ...]
    stackwalker_mode: str = "service"
    service_path: str = "jansky-stackwalker"
    service_cache_size: int = 2 << 30
    service_max_memory: int = 6 << 30
    service_threads: int = 0


class InvalidProcessorSetting(ValueError):
    """A processor option whose value cannot work."""


def load_processor_settings(env: Mapping[str, str] | None = None) -> ProcessorSettings:
    """Read and check every processor option; ``env`` replaces the process environment."""
    manager = config_manager(env)
    config = manager.with_options(ProcessorConfig)
    core = load_core_settings(env)
    queue_config = manager.with_options(QueueConfig)
    max_attempts = queue_config("queue_max_receives")
    data_dir = core.data_dir
    local_symbols = data_dir / "symbols"
    symbols_paths = tuple(core.symbols_paths) + (
        (str(local_symbols),) if local_symbols.is_dir() else ()
    )
    settings = ProcessorSettings(
        threads=config("processor_threads"),
        processes=config("processor_processes"),
        prefetch=config("processor_prefetch"),
        reprocessing_ratio=config("processor_reprocessing_ratio"),
        idle_seconds=config("processor_idle_seconds"),
        ack_batch_seconds=config("processor_ack_batch_seconds"),
        backoff_seconds=config("processor_retry_backoff_seconds"),
        backoff_max_seconds=config("processor_retry_backoff_max_seconds"),
        shutdown_seconds=config("processor_shutdown_seconds"),
        max_attempts=max_attempts,
        lease_seconds=queue_config("queue_lease_seconds"),
        temporary_path=Path(config("processor_temporary_path") or tempfile.gettempdir()),
        mozilla_rules=config("processor_mozilla_rules"),
        version_string_api=config("processor_version_string_api"),
        statsd_host=config("processor_statsd_host"),
        statsd_port=config("processor_statsd_port"),
        metrics_log=config("processor_metrics_log"),
        stackwalker_path=config("stackwalker_path") or default_stackwalker_path(),
        kill_timeout=config("stackwalker_kill_timeout"),
        symbols_urls=tuple(core.symbols_urls),
        symbols_paths=symbols_paths,
        symbols_cache_path=Path(
            config("stackwalker_symbols_cache_path") or data_dir / "symbols-cache"
        ),
        symbols_tmp_path=Path(config("stackwalker_symbols_tmp_path") or data_dir / "symbols-tmp"),
        extra_args=tuple(config("stackwalker_extra_args")),
        stackwalker_mode=config("stackwalker_mode").strip().lower(),
        service_path=config("stackwalker_service_path") or default_service_path(),
        service_cache_size=_size(config, "stackwalker_service_cache_size"),
        service_max_memory=_size(config, "stackwalker_service_max_memory"),
        service_threads=config("stackwalker_service_threads"),
    )
    _check(settings)
    return settings


def _size(config: Callable[[str], str], key: str) -> int:
    try:
        return parse_size(config(key))
    except ValueError as exc:
        raise InvalidProcessorSetting(f"{key.upper()}: {exc}") from exc


def _check(settings: ProcessorSettings) -> None:
    problems = []
    if settings.stackwalker_mode not in STACKWALKER_MODES:
        problems.append(
            f"STACKWALKER_MODE must be one of {', '.join(STACKWALKER_MODES)}, "
            f"got {settings.stackwalker_mode!r}"
        )
    if settings.service_threads < 0:
        problems.append(
            f"STACKWALKER_SERVICE_THREADS must be 0 or more, got {settings.service_threads}"
        )
    if settings.threads < 1:
        problems.append(f"PROCESSOR_THREADS must be at least 1, got {settings.threads}")
    if settings.processes < 1:
        problems.append(f"PROCESSOR_PROCESSES must be at least 1, got {settings.processes}")
    if settings.prefetch < 1:
        problems.append(f"PROCESSOR_PREFETCH must be at least 1, got {settings.prefetch}")
    if settings.reprocessing_ratio < 1:
        problems.append(
            f"PROCESSOR_REPROCESSING_RATIO must be at least 1, got {settings.reprocessing_ratio}"
        )
    # A late ack must not outlive the lease, or the crash would be delivered again for nothing.
    if not 0 <= settings.ack_batch_seconds < settings.lease_seconds / 2:
        problems.append(
            "PROCESSOR_ACK_BATCH_SECONDS must be at least 0 and under half of "
            f"QUEUE_LEASE_SECONDS ({settings.lease_seconds:g}), got {settings.ack_batch_seconds:g}"
        )
    if settings.kill_timeout <= 0:
        problems.append(f"STACKWALKER_KILL_TIMEOUT must be positive, got {settings.kill_timeout}")
    if settings.backoff_seconds < 0 or settings.backoff_max_seconds < settings.backoff_seconds:
        problems.append(
            "PROCESSOR_RETRY_BACKOFF_SECONDS must be >= 0 and <= "
            "PROCESSOR_RETRY_BACKOFF_MAX_SECONDS"
        )
    if problems:
        raise InvalidProcessorSetting("; ".join(problems))


def cpu_count() -> int:
    """Usable CPU cores (respects the affinity mask, e.g. in containers)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
