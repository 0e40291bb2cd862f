"""The crash mover: save then publish, bounded retries, never a silent success."""

from __future__ import annotations

import threading

import pytest
from markus.testing import MetricsMock

from antenna.crashmover import CrashMover, PublishFailed, SaveFailed
from jansky.crashid import create_crash_id
from jansky.queue.base import STANDARD
from tests.unit.collector.doubles import MemoryQueue, MemoryStorage

RAW = {"ProductName": "Firefox"}
DUMPS = {"upload_file_minidump": b"abcd1234"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def mover(storage, queue, clock=None, **kwargs) -> CrashMover:
    clock = clock or FakeClock()
    return CrashMover(storage, queue, sleep=clock.sleep, clock=clock, **kwargs)


def test_saves_then_publishes():
    storage, queue = MemoryStorage(), MemoryQueue()
    crash_id = create_crash_id()
    with MetricsMock() as metrics:
        mover(storage, queue).handle(crash_id, RAW, DUMPS)
    assert storage.raw[crash_id] == RAW
    assert storage.dumps[crash_id] == DUMPS
    assert queue.published == {STANDARD: [crash_id]}
    metrics.assert_incr_once("socorro.collector.crashmover.save_crash.count")


def test_deferred_crash_is_stored_not_queued():
    storage, queue = MemoryStorage(), MemoryQueue()
    crash_id = create_crash_id(throttle_result=1)
    mover(storage, queue).handle(crash_id, RAW, DUMPS, publish=False)
    assert crash_id in storage.raw
    assert queue.published == {}


def test_transient_failures_are_retried():
    storage, queue, clock = MemoryStorage(failures=2), MemoryQueue(failures=1), FakeClock()
    crash_id = create_crash_id()
    with MetricsMock() as metrics:
        mover(storage, queue, clock, max_attempts=3, retry_sleep_seconds=0.5).handle(
            crash_id, RAW, DUMPS
        )
    assert queue.published == {STANDARD: [crash_id]}
    assert clock.sleeps == [0.5, 0.5, 0.5]
    assert len(metrics.filter_records("incr", "socorro.collector.crashmover.retry_count")) == 3


def test_save_failure_publishes_nothing():
    storage, queue = MemoryStorage(failures=5), MemoryQueue()
    with MetricsMock() as metrics, pytest.raises(SaveFailed):
        mover(storage, queue, max_attempts=3).handle(create_crash_id(), RAW, DUMPS)
    assert storage.save_calls == 3
    assert queue.published == {}
    metrics.assert_incr_once("socorro.collector.crashmover.save_crash_dropped.count")
    metrics.assert_not_incr("socorro.collector.crashmover.save_crash.count")


def test_publish_failure_after_save_is_reported():
    storage, queue = MemoryStorage(), MemoryQueue(failures=5)
    crash_id = create_crash_id()
    with MetricsMock() as metrics, pytest.raises(PublishFailed):
        mover(storage, queue, max_attempts=2).handle(crash_id, RAW, DUMPS)
    assert crash_id in storage.raw  # stored: a later verify job can still find it
    metrics.assert_incr_once("socorro.collector.crashmover.publish_crash_dropped.count")
    metrics.assert_incr_once("socorro.collector.crashmover.stored_not_queued.count")


def test_budget_stops_retries_early():
    storage, queue, clock = MemoryStorage(failures=10), MemoryQueue(), FakeClock()
    with pytest.raises(SaveFailed):
        mover(
            storage, queue, clock, max_attempts=10, retry_sleep_seconds=2, budget_seconds=5
        ).handle(create_crash_id(), RAW, DUMPS)
    assert storage.save_calls == 3  # at t=0, 2 and 4; the next would start after t=5


def test_a_hung_backend_cannot_hold_the_request_past_the_budget():
    release = threading.Event()

    class HungStorage(MemoryStorage):
        def save_raw_crash(self, crash_id, raw_crash, dumps, cancel=None):
            release.wait(10)

    crash_mover = CrashMover(HungStorage(), MemoryQueue(), budget_seconds=0.2)
    try:
        with pytest.raises(SaveFailed, match="budget"):
            crash_mover.handle(create_crash_id(), RAW, DUMPS)
    finally:
        release.set()


class GatedStorage(MemoryStorage):
    """Holds each save after its dumps are written until ``release`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()
        self.finished = threading.Event()

    def save_raw_crash(self, crash_id, raw_crash, dumps, cancel=None):
        self.entered.set()
        try:
            self.release.wait(10)
            super().save_raw_crash(crash_id, raw_crash, dumps, cancel)
        finally:
            self.finished.set()


def test_an_abandoned_save_stops_before_the_raw_crash(caplog):
    """A save given up at the deadline used to run on and leave a crash stored, never queued."""
    storage = GatedStorage()
    crash_id = create_crash_id()
    crash_mover = CrashMover(storage, MemoryQueue(), max_attempts=1, budget_seconds=2)
    with pytest.raises(SaveFailed, match="budget"):
        crash_mover.handle(crash_id, RAW, DUMPS)
    assert storage.entered.is_set()  # it was running, not cancelled before it started
    storage.release.set()
    assert storage.finished.wait(10)
    assert crash_id not in storage.raw  # never complete: nothing for anyone to find
    assert f"crash_id={crash_id} event=stored_not_queued" not in caplog.text


def test_a_save_that_finishes_after_it_was_abandoned_is_logged_with_its_id(caplog):
    class LateStorage(GatedStorage):
        def save_raw_crash(self, crash_id, raw_crash, dumps, cancel=None):
            super().save_raw_crash(crash_id, raw_crash, dumps)  # past the point of checking

    storage = LateStorage()
    crash_id = create_crash_id()
    crash_mover = CrashMover(storage, MemoryQueue(), max_attempts=1, budget_seconds=2)
    with MetricsMock() as metrics:
        with pytest.raises(SaveFailed):
            crash_mover.handle(crash_id, RAW, DUMPS)
        storage.release.set()
        assert storage.finished.wait(10)
        crash_mover.executor.shutdown(wait=True)  # the done callback has run
        metrics.assert_incr_once("socorro.collector.crashmover.stored_not_queued.count")
    assert crash_id in storage.raw
    assert f"crash_id={crash_id} event=stored_not_queued" in caplog.text
