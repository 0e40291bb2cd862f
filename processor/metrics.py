"""Every metric the processor emits, in one place.

Names keep Socorro's ``socorro.processor.*`` prefix so existing dashboards keep working. The
backends are configured by whoever runs the processor (see ``antenna.metrics``).
"""

from __future__ import annotations

import markus

PREFIX = "socorro.processor"
METRICS = markus.get_metrics(PREFIX)

# name (below PREFIX) -> (kind, what it measures). docs/processor.md lists the same table.
METRIC_NAMES: dict[str, tuple[str, str]] = {
    "process_crash": ("timing", "ms to load, process, save and index one crash; tag ruleset"),
    "rule.act.timing": ("timing", "ms per rule; tag rule:<ClassName>"),
    "minidumpstackwalk.run": ("incr", "a stackwalker run; tags outcome:success|fail, exitcode"),
    "storage.save_processed_crash": ("timing", "ms to save a processed crash"),
    "search.save_processed_crash": ("timing", "ms to index a processed crash"),
    "save_processed_crash": ("incr", "a crash saved and indexed, then acknowledged"),
    "ingestion_timing": ("timing", "ms from collector receipt to searchable (new crashes)"),
    "raw_crash_missing": ("incr", "a queued crash id with no raw crash; acknowledged"),
    "retry": ("incr", "a failed attempt released for retry; tag stage:load|save|index"),
    "dead_letter": ("incr", "a crash that failed its last attempt; tag stage"),
    "worker.error": ("incr", "an unexpected error in a worker thread (the worker goes on)"),
}
