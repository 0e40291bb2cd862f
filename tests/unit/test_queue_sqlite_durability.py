"""Which SQLite queue commits wait for the disk: publishes do, the consumer's do not."""

from __future__ import annotations

from pathlib import Path

from jansky.crashid import create_crash_id
from jansky.queue import STANDARD
from jansky.queue.sqlite import SqliteCrashQueue

FULL, NORMAL = 2, 1


def synchronous(queue: SqliteCrashQueue) -> int:
    return queue._connection().execute("PRAGMA synchronous").fetchone()[0]


def test_publish_is_durable_and_consuming_is_not(tmp_path: Path) -> None:
    queue = SqliteCrashQueue(tmp_path / "queue.db")
    queue.publish(STANDARD, [create_crash_id(), create_crash_id()])
    assert synchronous(queue) == FULL
    first, second = queue.receive(STANDARD, 2)
    assert synchronous(queue) == NORMAL
    queue.ack(first)
    assert synchronous(queue) == NORMAL
    queue.publish(STANDARD, [create_crash_id()])
    assert synchronous(queue) == FULL
    queue.release(second)
    assert synchronous(queue) == NORMAL
    assert queue.counts()[STANDARD].visible == 2
