"""Every metric the collector emits, in one place, and how they are sent.

Names keep Socorro's ``socorro.collector.*`` prefix so existing dashboards keep working. They
are sent by :func:`jansky.metrics.configure_metrics`.
"""

from __future__ import annotations

import markus

PREFIX = "socorro.collector"
METRICS = markus.get_metrics(PREFIX)

# name (below PREFIX) -> (kind, what it measures). docs/collector.md lists the same table.
METRIC_NAMES: dict[str, tuple[str, str]] = {
    "breakpad_resource.gzipped_crash": ("incr", "a gzipped report arrived"),
    "breakpad_resource.gzipped_crash_decompress": (
        "histogram",
        "ms to decompress; tag result:success|fail",
    ),
    "breakpad_resource.crash_size": (
        "histogram",
        "decompressed body bytes; tag payload:compressed|uncompressed",
    ),
    "breakpad_resource.on_post.time": ("timing", "ms to handle one POST /submit"),
    "breakpad_resource.malformed": ("incr", "rejected as malformed; tag reason:<reason>"),
    "breakpad_resource.too_large": ("incr", "rejected as too large (413)"),
    "breakpad_resource.overloaded": (
        "incr",
        "refused with 503: no room for the body's bytes within the admission wait",
    ),
    "breakpad_resource.body_timeout": ("incr", "the body arrived too slowly (408)"),
    "breakpad_resource.body_incomplete": (
        "incr",
        "the body ended early: client gone, half-closed or cut short",
    ),
    "breakpad_resource.parse_timeout": ("incr", "parsing passed its deadline (503)"),
    "breakpad_resource.bytes_in_flight": ("gauge", "body bytes this worker holds"),
    "protocol.request_head_refused": (
        "incr",
        "request head too slow (408) or too large (431); tag status:<code>",
    ),
    "breakpad_resource.incoming_crash": ("incr", "a report parsed successfully"),
    "breakpad_resource.throttle_rule": ("incr", "tag rule:<name> of the deciding rule"),
    "breakpad_resource.throttle": ("incr", "tag result:accept|defer|reject|fakeaccept"),
    "breakpad_resource.unauthorized_uuid": ("incr", "a uuid annotation without a valid token"),
    "crashmover.retry_count": ("incr", "a retried save or publish; tag count:<what>"),
    "crashmover.crash_handling.time": ("timing", "ms to save and queue one crash"),
    "crashmover.crash_save.time": ("timing", "ms per save attempt"),
    "crashmover.crash_publish.time": ("timing", "ms per publish attempt"),
    "crashmover.save_crash.count": ("incr", "a crash saved and queued (or saved, if deferred)"),
    "crashmover.save_crash_dropped.count": ("incr", "saving failed after every attempt (500)"),
    "crashmover.publish_crash_dropped.count": (
        "incr",
        "queueing failed after every attempt; the crash is stored (503)",
    ),
    "crashmover.stored_not_queued.count": (
        "incr",
        "a crash was stored but not queued (an abandoned save that finished, or a failed "
        "publish); its id is logged for the verify job",
    ),
    "health.broken.count": ("incr", "GET /__broken__"),
    "health.version.count": ("incr", "GET /__version__"),
    "health.lbheartbeat.count": ("incr", "GET /__lbheartbeat__"),
    "health.heartbeat.count": ("incr", "GET /__heartbeat__"),
    "sentry_scrub_error": ("incr", "the Sentry scrubber failed on an event"),
}
