"""Crashes the processor has not finished yet: the pending page's queueing and checks.

A crash whose raw crash is stored but whose processed crash is not (the processor is behind,
or the crash was lost on its way) is queued as **priority** when someone opens its page, at
most once a minute per crash: the throttle is an atomic ``add`` in the counter cache every
web worker of the host shares. After a reprocessing request the page waits for a processed
crash newer than the request.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.cache import caches

from jansky.queue import PRIORITY, make_body
from webapp.crashstats import backends

PRIORITY_INTERVAL_SECONDS = 60
# A reprocessing request older than this no longer holds the report back.
REPROCESS_WAIT_SECONDS = 600


def _throttle() -> Any:
    return caches[settings.RATELIMIT_USE_CACHE]


def queue_priority(crash_id: str) -> bool:
    """Queue the crash as priority unless that was done in the last minute; True if queued now.

    Raises ``jansky.queue.QueueError`` when the queue does not answer (the next visit retries).
    """
    key = f"priority-queued:{crash_id}"
    if not _throttle().add(key, 1, PRIORITY_INTERVAL_SECONDS):
        return False
    try:
        backends.queue().publish(PRIORITY, [make_body(crash_id)])
    except Exception:
        _throttle().delete(key)
        raise
    return True


def completed_at(processed: Mapping[str, Any]) -> float | None:
    """When the last processing pass finished, as a Unix time (None if unknown)."""
    value = processed.get("completed_datetime")
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


def requested_at(value: str | None, now: float | None = None) -> float | None:
    """A reprocessing request time from the page URL, if recent and not in the future."""
    if not value:
        return None
    try:
        moment = float(value)
    except ValueError:
        return None
    now = time.time() if now is None else now
    if now - REPROCESS_WAIT_SECONDS <= moment <= now + 5:
        return moment
    return None


def is_done(processed: Mapping[str, Any] | None, since: float | None) -> bool:
    """Whether a processed crash exists and, after a reprocessing request, is newer than it."""
    if processed is None:
        return False
    if since is None:
        return True
    finished = completed_at(processed)
    return finished is not None and finished >= since
