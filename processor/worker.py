"""The queue loop: pull crash ids, hand them to worker threads, stop cleanly on SIGTERM.

One puller (the calling thread) receives messages, the priority queue first, then the standard
and reprocessing queues by a configurable ratio, and puts them into a bounded buffer; a pool of
threads processes them. The puller receives only while the buffer has room, so at most
``prefetch`` messages wait under lease. On stop, the puller stops receiving, releases what is
still buffered, and waits for the crashes in progress to finish.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from jansky.queue import PRIORITY, REPROCESSING, STANDARD, CrashQueue, Message
from processor.metrics import METRICS

logger = logging.getLogger(__name__)

MAX_RECEIVE = 10  # the most one receive returns (SQS's limit)
ERROR_PAUSE_SECONDS = 5.0
ROOM_WAIT_SECONDS = 0.02  # how often a puller waiting for room checks whether the buffer ran dry


class QueueSelector:
    """Which queue to receive from next: priority first; then ``ratio`` standard messages per
    reprocessing message while both have work; whichever has work when the other is empty."""

    def __init__(self, crash_queue: CrashQueue, ratio: int) -> None:
        self.queue = crash_queue
        self.ratio = ratio
        self._credit = 0  # standard messages taken since the last reprocessing one, times 1

    def receive(self, wanted: int) -> list[Message]:
        messages = self.queue.receive(PRIORITY, max_messages=wanted)
        if messages:
            return messages
        if self._credit >= self.ratio:
            owed = min(wanted, self._credit // self.ratio)
            messages = self.queue.receive(REPROCESSING, max_messages=owed)
            if messages:
                self._credit -= len(messages) * self.ratio
                return messages
        messages = self.queue.receive(STANDARD, max_messages=wanted)
        if messages:
            self._credit += len(messages)
            return messages
        self._credit = 0
        return self.queue.receive(REPROCESSING, max_messages=wanted)


class Worker:
    """Runs ``handle`` for every received message on ``threads`` threads until stopped."""

    def __init__(
        self,
        crash_queue: CrashQueue,
        handle: Callable[[Message], object],
        threads: int = 4,
        prefetch: int = 8,
        reprocessing_ratio: int = 5,
        idle_seconds: float = 1.0,
        shutdown_seconds: float = 60.0,
    ) -> None:
        self.queue = crash_queue
        self.handle = handle
        self.threads = threads
        self.prefetch = prefetch
        self.idle_seconds = idle_seconds
        self.shutdown_seconds = shutdown_seconds
        self.selector = QueueSelector(crash_queue, reprocessing_ratio)
        self._stopping = threading.Event()
        self._buffer: queue.Queue[Message | None] = queue.Queue()
        # Room for the crashes in progress plus those waiting for a thread.
        self._capacity = threads + prefetch
        self._room = threading.Semaphore(self._capacity)

    def stop(self) -> None:
        """Ask the loop to end (safe from a signal handler)."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def run(self, until_idle: bool = False) -> None:
        """Pull and process until :meth:`stop`; with ``until_idle``, also stop once every queue
        is empty and nothing is in progress (for tests and one-shot runs)."""
        pool = [
            threading.Thread(target=self._work, name=f"processor-{index}", daemon=True)
            for index in range(self.threads)
        ]
        for thread in pool:
            thread.start()
        logger.info("processor started threads=%d prefetch=%d", self.threads, self.prefetch)
        try:
            self._pull(until_idle)
        finally:
            self._shut_down(pool)

    def _pull(self, until_idle: bool) -> None:
        while not self._stopping.is_set():
            if not self._room.acquire(timeout=0.5):
                continue
            wanted = 1 + self._more_room()
            try:
                messages = self.selector.receive(wanted)
            except Exception as exc:
                logger.error("receiving from the queues failed: %s: %s", type(exc).__name__, exc)
                METRICS.incr("worker.error")
                messages = []
                self._stopping.wait(ERROR_PAUSE_SECONDS)
            for _ in range(wanted - len(messages)):
                self._room.release()
            for message in messages:
                self._buffer.put(message)
            if not messages:
                if until_idle and self._idle():
                    return
                self._stopping.wait(self.idle_seconds)

    def _more_room(self) -> int:
        """Take up to ``MAX_RECEIVE - 1`` more slots; returns how many were taken.

        While crashes still wait in the buffer, the threads have work, so the puller waits for
        room for half the capacity before it receives: one receive call then brings several
        messages, where taking each slot as it frees would cost a receive per crash (and a
        priority-queue check with each). Once the buffer runs dry it receives at once.
        """
        taken = 0
        enough = min(MAX_RECEIVE, max(1, self._capacity // 2)) - 1
        while taken < MAX_RECEIVE - 1 and not self._stopping.is_set():
            if self._room.acquire(blocking=False):
                taken += 1
            elif taken >= enough or self._buffer.empty():
                break
            elif self._room.acquire(timeout=ROOM_WAIT_SECONDS):
                taken += 1
        return taken

    def _idle(self) -> bool:
        """Nothing buffered and nothing in progress: every room slot is free."""
        taken = 0
        while taken < self._capacity and self._room.acquire(blocking=False):
            taken += 1
        for _ in range(taken):
            self._room.release()
        return taken == self._capacity

    def _work(self) -> None:
        while True:
            message = self._buffer.get()
            if message is None:
                return
            if self._stopping.is_set():
                self._release(message)
                continue
            try:
                self.handle(message)
            except Exception:
                logger.exception("unexpected error handling crash_id=%s", message.crash_id)
                METRICS.incr("worker.error")
            finally:
                self._room.release()

    def _shut_down(self, pool: list[threading.Thread]) -> None:
        """Release buffered messages, let in-progress crashes finish, stop the threads."""
        while True:
            try:
                message = self._buffer.get_nowait()
            except queue.Empty:
                break
            if message is not None:
                self._release(message)
        for _ in pool:
            self._buffer.put(None)
        deadline = time.monotonic() + self.shutdown_seconds
        for thread in pool:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        still_running = sum(thread.is_alive() for thread in pool)
        if still_running:
            logger.error(
                "processor stopped with %d crashes still in progress; their messages come back "
                "after the lease",
                still_running,
            )
        logger.info("processor stopped")

    def _release(self, message: Message) -> None:
        """Give a message that was not started back to the queue, for another processor."""
        try:
            self.queue.release(message)
            logger.info("released unstarted crash_id=%s", message.crash_id)
        except Exception as exc:
            logger.error("could not release crash_id=%s: %s", message.crash_id, exc)
        finally:
            self._room.release()
