"""Process one queued crash and settle its message: ack, retry later, or give up.

The message is acknowledged only after the processed crash is saved to storage *and* indexed,
so a crash is never lost between the two. A failed attempt is released with exponential
backoff. The attempt limit is the queue's own ``QUEUE_MAX_RECEIVES``: on the last attempt the
processor saves (and tries to index) a processed crash with ``success=false`` and a note saying
why, then releases the message, and the queue backend moves it to the dead-letter queue at its
next delivery. A queued id without a raw crash is reported and acknowledged.
"""

from __future__ import annotations

import contextlib
import datetime
import enum
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jansky.crashid import date_from_crash_id
from jansky.queue import STANDARD, CrashQueue, Message
from jansky.storage import CrashNotFound, CrashStorage
from processor.acks import AckBatcher
from processor.indexing import Indexer
from processor.metrics import METRICS
from processor.pipeline import DEFAULT_RULESET, EMPTY_SIGNATURE, Pipeline, utc_now
from processor.scratch import ScratchDirectories

logger = logging.getLogger(__name__)


class Outcome(enum.Enum):
    """How a message was settled."""

    DONE = "done"  # saved, indexed and acknowledged
    MISSING = "missing"  # no raw crash: reported and acknowledged
    RETRY = "retry"  # released, to be delivered again after a backoff
    GAVE_UP = "gave_up"  # last attempt failed: failure record saved, message dead-lettered


class StageFailed(Exception):
    """One stage of handling a crash failed; ``stage`` is load, process, save or index."""

    def __init__(
        self, stage: str, cause: BaseException, raw_crash: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{stage} failed: {type(cause).__name__}: {cause}")
        self.stage = stage
        self.cause = cause
        self.raw_crash = raw_crash  # when it was loaded: the failure record uses its date


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts allowed per crash and the delay before each retry."""

    max_attempts: int = 5
    backoff_seconds: float = 10.0
    backoff_max_seconds: float = 300.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return min(self.backoff_max_seconds, self.backoff_seconds * 2 ** max(0, attempt - 1))


class CrashProcessor:
    """Load -> pipeline -> save -> index -> ack, with the retry and dead-letter decisions."""

    def __init__(
        self,
        storage: CrashStorage,
        indexer: Indexer,
        queue: CrashQueue,
        pipeline: Pipeline,
        retry: RetryPolicy | None = None,
        temporary_path: Path | None = None,
        ack_delay: float = 0.0,
    ) -> None:
        self.storage = storage
        self.indexer = indexer
        self.queue = queue
        self.pipeline = pipeline
        self.retry = retry or RetryPolicy()
        self.scratch = ScratchDirectories(temporary_path)
        # Acks wait up to ``ack_delay`` seconds to go out in batches (0: each at once).
        self.acks = AckBatcher(queue, ack_delay)

    def handle(self, message: Message) -> Outcome:
        """Process the crash named by ``message`` and settle the message; never raises."""
        crash_id = message.crash_id
        ruleset = message.ruleset or DEFAULT_RULESET
        start = time.perf_counter()
        processed: dict[str, Any] | None = None
        raw_crash: dict[str, Any] | None = None
        try:
            raw_crash, processed, new_crash = self._process(message, ruleset)
            self._save_and_index(crash_id, processed)
        except CrashNotFound as exc:
            logger.error("raw crash missing; acknowledging crash_id=%s: %s", crash_id, exc)
            METRICS.incr("raw_crash_missing")
            self._settle(message, ack=True)
            return Outcome.MISSING
        except StageFailed as exc:
            return self._failed(message, exc, raw_crash or exc.raw_crash, processed)
        self._settle(message, ack=True)
        elapsed = (time.perf_counter() - start) * 1000
        METRICS.timing("process_crash", elapsed, tags=[f"ruleset:{ruleset}"])
        METRICS.incr("save_processed_crash")
        if new_crash and ruleset == DEFAULT_RULESET:
            self._ingestion_timing(raw_crash)
        logger.info(
            "processed crash_id=%s ruleset=%s signature=%r ms=%.0f",
            crash_id,
            ruleset,
            processed.get("signature"),
            elapsed,
        )
        return Outcome.DONE

    def _process(self, message: Message, ruleset: str) -> tuple[dict, dict, bool]:
        """Load the crash and run the pipeline in this thread's working directory."""
        crash_id = message.crash_id
        with self.scratch.directory() as tmp:
            try:
                raw_crash = self.storage.load_raw_crash(crash_id)
            except CrashNotFound:
                raise
            except Exception as exc:
                raise StageFailed("load", exc) from exc
            try:
                dumps = self.storage.load_dumps_as_files(crash_id, tmp)
                processed, new_crash = self._stored_processed_crash(message)
            except Exception as exc:
                raise StageFailed("load", exc, raw_crash) from exc
            if new_crash and ruleset != DEFAULT_RULESET:
                logger.info(
                    "no processed crash to apply ruleset %s to; running default crash_id=%s",
                    ruleset,
                    crash_id,
                )
                ruleset = DEFAULT_RULESET
            try:
                self.pipeline.process(crash_id, ruleset, raw_crash, dumps, processed, tmp)
            except Exception as exc:
                raise StageFailed("process", exc, raw_crash) from exc
        return raw_crash, processed, new_crash

    def close(self) -> None:
        """Send the waiting acks, stop the rules' helpers (the stackwalker service) and delete
        the working directories (once no crash is in progress)."""
        try:
            self.acks.close()
        finally:
            try:
                self.pipeline.close()
            finally:
                self.scratch.remove()

    def _stored_processed_crash(self, message: Message) -> tuple[dict[str, Any], bool]:
        """The stored processed crash to reprocess on top of, or ``{}`` for a new crash.

        The first delivery of a plain standard-queue message is a crash the collector has just
        stored: there is nothing to look up (a miss costs a storage request). Any later delivery
        looks, since an earlier attempt may have saved a processed crash, and so does every
        reprocessing or priority message, or one naming a ruleset.
        """
        if message.queue == STANDARD and message.receive_count == 1 and not message.ruleset:
            return {}, True
        try:
            return self.storage.load_processed_crash(message.crash_id), False
        except CrashNotFound:
            return {}, True

    def _save_and_index(self, crash_id: str, processed: dict[str, Any]) -> None:
        start = time.perf_counter()
        try:
            self.storage.save_processed_crash(crash_id, processed)
        except Exception as exc:
            raise StageFailed("save", exc) from exc
        middle = time.perf_counter()
        METRICS.timing("storage.save_processed_crash", (middle - start) * 1000)
        try:
            self.indexer.index_crash(crash_id, processed)
        except Exception as exc:
            raise StageFailed("index", exc) from exc
        METRICS.timing("search.save_processed_crash", (time.perf_counter() - middle) * 1000)

    def _failed(
        self,
        message: Message,
        failure: StageFailed,
        raw_crash: dict[str, Any] | None,
        processed: dict[str, Any] | None,
    ) -> Outcome:
        crash_id = message.crash_id
        attempt = message.receive_count
        if attempt < self.retry.max_attempts:
            delay = self.retry.delay(attempt)
            logger.warning(
                "attempt %d/%d failed, retrying in %.0fs crash_id=%s: %s",
                attempt,
                self.retry.max_attempts,
                delay,
                crash_id,
                failure,
            )
            METRICS.incr("retry", tags=[f"stage:{failure.stage}"])
            self._settle(message, ack=False, delay=delay)
            return Outcome.RETRY
        logger.error(
            "attempt %d/%d failed, giving up; dead-lettering crash_id=%s: %s",
            attempt,
            self.retry.max_attempts,
            crash_id,
            failure,
        )
        METRICS.incr("dead_letter", tags=[f"stage:{failure.stage}"])
        self._record_failure(crash_id, failure, attempt, raw_crash, processed)
        self._settle(message, ack=False, delay=0)
        return Outcome.GAVE_UP

    def _record_failure(
        self,
        crash_id: str,
        failure: StageFailed,
        attempts: int,
        raw_crash: dict[str, Any] | None,
        processed: dict[str, Any] | None,
    ) -> None:
        """Best effort: store a ``success=false`` processed crash saying why processing failed."""
        record = processed if processed is not None else self._failure_base(crash_id, raw_crash)
        note = (
            f"processing failed after {attempts} attempts: {failure.stage} failed: "
            f"{type(failure.cause).__name__}"
        )
        notes = record.get("processor_notes")
        record["processor_notes"] = f"{notes}\n{note}" if isinstance(notes, str) and notes else note
        record["success"] = False
        record["completed_datetime"] = utc_now()
        for stage, action in (
            ("save", self.storage.save_processed_crash),
            ("index", self.indexer.index_crash),
        ):
            try:
                action(crash_id, record)
            except Exception as exc:
                logger.error(
                    "could not %s the failure record crash_id=%s: %s: %s",
                    stage,
                    crash_id,
                    type(exc).__name__,
                    exc,
                )
                return

    def _failure_base(self, crash_id: str, raw_crash: dict[str, Any] | None) -> dict[str, Any]:
        """The stored processed crash if any, else the fields every processed crash has."""
        with contextlib.suppress(Exception):
            return self.storage.load_processed_crash(crash_id)
        now = utc_now()
        submitted = (raw_crash or {}).get("submitted_timestamp")
        if not isinstance(submitted, str):
            day = date_from_crash_id(crash_id)
            submitted = (
                datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC).isoformat()
                if day is not None
                else now
            )
        return {
            "uuid": crash_id,
            "crash_id": crash_id,
            "signature": EMPTY_SIGNATURE,
            "date_processed": submitted,
            "submitted_timestamp": submitted,
            "started_datetime": now,
        }

    def _settle(self, message: Message, ack: bool, delay: float = 0) -> None:
        """Ack or release; a queue error is logged (the lease expires and it comes back)."""
        try:
            if ack:
                self.acks.ack(message)  # logs its own failures
            else:
                self.queue.release(message, delay_seconds=delay)
        except Exception as exc:
            logger.error(
                "could not %s message crash_id=%s: %s: %s",
                "ack" if ack else "release",
                message.crash_id,
                type(exc).__name__,
                exc,
            )

    def _ingestion_timing(self, raw_crash: dict[str, Any] | None) -> None:
        submitted = (raw_crash or {}).get("submitted_timestamp")
        try:
            when = datetime.datetime.fromisoformat(submitted)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.UTC)
        elapsed = datetime.datetime.now(datetime.UTC) - when
        METRICS.timing("ingestion_timing", elapsed.total_seconds() * 1000)
