"""AckBatcher: acks go out together, within the delay, and none is lost on close."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest

from jansky.queue import Message, QueueError
from processor.acks import AckBatcher
from tests.unit.processor.doubles import RecordingQueue, message

WAIT_SECONDS = 30.0  # a deadline for polling, never a timing assertion


class BatchRecordingQueue(RecordingQueue):
    """Remembers each ack_many call's messages."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.calls: list[list[Message]] = []
        self.fail = fail
        self.lock = threading.Lock()

    def ack_many(self, messages: Sequence[Message]) -> None:
        with self.lock:
            self.calls.append(list(messages))
        if self.fail:
            raise QueueError("queue is down")


def receipts(queue: BatchRecordingQueue) -> list[list[str]]:
    return [[m.receipt for m in call] for call in queue.calls]


def numbered(count: int) -> list[Message]:
    return [message("de1bb258-cbbf-4589-a673-34f800160918", receive_count=n) for n in range(count)]


def wait_for(condition) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "condition not met before the deadline"
        time.sleep(0.005)


def test_without_a_delay_each_ack_is_sent_at_once() -> None:
    queue = BatchRecordingQueue()
    acks = AckBatcher(queue, max_delay=0)
    first, second = numbered(2)
    acks.ack(first)
    assert receipts(queue) == [["r-0"]]
    acks.ack(second)
    assert receipts(queue) == [["r-0"], ["r-1"]]
    acks.close()
    assert len(queue.calls) == 2


def test_a_full_batch_is_sent_by_the_thread_that_fills_it() -> None:
    queue = BatchRecordingQueue()
    acks = AckBatcher(queue, max_delay=3600, max_batch=10)
    messages = numbered(23)
    for item in messages[:10]:
        acks.ack(item)
    assert receipts(queue) == [[f"r-{n}" for n in range(10)]]
    for item in messages[10:]:
        acks.ack(item)
    assert len(queue.calls) == 2
    acks.close()  # the last three go out now, not an hour later
    assert receipts(queue)[2] == ["r-20", "r-21", "r-22"]


def test_waiting_acks_go_out_together_after_the_delay() -> None:
    queue = BatchRecordingQueue()
    acks = AckBatcher(queue, max_delay=0.05)
    for item in numbered(3):
        acks.ack(item)
    wait_for(lambda: queue.calls)
    assert receipts(queue) == [["r-0", "r-1", "r-2"]]
    acks.ack(numbered(4)[3])
    wait_for(lambda: len(queue.calls) == 2)
    assert receipts(queue)[1] == ["r-3"]
    acks.close()
    assert len(queue.calls) == 2


def test_acks_after_close_are_sent_at_once() -> None:
    queue = BatchRecordingQueue()
    acks = AckBatcher(queue, max_delay=3600)
    acks.close()
    acks.ack(numbered(1)[0])
    assert receipts(queue) == [["r-0"]]


def test_acks_from_many_threads_are_each_sent_once() -> None:
    queue = BatchRecordingQueue()
    acks = AckBatcher(queue, max_delay=0.01, max_batch=7)
    messages = numbered(400)

    def ack_share(share: list[Message]) -> None:
        for item in share:
            acks.ack(item)

    threads = [threading.Thread(target=ack_share, args=(messages[n::8],)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    acks.close()
    sent = [receipt for call in receipts(queue) for receipt in call]
    assert sorted(sent) == sorted(m.receipt for m in messages)
    assert all(1 <= len(call) <= 7 for call in queue.calls)


def test_a_failed_ack_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    queue = BatchRecordingQueue(fail=True)
    acks = AckBatcher(queue, max_delay=0)
    acks.ack(numbered(1)[0])
    assert "could not ack 1 messages" in caplog.text
    assert "queue is down" in caplog.text


def test_the_backend_default_acks_one_by_one() -> None:
    queue = RecordingQueue()
    acks = AckBatcher(queue, max_delay=3600)
    for item in numbered(3):
        acks.ack(item)
    assert queue.acked == []
    acks.close()
    assert [m.receipt for m in queue.acked] == ["r-0", "r-1", "r-2"]


@pytest.mark.parametrize(("delay", "batch"), [(-1, 10), (0, 0)])
def test_bad_settings_are_refused(delay: float, batch: int) -> None:
    with pytest.raises(ValueError, match="max_delay"):
        AckBatcher(RecordingQueue(), max_delay=delay, max_batch=batch)
