"""The queue loop on the embedded backends (files + SQLite): order, ratio, prefetch, stop."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from jansky.crashid import create_crash_id
from jansky.queue import PRIORITY, REPROCESSING, STANDARD, Message
from jansky.queue.sqlite import SqliteCrashQueue
from jansky.storage import FilesystemCrashStorage
from processor.pipeline import Pipeline
from processor.processing import CrashProcessor, RetryPolicy
from processor.rules.stackwalker import MinidumpStackwalkRule
from processor.rulesets import build_rulesets
from processor.worker import QueueSelector, Worker
from tests.unit.processor.conftest import raw_crash
from tests.unit.processor.doubles import RecordingIndexer


@pytest.fixture
def queue(tmp_path: Path) -> SqliteCrashQueue:
    return SqliteCrashQueue(tmp_path / "queue.db", lease_seconds=30, max_receives=3)


def run_in_thread(worker: Worker, until_idle: bool = False) -> threading.Thread:
    thread = threading.Thread(target=worker.run, kwargs={"until_idle": until_idle}, daemon=True)
    thread.start()
    return thread


def test_processes_every_queued_crash_once(tmp_path, queue, schema, stackwalker, rust_minidump):
    storage = FilesystemCrashStorage(tmp_path / "crashes")
    dump = (rust_minidump / "test.dmp").read_bytes()
    ids = [create_crash_id() for _ in range(12)]
    for crash_id in ids:
        storage.save_raw_crash(crash_id, raw_crash(uuid=crash_id), {"upload_file_minidump": dump})
    queue.publish(STANDARD, ids[:6])
    queue.publish(PRIORITY, ids[6:9])
    queue.publish(REPROCESSING, ids[9:])
    indexer = RecordingIndexer()
    pipeline = Pipeline(build_rulesets(schema, MinidumpStackwalkRule(stackwalker)))
    processor = CrashProcessor(storage, indexer, queue, pipeline, RetryPolicy(max_attempts=3))
    handled: list[str] = []

    def handle(message: Message) -> object:
        handled.append(message.crash_id)
        return processor.handle(message)

    Worker(queue, handle, threads=2, prefetch=2, idle_seconds=0.05).run(until_idle=True)
    assert sorted(handled) == sorted(ids)
    assert set(indexer.documents) == set(ids)
    for crash_id in ids:
        assert storage.load_processed_crash(crash_id)["signature"] == (
            "(anonymous namespace)::CrashFunction"
        )
    assert all(counts.visible == counts.in_flight == 0 for counts in queue.counts().values())


def test_priority_queue_goes_first(queue):
    standard = [create_crash_id() for _ in range(3)]
    priority = [create_crash_id() for _ in range(3)]
    queue.publish(STANDARD, standard)
    queue.publish(PRIORITY, priority)
    handled: list[str] = []

    def handle(message: Message) -> None:
        handled.append(message.crash_id)
        queue.ack(message)

    Worker(queue, handle, threads=1, prefetch=1, idle_seconds=0.01).run(until_idle=True)
    assert set(handled[:3]) == set(priority)
    assert set(handled[3:]) == set(standard)


def test_standard_and_reprocessing_share_by_ratio(queue):
    queue.publish(STANDARD, [create_crash_id() for _ in range(20)])
    queue.publish(REPROCESSING, [create_crash_id() for _ in range(20)])
    selector = QueueSelector(queue, ratio=5)
    order = "".join(selector.receive(1)[0].queue[0] for _ in range(18))
    assert order == "sssssrsssssrsssssr"


def test_reprocessing_runs_alone_when_standard_is_empty(queue):
    queue.publish(REPROCESSING, [create_crash_id() for _ in range(3)])
    selector = QueueSelector(queue, ratio=5)
    assert [m.queue for m in selector.receive(10)] == [REPROCESSING] * 3


def test_stop_finishes_the_crash_in_progress_and_releases_the_buffer(queue):
    ids = [create_crash_id() for _ in range(6)]
    queue.publish(STANDARD, ids)
    started, proceed = threading.Event(), threading.Event()
    done: list[str] = []

    def handle(message: Message) -> None:
        started.set()
        proceed.wait(10)
        done.append(message.crash_id)
        queue.ack(message)

    worker = Worker(queue, handle, threads=1, prefetch=3, idle_seconds=0.01)
    thread = run_in_thread(worker)
    assert started.wait(10)
    worker.stop()
    proceed.set()
    thread.join(10)
    assert not thread.is_alive()
    assert len(done) == 1
    counts = queue.counts()[STANDARD]
    # The buffered messages are visible again at once; the never-received ones never left.
    assert (counts.visible, counts.in_flight) == (5, 0)


def test_a_crashing_handler_does_not_kill_the_worker(queue):
    ids = [create_crash_id() for _ in range(4)]
    queue.publish(STANDARD, ids)
    seen: list[str] = []

    def handle(message: Message) -> None:
        seen.append(message.crash_id)
        queue.ack(message)
        raise RuntimeError("handler bug")

    Worker(queue, handle, threads=2, prefetch=1, idle_seconds=0.01).run(until_idle=True)
    assert sorted(seen) == sorted(ids)


class CountingQueue(SqliteCrashQueue):
    """Counts the messages each receive call brings."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, lease_seconds=30)
        self.batches: list[int] = []

    def receive(self, queue, max_messages=10, lease_seconds=None):
        messages = super().receive(queue, max_messages, lease_seconds)
        if messages:
            self.batches.append(len(messages))
        return messages


def test_a_busy_worker_receives_several_messages_per_call(tmp_path):
    queue = CountingQueue(tmp_path / "queue.db")
    ids = [create_crash_id() for _ in range(60)]
    queue.publish(STANDARD, ids)
    handled: list[str] = []
    lock = threading.Lock()

    def handle(message: Message) -> None:
        threading.Event().wait(0.005)  # a crash takes a while: slots free one at a time
        with lock:
            handled.append(message.crash_id)
        queue.ack(message)

    Worker(queue, handle, threads=4, prefetch=8, idle_seconds=0.01).run(until_idle=True)
    assert sorted(handled) == sorted(ids)
    # Capacity 12: after the first fill, the puller waits for room for 6 while work is buffered.
    assert len(queue.batches) <= 60 // 3, queue.batches
