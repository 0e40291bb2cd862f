"""Queue the ids of crashes saved by concurrent requests together: one queue call per batch.

A queue call costs about the same for one id as for ten (an fsync of the SQLite file, one SQS
round trip), so ids that arrive while a call is in flight wait for it to finish and then go
out together. Nothing waits for a batch to fill: an id that arrives when a sender is free
leaves at once, so batching adds no delay when the collector is idle.
"""

from __future__ import annotations

import collections
import concurrent.futures
import logging
import threading

from jansky.queue.base import CrashQueue

logger = logging.getLogger(__name__)

MAX_BATCH = 10  # the most SQS takes in one send_message_batch


class BatchPublisher:
    """Publish crash ids to one queue from ``senders`` threads, in batches of up to ``max_batch``.

    Each id gets a future that resolves once the call that carried it returned (the id is in
    the queue) or raised (the caller retries, publishing it again). Several senders keep one
    hung queue call from stopping every publish in the process.
    """

    def __init__(
        self, queue: CrashQueue, queue_name: str, senders: int = 2, max_batch: int = MAX_BATCH
    ) -> None:
        if senders < 1 or max_batch < 1:
            raise ValueError(f"senders and max_batch must be at least 1 ({senders}, {max_batch})")
        self.queue = queue
        self.queue_name = queue_name
        self.senders = senders
        self.max_batch = max_batch
        self._pending: collections.deque[tuple[str, concurrent.futures.Future[None]]] = (
            collections.deque()
        )
        self._ready = threading.Condition()
        self._threads: list[threading.Thread] = []

    def submit(self, crash_id: str) -> concurrent.futures.Future[None]:
        """Queue ``crash_id`` with the next batch; the future says when (and whether) it is in."""
        future: concurrent.futures.Future[None] = concurrent.futures.Future()
        with self._ready:
            # Started on first use, in the process that publishes (gunicorn forks workers).
            if not self._threads:
                for number in range(self.senders):
                    thread = threading.Thread(
                        target=self._send_forever, name=f"publisher-{number}", daemon=True
                    )
                    thread.start()
                    self._threads.append(thread)
            self._pending.append((crash_id, future))
            self._ready.notify()
        return future

    def _next_batch(self) -> list[tuple[str, concurrent.futures.Future[None]]]:
        with self._ready:
            while not self._pending:
                self._ready.wait()
            batch = []
            while self._pending and len(batch) < self.max_batch:
                batch.append(self._pending.popleft())
            return batch

    def _send_forever(self) -> None:
        while True:
            batch = self._next_batch()
            # A caller that gave up (deadline) cancelled its future; it needs no publish.
            batch = [(crash_id, f) for crash_id, f in batch if f.set_running_or_notify_cancel()]
            if not batch:
                continue
            try:
                self.queue.publish(self.queue_name, [crash_id for crash_id, _ in batch])
            except BaseException as exc:  # every waiter must hear of it, whatever it is
                for _crash_id, future in batch:
                    future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for _crash_id, future in batch:
                future.set_result(None)
            logger.debug("event=published queue=%s count=%d", self.queue_name, len(batch))
