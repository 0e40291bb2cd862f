"""Store a crash, then queue its id for processing, with bounded retries.

The collector answers ``CrashID=...`` only after this returns: the crash is stored (raw crash
written last by the storage backend) and, unless deferred, its id is in the standard queue.
All attempts together stay within a time budget below the gunicorn worker timeout, so a slow
backend yields a clean 5xx instead of a killed worker: each attempt runs on a helper thread and
the request stops waiting for it at the deadline. Ids of crashes saved at the same time are
queued together (:mod:`antenna.publisher`), one queue call per batch.

An abandoned save is told to stop: the storage checks before it writes the raw crash, so an
abandoned crash is normally never complete in storage. If it was already writing it, the crash
is stored but not queued: that, and a publish that fails after every attempt, is logged as
``event=stored_not_queued`` with the crash id (and counted), for the verify job to find and
queue. The client, told to retry, may then store the crash twice, which is harmless.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from antenna.metrics import METRICS
from antenna.publisher import BatchPublisher
from jansky.queue.base import STANDARD, CrashQueue
from jansky.storage.base import CrashStorage

logger = logging.getLogger(__name__)
T = TypeVar("T")


class CrashMoverError(Exception):
    """The crash could not be stored or queued; the client must retry."""

    def __init__(self, crash_id: str, message: str) -> None:
        super().__init__(f"{crash_id}: {message}")
        self.crash_id = crash_id


class SaveFailed(CrashMoverError):
    """Saving failed after every attempt: nothing may be acknowledged."""


class PublishFailed(CrashMoverError):
    """The crash is stored but its id could not be queued."""


class CrashMover:
    """Save then publish one crash per call; safe to share between threads."""

    def __init__(
        self,
        storage: CrashStorage,
        queue: CrashQueue,
        max_attempts: int = 3,
        retry_sleep_seconds: float = 0.5,
        budget_seconds: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        max_threads: int = 16,
    ) -> None:
        self.storage = storage
        self.queue = queue
        self.max_attempts = max_attempts
        self.retry_sleep_seconds = retry_sleep_seconds
        self.budget_seconds = budget_seconds
        self.sleep = sleep
        self.clock = clock
        self.executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=max_threads, thread_name_prefix="crashmover"
        )
        self.publisher = BatchPublisher(queue, STANDARD)

    def handle(
        self,
        crash_id: str,
        raw_crash: Mapping[str, Any],
        dumps: Mapping[str, bytes],
        publish: bool = True,
    ) -> None:
        """Store the crash and (if ``publish``) queue its id; raise :class:`CrashMoverError`."""
        deadline = self.clock() + self.budget_seconds
        abandon = threading.Event()
        with METRICS.timer("crashmover.crash_handling.time"):
            try:
                self._attempt(
                    lambda: self.executor.submit(
                        self.storage.save_raw_crash, crash_id, raw_crash, dumps, cancel=abandon
                    ),
                    crash_id,
                    "save",
                    deadline,
                    on_abandon=lambda future: self._watch_abandoned_save(crash_id, future, abandon),
                )
            except Exception as exc:
                METRICS.incr("crashmover.save_crash_dropped.count")
                logger.error("crash_id=%s event=save_failed error=%r", crash_id, exc)
                raise SaveFailed(crash_id, f"could not save the crash: {exc}") from exc
            if publish:
                try:
                    self._attempt(
                        lambda: self.publisher.submit(crash_id), crash_id, "publish", deadline
                    )
                except Exception as exc:
                    METRICS.incr("crashmover.publish_crash_dropped.count")
                    _stored_not_queued(crash_id, f"publish failed: {exc!r}")
                    raise PublishFailed(crash_id, f"stored, but not queued: {exc}") from exc
        METRICS.incr("crashmover.save_crash.count")
        logger.info("crash_id=%s event=saved queued=%s", crash_id, str(publish).lower())

    def _watch_abandoned_save(
        self, crash_id: str, future: concurrent.futures.Future[Any], abandon: threading.Event
    ) -> None:
        """Tell a save still running to stop, and report it if it completes all the same."""
        abandon.set()

        def finished(done: concurrent.futures.Future[Any]) -> None:
            if not done.cancelled() and done.exception() is None:
                _stored_not_queued(crash_id, "the save finished after it was abandoned")

        future.add_done_callback(finished)

    def _attempt(
        self,
        start: Callable[[], concurrent.futures.Future[T]],
        crash_id: str,
        what: str,
        deadline: float,
        on_abandon: Callable[[concurrent.futures.Future[T]], None] | None = None,
    ) -> T:
        """Run the operation ``start`` begins until it succeeds, attempts run out or time does.

        An attempt still running at the deadline is abandoned: cancelled if it has not started,
        else handed to ``on_abandon``.
        """
        attempt = 1
        while True:
            started = time.perf_counter()
            try:
                remaining = deadline - self.clock()
                if remaining <= 0:
                    raise TimeoutError(f"no time left to {what} (budget {self.budget_seconds}s)")
                future = start()
                try:
                    return future.result(timeout=remaining)
                except TimeoutError:
                    if future.done():
                        raise  # the operation's own timeout, not the budget's
                    if not future.cancel() and on_abandon is not None:
                        on_abandon(future)
                    raise TimeoutError(
                        f"{what} did not finish within the {self.budget_seconds}s budget"
                    ) from None
            except Exception as exc:
                out_of_time = self.clock() + self.retry_sleep_seconds >= deadline
                if attempt >= self.max_attempts or out_of_time:
                    raise
                logger.warning(
                    "crash_id=%s event=%s_retry attempt=%d error=%r", crash_id, what, attempt, exc
                )
                METRICS.incr("crashmover.retry_count", tags=[f"count:{what}_crash_exception.count"])
                attempt += 1
                self.sleep(self.retry_sleep_seconds)
            finally:
                METRICS.timing(
                    f"crashmover.crash_{what}.time", (time.perf_counter() - started) * 1000
                )


def _stored_not_queued(crash_id: str, reason: str) -> None:
    """The one log line (and metric) the verify job and an operator look for."""
    METRICS.incr("crashmover.stored_not_queued.count")
    logger.error("crash_id=%s event=stored_not_queued reason=%s", crash_id, reason)
