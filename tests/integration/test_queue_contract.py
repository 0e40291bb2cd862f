"""The queue contract: every backend, against its real server, behaves the same.

Backends: ``sqlite`` (a file in tmp_path) and ``sqs`` (ElasticMQ from `jansky services start`,
fresh queues under a random prefix per test). Waits poll with a deadline; nothing asserts timing.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from jansky.crashid import InvalidCrashId, create_crash_id
from jansky.queue import open_queue
from jansky.queue.base import (
    DEAD_LETTER,
    QUEUE_NAMES,
    STANDARD,
    CrashQueue,
    Message,
    QueueError,
    UnknownQueue,
)
from jansky.queue.sqlite import SqliteCrashQueue
from jansky.queue.sqs import SqsCrashQueue

DEADLINE_SECONDS = 60.0
LONG_LEASE = 120  # no lease may expire by accident during a test


@dataclass
class Backend:
    """One backend under test: how to open its queues and slip in a body publish would refuse."""

    name: str
    url: str
    spec: tuple[str, str]
    inject: Callable[[str, str], None]

    def open(self, lease_seconds: float = LONG_LEASE, max_receives: int = 5) -> Any:
        return open_spec(self.spec, lease_seconds, max_receives)


def open_spec(spec: tuple[str, str], lease_seconds: float, max_receives: int) -> Any:
    """A queue from a picklable description, so worker processes can open their own."""
    kind, where = spec
    if kind == "sqlite":
        return SqliteCrashQueue(where, lease_seconds=lease_seconds, max_receives=max_receives)
    return SqsCrashQueue(prefix=where, lease_seconds=lease_seconds, max_receives=max_receives)


def sqlite_backend(tmp_path: Path) -> Iterator[Backend]:
    path = tmp_path / "queue.db"
    SqliteCrashQueue(path).close()

    def inject(queue: str, body: str) -> None:
        with sqlite3.connect(path) as conn:
            conn.execute(
                "INSERT INTO messages (queue, body, visible_at, enqueued_at) VALUES (?, ?, 0, 0)",
                (queue, body),
            )
        conn.close()

    yield Backend("sqlite", f"sqlite://{path}", ("sqlite", str(path)), inject)


def sqs_backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    request.getfixturevalue("aws_env")
    prefix = f"jt{uuid.uuid4().hex[:12]}-"
    SqsCrashQueue(prefix=prefix, lease_seconds=LONG_LEASE).create_queues()
    client = boto3.client("sqs", region_name=os.environ.get("AWS_REGION"))

    def inject(queue: str, body: str) -> None:
        url = client.get_queue_url(QueueName=prefix + queue)["QueueUrl"]
        client.send_message(QueueUrl=url, MessageBody=body)

    yield Backend("sqs", f"sqs://?prefix={prefix}", ("sqs", prefix), inject)
    for url in client.list_queues(QueueNamePrefix=prefix).get("QueueUrls", []):
        client.delete_queue(QueueUrl=url)


@pytest.fixture(params=["sqlite", pytest.param("sqs", marks=pytest.mark.integration)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        yield from sqlite_backend(tmp_path)
    else:
        yield from sqs_backend(request)


@pytest.fixture
def queue(backend: Backend) -> CrashQueue:
    return backend.open()


def receive_until(
    queue: CrashQueue, name: str, count: int, lease_seconds: float | None = None
) -> list[Message]:
    """Receive until ``count`` messages arrived; fail (not hang) if they do not come."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    received: list[Message] = []
    while len(received) < count:
        received += queue.receive(
            name, max_messages=min(10, count - len(received)), lease_seconds=lease_seconds
        )
        if len(received) < count:
            if time.monotonic() > deadline:
                pytest.fail(f"got {len(received)} of {count} messages from {name}")
            time.sleep(0.05)
    return received


def assert_empty(queue: Any, name: str) -> None:
    assert queue.receive(name) == []
    counts = queue.counts()[name]
    assert (counts.visible, counts.in_flight) == (0, 0)


def new_ids(count: int) -> list[str]:
    return [create_crash_id() for _ in range(count)]


@pytest.mark.parametrize("name", QUEUE_NAMES)
def test_publish_receive_ack_round_trip(queue: Any, name: str) -> None:
    ids = new_ids(3)
    queue.publish(name, ids)
    assert queue.counts()[name].visible == 3

    received = receive_until(queue, name, 3)
    assert sorted(m.body for m in received) == sorted(ids)
    assert {(m.queue, m.receive_count, m.ruleset) for m in received} == {(name, 1, None)}
    assert sorted(m.crash_id for m in received) == sorted(ids)
    assert len({m.receipt for m in received}) == 3
    assert queue.counts()[name].in_flight == 3
    for other in set(QUEUE_NAMES) - {name}:
        assert queue.receive(other) == []

    for message in received:
        queue.ack(message)
    assert_empty(queue, name)


def test_batches_larger_than_ten_arrive_whole(queue: Any) -> None:
    ids = new_ids(27)
    queue.publish(STANDARD, ids)
    received = receive_until(queue, STANDARD, 27)
    assert sorted(m.body for m in received) == sorted(ids)
    for message in received:
        queue.ack(message)
    assert_empty(queue, STANDARD)


def test_receive_takes_more_than_ten_when_asked(queue: Any) -> None:
    ids = new_ids(15)
    queue.publish(STANDARD, ids)
    deadline = time.monotonic() + DEADLINE_SECONDS
    received: list[Message] = []
    while len(received) < 15 and time.monotonic() < deadline:
        received += queue.receive(STANDARD, max_messages=15 - len(received))
    assert sorted(m.body for m in received) == sorted(ids)
    assert queue.receive(STANDARD, max_messages=15) == []


def test_ruleset_suffix_travels_with_the_crash_id(queue: Any) -> None:
    crash_id = create_crash_id()
    queue.publish("reprocessing", [f"{crash_id}:regenerate_signature"])
    (message,) = receive_until(queue, "reprocessing", 1)
    assert message.body == f"{crash_id}:regenerate_signature"
    assert (message.crash_id, message.ruleset) == (crash_id, "regenerate_signature")
    queue.ack(message)


def test_expired_lease_redelivers_and_the_stale_receipt_is_harmless(backend: Backend) -> None:
    queue = backend.open(lease_seconds=1)
    crash_id = create_crash_id()
    queue.publish(STANDARD, [crash_id])
    (first,) = receive_until(queue, STANDARD, 1)
    assert first.receive_count == 1

    (second,) = receive_until(queue, STANDARD, 1, lease_seconds=LONG_LEASE)
    assert (second.body, second.receive_count) == (crash_id, 2)
    assert second.receipt != first.receipt

    queue.ack(first)
    queue.release(first)
    assert queue.counts()[STANDARD].in_flight == 1
    assert queue.receive(STANDARD) == []
    queue.ack(second)
    assert_empty(queue, STANDARD)


def test_release_without_delay_redelivers_now(queue: Any) -> None:
    crash_id = create_crash_id()
    queue.publish("priority", [crash_id])
    (first,) = receive_until(queue, "priority", 1)
    queue.release(first)
    (second,) = receive_until(queue, "priority", 1)
    assert (second.body, second.receive_count) == (crash_id, 2)
    queue.ack(second)
    assert_empty(queue, "priority")


def test_release_with_delay_hides_the_message_until_then(queue: Any) -> None:
    delayed, soon = new_ids(2)
    queue.publish(STANDARD, [delayed, soon])
    received = {m.body: m for m in receive_until(queue, STANDARD, 2)}
    queue.release(received[delayed], delay_seconds=LONG_LEASE)
    queue.release(received[soon], delay_seconds=1)

    (again,) = receive_until(queue, STANDARD, 1)
    assert (again.body, again.receive_count) == (soon, 2)
    queue.ack(again)
    assert queue.receive(STANDARD) == []
    assert queue.counts()[STANDARD].in_flight == 1


@pytest.mark.parametrize("max_receives", [1, 3])
def test_message_received_too_often_goes_to_the_dead_letter_queue(
    backend: Backend, max_receives: int
) -> None:
    queue = backend.open(max_receives=max_receives)
    doomed, healthy = new_ids(2)
    queue.publish(STANDARD, [doomed])
    for attempt in range(1, max_receives + 1):
        (message,) = receive_until(queue, STANDARD, 1)
        assert (message.body, message.receive_count) == (doomed, attempt)
        queue.release(message)

    queue.publish(STANDARD, [healthy])
    (message,) = receive_until(queue, STANDARD, 1)
    assert message.body == healthy
    queue.ack(message)
    assert_empty(queue, STANDARD)

    (dead,) = receive_until(queue, DEAD_LETTER, 1)
    assert (dead.body, dead.queue, dead.receive_count) == (doomed, DEAD_LETTER, 1)
    queue.release(dead)
    for _ in range(max_receives + 1):  # the dead-letter queue never dead-letters
        (dead,) = receive_until(queue, DEAD_LETTER, 1)
        queue.release(dead)
    queue.ack(receive_until(queue, DEAD_LETTER, 1)[0])
    assert_empty(queue, DEAD_LETTER)


def test_ack_many_deletes_every_message_across_queues(queue: Any) -> None:
    standard_ids, priority_ids = new_ids(13), new_ids(2)
    queue.publish(STANDARD, standard_ids)
    queue.publish("priority", priority_ids)
    received = receive_until(queue, STANDARD, 13) + receive_until(queue, "priority", 2)
    kept = received.pop(0)  # not acked: it must stay leased
    queue.ack_many(received)
    assert queue.counts()[STANDARD].in_flight == 1
    assert_empty(queue, "priority")
    queue.release(kept)
    (again,) = receive_until(queue, STANDARD, 1)
    assert (again.body, again.receive_count) == (kept.body, 2)
    queue.ack_many([again])
    assert_empty(queue, STANDARD)


def test_ack_many_ignores_stale_receipts(queue: Any) -> None:
    stale_id, fresh_id = new_ids(2)
    queue.publish(STANDARD, [stale_id, fresh_id])
    received = {m.body: m for m in receive_until(queue, STANDARD, 2)}
    stale = received[stale_id]
    queue.release(stale)
    (redelivered,) = receive_until(queue, STANDARD, 1, lease_seconds=LONG_LEASE)
    queue.ack(received[fresh_id])
    # One receipt is from an earlier delivery, one was acked already: neither is an error.
    queue.ack_many([stale, received[fresh_id]])
    assert queue.counts()[STANDARD].in_flight == 1
    queue.ack_many([redelivered])
    assert_empty(queue, STANDARD)


def test_ack_many_of_nothing_does_nothing(queue: Any) -> None:
    queue.ack_many([])


def test_ack_is_idempotent(queue: Any) -> None:
    queue.publish(STANDARD, new_ids(1))
    (message,) = receive_until(queue, STANDARD, 1)
    queue.ack(message)
    queue.ack(message)
    queue.release(message)
    assert_empty(queue, STANDARD)


BAD_IDS = [
    "",
    "test",
    "DE1BB258-CBBF-4589-A673-34F800160918",
    "de1bb258-cbbf-4589-a673-34f80016091",
    "de1bb258/cbbf-4589-a673-34f800160918",
    "../../../etc/passwd",
    "..",
    "de1bb258-cbbf-4589-a673-34f800160918/..",
    "de1bb258-cbbf-4589-a673-34f800160918\n",
    "de1bb258-cbbf-4589-a673-34f800160918:Default",
    "de1bb258-cbbf-4589-a673-34f800160918:../x",
]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_invalid_crash_ids_are_rejected_and_nothing_is_published(queue: Any, bad: str) -> None:
    good = new_ids(12)
    with pytest.raises(InvalidCrashId) as excinfo:
        queue.publish(STANDARD, [*good, bad])
    assert repr(bad)[:30] in str(excinfo.value)
    assert_empty(queue, STANDARD)


def test_unknown_queue_names_are_rejected(queue: Any) -> None:
    message = Message(queue="../standard", body=create_crash_id(), receipt="r", receive_count=1)
    for call in (
        lambda: queue.publish("../standard", new_ids(1)),
        lambda: queue.publish("Standard", new_ids(1)),
        lambda: queue.publish(DEAD_LETTER, new_ids(1)),
        lambda: queue.receive("../standard"),
        lambda: queue.ack(message),
        lambda: queue.release(message),
    ):
        with pytest.raises(UnknownQueue, match="expected one of priority, standard"):
            call()


def test_bodies_that_are_not_crash_ids_are_dropped_unseen(backend: Backend) -> None:
    queue = backend.open()
    crash_id = create_crash_id()
    backend.inject(STANDARD, "test")
    backend.inject(STANDARD, "../../etc/passwd")
    queue.publish(STANDARD, [crash_id])
    backend.inject(STANDARD, "test")

    deadline = time.monotonic() + DEADLINE_SECONDS
    received: list[Message] = []
    while (received == [] or queue.counts()[STANDARD].visible) and time.monotonic() < deadline:
        received += queue.receive(STANDARD)
    assert [m.body for m in received] == [crash_id]
    queue.ack(received[0])
    assert_empty(queue, STANDARD)


def check_deliveries(deliveries: list[tuple[str, int]], ids: list[str]) -> None:
    """Every id was delivered; more than once only after a lease expired (receive_count > 1)."""
    assert {body for body, _count in deliveries} == set(ids)
    first_deliveries = Counter(body for body, count in deliveries if count == 1)
    assert set(first_deliveries.values()) == {1}
    assert len(first_deliveries) == len(ids)


def test_concurrent_publishers_and_consumers_threads(backend: Backend) -> None:
    queue = backend.open()
    publishers = [new_ids(40) for _ in range(3)]
    published = threading.Semaphore(0)
    deliveries: list[tuple[str, int]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    deadline = time.monotonic() + DEADLINE_SECONDS

    def publish(ids: list[str]) -> None:
        try:
            for start in range(0, len(ids), 7):
                queue.publish(STANDARD, ids[start : start + 7])
        except BaseException as exc:
            errors.append(exc)
        finally:
            published.release()

    def consume() -> None:
        idle = 0
        try:
            while time.monotonic() < deadline:
                messages = queue.receive(STANDARD, max_messages=4)
                for message in messages:
                    with lock:
                        deliveries.append((message.body, message.receive_count))
                    queue.ack(message)
                idle = 0 if messages else idle + 1
                if idle > 3 and publishing_done.is_set():
                    return
        except BaseException as exc:
            errors.append(exc)

    publishing_done = threading.Event()
    threads = [threading.Thread(target=publish, args=(ids,)) for ids in publishers]
    threads += [threading.Thread(target=consume) for _ in range(3)]
    for thread in threads:
        thread.start()
    for _ in publishers:
        published.acquire()
    publishing_done.set()
    for thread in threads:
        thread.join()

    assert errors == []
    check_deliveries(deliveries, [i for ids in publishers for i in ids])
    assert_empty(queue, STANDARD)


def process_worker(
    spec: tuple[str, str],
    ids: list[str],
    workers: int,
    published: Any,
    results: Any,
) -> None:
    """Publish ``ids`` in small batches while consuming, until every worker published all."""
    queue = open_spec(spec, LONG_LEASE, 5)
    deliveries: list[tuple[str, int]] = []
    pending = list(ids)
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if pending:
            queue.publish(STANDARD, pending[:5])
            pending = pending[5:]
            if not pending:
                with published.get_lock():
                    published.value += 1
        messages = queue.receive(STANDARD, max_messages=3)
        for message in messages:
            deliveries.append((message.body, message.receive_count))
            queue.ack(message)
        done = not pending and not messages and published.value == workers
        if done and queue.counts()[STANDARD].visible == 0:
            break
    results.put(deliveries)


def test_concurrent_publishers_and_consumers_processes(backend: Backend) -> None:
    context = multiprocessing.get_context("spawn")
    published = context.Value("i", 0)
    results = context.Queue()
    batches = [new_ids(60) for _ in range(2)]
    processes = [
        context.Process(
            target=process_worker, args=(backend.spec, ids, len(batches), published, results)
        )
        for ids in batches
    ]
    for process in processes:
        process.start()
    deliveries = []
    for _ in processes:
        deliveries += results.get(timeout=DEADLINE_SECONDS + 30)
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0

    check_deliveries(deliveries, [i for ids in batches for i in ids])
    assert_empty(backend.open(), STANDARD)


def test_open_queue_by_url_and_check_health(backend: Backend) -> None:
    queue = open_queue(backend.url)
    queue.check_health()
    crash_id = create_crash_id()
    queue.publish(STANDARD, [crash_id])
    (message,) = receive_until(backend.open(), STANDARD, 1)
    assert message.body == crash_id


def test_check_health_fails_when_the_queues_are_unusable(backend: Backend) -> None:
    if backend.name == "sqlite":
        queue = backend.open()
        queue.close()
        path = Path(backend.spec[1])
        for leftover in path.parent.glob(path.name + "-*"):
            leftover.unlink()
        path.write_bytes(b"this is not a database" * 100)
        expected = "is not usable"
    else:
        queue = SqsCrashQueue(prefix=f"missing{uuid.uuid4().hex[:8]}-")
        expected = "does not exist"
    with pytest.raises(QueueError, match=expected):
        queue.check_health()
