"""Crash queues: one interface (:class:`CrashQueue`), backends chosen by ``QUEUE_URL``."""

from __future__ import annotations

from collections.abc import Mapping

from jansky.config import config_manager, load_core_settings
from jansky.queue.base import (
    ALL_QUEUE_NAMES,
    DEAD_LETTER,
    PRIORITY,
    QUEUE_NAMES,
    REPROCESSING,
    STANDARD,
    CrashQueue,
    Message,
    QueueConfig,
    QueueCounts,
    QueueError,
    UnknownQueue,
)
from jansky.queue.location import InvalidQueueUrl, SqliteLocation, parse_queue_url
from jansky.queue.messages import make_body, validate_body

__all__ = [
    "ALL_QUEUE_NAMES",
    "DEAD_LETTER",
    "PRIORITY",
    "QUEUE_NAMES",
    "REPROCESSING",
    "STANDARD",
    "CrashQueue",
    "InvalidQueueUrl",
    "Message",
    "QueueCounts",
    "QueueError",
    "UnknownQueue",
    "make_body",
    "open_queue",
    "open_queue_from_settings",
    "validate_body",
]


def open_queue(url: str, env: Mapping[str, str] | None = None) -> CrashQueue:
    """The queue backend for ``url``, configured from ``env`` (the process environment by default).

    The SQS backend is imported only when used, so the embedded default needs no AWS setup.
    """
    location = parse_queue_url(url)
    manager = config_manager(env)
    config = manager.with_options(QueueConfig)
    lease_seconds = config("queue_lease_seconds")
    max_receives = config("queue_max_receives")
    if isinstance(location, SqliteLocation):
        from jansky.queue.sqlite import SqliteCrashQueue

        return SqliteCrashQueue(
            location.path, lease_seconds=lease_seconds, max_receives=max_receives
        )
    from jansky.queue.sqs import SqsCrashQueue, SqsQueueConfig

    sqs_config = manager.with_options(SqsQueueConfig)
    return SqsCrashQueue(
        prefix=location.prefix,
        lease_seconds=lease_seconds,
        max_receives=max_receives,
        connect_timeout=sqs_config("queue_sqs_connect_timeout"),
        read_timeout=sqs_config("queue_sqs_read_timeout"),
        max_attempts=sqs_config("queue_sqs_max_attempts"),
    )


def open_queue_from_settings(env: Mapping[str, str] | None = None) -> CrashQueue:
    """The queue named by ``QUEUE_URL`` (the SQLite file under ``DATA_DIR`` when it is empty)."""
    return open_queue(load_core_settings(env).queue_url, env)
