"""Every metric the processor emits, in one place.

Names keep Socorro's ``socorro.processor.*`` prefix so existing dashboards keep working. They go
to the backends of :mod:`jansky.metrics` (dogstatsd over UDP and/or the log), set by
PROCESSOR_STATSD_HOST, PROCESSOR_STATSD_PORT and PROCESSOR_METRICS_LOG.
"""

from __future__ import annotations

import socket

import markus

from jansky.metrics import configure_metrics

PREFIX = "socorro.processor"
METRICS = markus.get_metrics(PREFIX)

# name (below PREFIX) -> (kind, what it measures). docs/processor.md lists the same table.
METRIC_NAMES: dict[str, tuple[str, str]] = {
    "process_crash": ("timing", "ms to load, process, save and index one crash; tag ruleset"),
    "rule.act.timing": ("timing", "ms per rule; tag rule:<ClassName>"),
    "minidumpstackwalk.run": ("incr", "a stackwalker run; tags outcome:success|fail, exitcode"),
    "stackwalker_service.fallback": (
        "incr",
        "a minidump the stackwalker service failed on, walked again by one-shot "
        "minidump-stackwalk; tag reason:timeout|memory|died|panicked|refused|unavailable|restarted",
    ),
    "stackwalker_service.restart": ("incr", "the stackwalker service started again after it died"),
    "symbols.lookup": (
        "incr",
        "modules a walk looked up symbols for (service mode); tag source:memory (parsed "
        "already), local (a symbols folder or the own store on files), cache (the on-disk "
        "cache), download (a symbol server), missing (nowhere)",
    ),
    "symbols_cache.hit": ("incr", "a symbol file found in the on-disk symbols cache"),
    "symbols_cache.miss": (
        "incr",
        "a symbol file not in the on-disk cache, asked of the symbol servers; tag "
        "outcome:downloaded|not_found",
    ),
    "symbols_store.hit": ("incr", "a symbol file served from the own store (S3) to a walk"),
    "symbols_store.miss": ("incr", "a symbol file the own store (S3) does not have"),
    "symbols_store.error": ("incr", "the own store (S3) failed to answer a walk's request"),
    "storage.save_processed_crash": ("timing", "ms to save a processed crash"),
    "search.save_processed_crash": ("timing", "ms to index a processed crash"),
    "save_processed_crash": ("incr", "a crash saved and indexed, then acknowledged"),
    "ingestion_timing": ("timing", "ms from collector receipt to searchable (new crashes)"),
    "raw_crash_missing": ("incr", "a queued crash id with no raw crash; acknowledged"),
    "retry": ("incr", "a failed attempt released for retry; tag stage:load|save|index"),
    "dead_letter": ("incr", "a crash that failed its last attempt; tag stage"),
    "worker.error": ("incr", "an unexpected error in a worker thread (the worker goes on)"),
    "cache_manager.evict": ("incr", "a symbols cache file evicted (least recently used)"),
    "cache_manager.usage": ("gauge", "bytes in the symbols cache after a scan"),
    "cache_manager.files.count": ("gauge", "files in the symbols cache after a scan"),
    "cache_manager.files.gt_500": ("gauge", "symbols cache files above 500 MB"),
    "cache_manager.file_sizes.avg": ("gauge", "mean symbols cache file size, bytes"),
    "cache_manager.file_sizes.median": ("gauge", "median symbols cache file size, bytes"),
    "cache_manager.file_sizes.ninety_five": ("gauge", "95th percentile file size, bytes"),
    "cache_manager.file_sizes.max": ("gauge", "largest symbols cache file, bytes"),
    "cache_manager.scan": ("timing", "ms to scan the symbols cache and evict"),
    "cache_manager.error": ("incr", "a symbols cache scan failed (the next one goes on)"),
}


def configure_processor_metrics(statsd_host: str, statsd_port: int, log: bool) -> None:
    """Send metrics to dogstatsd at ``statsd_host`` (if set) and/or log them, tagged host."""
    configure_metrics(statsd_host, statsd_port, log, socket.gethostname())
