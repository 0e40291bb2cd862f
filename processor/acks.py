"""Acknowledge processed crashes in batches: one queue call for up to ten messages.

An SQS ``DeleteMessageBatch`` of ten costs the server little more than one ``DeleteMessage``
(ElasticMQ: about 1 ms of CPU per message batched against 3-6 ms alone), and a SQLite ack is a
transaction either way. Acks wait at most ``max_delay`` seconds, or until ``max_batch`` are
waiting, and go out together. A late ack is harmless, and so is one lost with the process: the
message comes back after its lease and the crash is processed again, overwriting the same
processed crash, which is the queue's at-least-once contract.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from jansky.queue import CrashQueue, Message

logger = logging.getLogger(__name__)

MAX_BATCH = 10  # the most one SQS DeleteMessageBatch takes


class AckBatcher:
    """Collects acks from the processing threads and sends them with ``queue.ack_many``.

    With ``max_delay`` 0 every ack is sent at once by the thread that makes it. :meth:`close`
    sends what is still waiting; call it when the processor stops.
    """

    def __init__(self, queue: CrashQueue, max_delay: float, max_batch: int = MAX_BATCH) -> None:
        if max_delay < 0 or max_batch < 1:
            raise ValueError(f"need max_delay >= 0 and max_batch >= 1 ({max_delay}, {max_batch})")
        self.queue = queue
        self.max_delay = max_delay
        self.max_batch = max_batch
        self._pending: list[Message] = []
        self._oldest = 0.0  # time.monotonic() of the first pending ack
        self._changed = threading.Condition()
        self._flusher: threading.Thread | None = None
        self._closed = False

    def ack(self, message: Message) -> None:
        """Acknowledge ``message`` now, with the next full batch, or within ``max_delay``."""
        if self.max_delay == 0:
            self._send([message])
            return
        with self._changed:
            if self._closed:
                batch = [message]
            else:
                self._pending.append(message)
                if len(self._pending) == 1:
                    self._oldest = time.monotonic()
                    self._start_flusher()
                    self._changed.notify()
                if len(self._pending) < self.max_batch:
                    return
                batch, self._pending = self._pending, []
        self._send(batch)

    def close(self) -> None:
        """Send every waiting ack and stop the flusher; later acks are sent at once."""
        with self._changed:
            self._closed = True
            self._changed.notify()
            flusher = self._flusher
        if flusher is not None:
            flusher.join()
        with self._changed:
            batch, self._pending = self._pending, []
        if batch:
            self._send(batch)

    def _start_flusher(self) -> None:
        # Started on first use, in the process that acks (the processor forks its workers).
        if self._flusher is None:
            self._flusher = threading.Thread(target=self._flush_forever, name="acks", daemon=True)
            self._flusher.start()

    def _flush_forever(self) -> None:
        with self._changed:
            while not self._closed:
                if not self._pending:
                    self._changed.wait()
                    continue
                wait = self._oldest + self.max_delay - time.monotonic()
                if wait > 0:
                    self._changed.wait(wait)
                    continue
                batch, self._pending = self._pending, []
                self._changed.release()
                try:
                    self._send(batch)
                finally:
                    self._changed.acquire()

    def _send(self, batch: Sequence[Message]) -> None:
        """Ack ``batch``; a failure is logged (the messages come back after their lease)."""
        try:
            self.queue.ack_many(batch)
        except Exception as exc:
            logger.error(
                "could not ack %d messages crash_ids=%s: %s: %s",
                len(batch),
                ",".join(message.crash_id for message in batch),
                type(exc).__name__,
                exc,
            )
