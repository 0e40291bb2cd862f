"""Run the processor: turn queued raw crashes into processed, searchable crashes.

Reads crash ids from the queues named by QUEUE_URL (priority first, then standard and
reprocessing), loads each crash from STORAGE_URL, runs the rule pipeline around
minidump-stackwalk, saves the processed crash and indexes it in SEARCH_URL. SIGTERM or Ctrl-C
stops pulling, releases buffered messages and lets crashes in progress finish.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import signal
import sys
import threading

from jansky.config import load_core_settings
from jansky.queue import open_queue_from_settings
from jansky.schemas import load_schema
from jansky.search import SearchError
from jansky.storage import open_storage_from_settings
from jansky.symbols.settings import load_symbols_settings
from processor.cache_manager import load_cache_manager_settings, start_cache_manager
from processor.config import InvalidProcessorSetting, ProcessorSettings, load_processor_settings
from processor.indexing import open_indexer
from processor.metrics import configure_processor_metrics
from processor.pipeline import Pipeline
from processor.processing import CrashProcessor, RetryPolicy
from processor.rulesets import make_stackwalker, rulesets_from_settings
from processor.stackwalker import StackwalkerUnavailable
from processor.symbol_sources import open_own_store_sources
from processor.worker import Worker

EXAMPLES = """\
  jansky processor                      process crashes until stopped (SIGTERM / Ctrl-C)
  jansky processor --until-idle         process what is queued, then exit
  PROCESSOR_THREADS=2 STACKWALKER_KILL_TIMEOUT=30 jansky processor
  PROCESSOR_PROCESSES=4 jansky processor    four processes (e.g. one per core)
"""

logger = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--until-idle",
        action="store_true",
        help="exit once every queue is empty and nothing is in progress",
    )
    parser.add_argument(
        "--log-level", default="INFO", help="logging level: DEBUG, INFO, WARNING (default: INFO)"
    )


def build_worker() -> tuple[Worker, CrashProcessor]:
    """Everything the processor needs, from the environment; raises on a bad setup."""
    core = load_core_settings()
    own_store = open_own_store_sources(core.storage_url, load_symbols_settings().store_lookup)
    settings = own_store.applied_to(load_processor_settings())
    schema = load_schema("processed_crash")
    pipeline = Pipeline(rulesets_from_settings(settings, schema))
    queue = open_queue_from_settings()
    crash_processor = CrashProcessor(
        storage=open_storage_from_settings(),
        indexer=open_indexer(core.search_url),
        queue=queue,
        pipeline=pipeline,
        retry=RetryPolicy(
            max_attempts=settings.max_attempts,
            backoff_seconds=settings.backoff_seconds,
            backoff_max_seconds=settings.backoff_max_seconds,
        ),
        temporary_path=settings.temporary_path,
        ack_delay=settings.ack_batch_seconds,
    )
    settings.temporary_path.mkdir(parents=True, exist_ok=True)
    worker = Worker(
        queue,
        crash_processor.handle,
        threads=settings.threads,
        prefetch=settings.prefetch,
        reprocessing_ratio=settings.reprocessing_ratio,
        idle_seconds=settings.idle_seconds,
        shutdown_seconds=settings.shutdown_seconds,
    )
    return worker, crash_processor


def run(args: argparse.Namespace) -> int:
    configure_logging(args.log_level)
    try:
        settings = load_processor_settings()
        cache_settings = load_cache_manager_settings()
        make_stackwalker(settings).version()
    except (StackwalkerUnavailable, InvalidProcessorSetting, ValueError) as exc:
        print(f"jansky processor: {exc}", file=sys.stderr)
        return 1
    configure_metrics_from(settings)
    cache_manager = start_cache_manager(cache_settings)
    try:
        if settings.processes > 1:
            return run_processes(settings.processes, args.until_idle, args.log_level)
        return serve(args.until_idle)
    finally:
        if cache_manager is not None:
            cache_manager.stop()


def configure_metrics_from(settings: ProcessorSettings) -> None:
    configure_processor_metrics(settings.statsd_host, settings.statsd_port, settings.metrics_log)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(processName)s %(name)s %(message)s",
    )


STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def serve(until_idle: bool) -> int:
    """One processor process: build everything, run until SIGTERM (or idle).

    The signal handlers come first: a SIGTERM while the worker is still being built (the
    stackwalker service starting, say) stops it cleanly once it is built, instead of killing it.
    """
    stop_requested = threading.Event()
    built: list[Worker] = []

    def stop(signum: int, _frame: object) -> None:
        logger.info("received %s; stopping", signal.Signals(signum).name)
        stop_requested.set()
        for worker in built:
            worker.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # blocked by run_processes
    try:
        worker, crash_processor = build_worker()
    except (StackwalkerUnavailable, SearchError, InvalidProcessorSetting, ValueError) as exc:
        print(f"jansky processor: {exc}", file=sys.stderr)
        return 1
    built.append(worker)
    if stop_requested.is_set():
        worker.stop()
    try:
        worker.run(until_idle=until_idle)
    finally:
        crash_processor.close()  # sends the acks still waiting
    return 0


def _child(until_idle: bool, log_level: str) -> None:
    configure_logging(log_level)
    configure_metrics_from(load_processor_settings())
    sys.exit(serve(until_idle))


def run_processes(count: int, until_idle: bool, log_level: str) -> int:
    """Run ``count`` processor processes; SIGTERM / Ctrl-C stops them all gracefully."""
    context = multiprocessing.get_context("spawn")
    children = [
        context.Process(target=_child, args=(until_idle, log_level), name=f"processor-{index}")
        for index in range(count)
    ]

    def forward(signum: int, _frame: object) -> None:
        logger.info("received %s; stopping %d processes", signal.Signals(signum).name, count)
        for child in children:
            if child.pid is not None and child.is_alive():
                os.kill(child.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    # Children start with the stop signals blocked (the mask survives exec) and unblock them
    # once their handlers are in place: a SIGTERM during their start-up waits, it cannot kill.
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        for child in children:
            child.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    for child in children:
        child.join()
    codes = [child.exitcode or 0 for child in children]
    logger.info("all processor processes stopped; exit codes %s", codes)
    return max(abs(code) for code in codes)
