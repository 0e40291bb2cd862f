"""BatchPublisher: ids from concurrent requests share queue calls; failures reach every waiter."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from antenna.publisher import BatchPublisher
from jansky.crashid import create_crash_id
from jansky.queue.base import STANDARD, QueueError
from tests.unit.collector.doubles import MemoryQueue


class GatedQueue(MemoryQueue):
    """Holds every publish until ``gate`` opens, and records the size of each call."""

    def __init__(self, failures: int = 0) -> None:
        super().__init__(failures)
        self.gate = threading.Event()
        self.started = threading.Event()
        self.calls: list[int] = []

    def publish(self, queue: str, bodies: Sequence[str]) -> None:
        self.started.set()
        self.gate.wait(5)
        self.calls.append(len(bodies))
        super().publish(queue, bodies)


def test_ids_arriving_during_a_call_go_out_together():
    queue = GatedQueue()
    publisher = BatchPublisher(queue, STANDARD, senders=1)
    first = publisher.submit(create_crash_id())
    assert queue.started.wait(5)
    later_ids = [create_crash_id() for _ in range(5)]
    later = [publisher.submit(crash_id) for crash_id in later_ids]
    queue.gate.set()
    for future in [first, *later]:
        future.result(timeout=5)
    assert queue.calls == [1, 5]
    assert queue.published[STANDARD][1:] == later_ids


def test_a_failed_call_fails_every_id_it_carried():
    queue = GatedQueue(failures=1)
    publisher = BatchPublisher(queue, STANDARD, senders=1)
    blocked = publisher.submit(create_crash_id())
    assert queue.started.wait(5)
    queue.gate.set()
    with pytest.raises(QueueError):
        blocked.result(timeout=5)
    assert publisher.submit(create_crash_id()).result(timeout=5) is None


def test_a_cancelled_id_is_not_published():
    queue = GatedQueue()
    publisher = BatchPublisher(queue, STANDARD, senders=1)
    publisher.submit(create_crash_id())
    assert queue.started.wait(5)
    abandoned = publisher.submit(create_crash_id())
    assert abandoned.cancel()
    kept = create_crash_id()
    waiting = publisher.submit(kept)
    queue.gate.set()
    waiting.result(timeout=5)
    assert queue.calls == [1, 1]
    assert queue.published[STANDARD][-1] == kept
