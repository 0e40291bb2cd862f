"""In-memory storage and queue doubles for the collector's unit tests (never used elsewhere)."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from jansky.crashid import validate_crash_id
from jansky.queue.base import CrashQueue, Message, QueueError
from jansky.storage.base import CrashNotFound, CrashStorage, SaveAbandoned, StorageError


class MemoryStorage(CrashStorage):
    """Keeps saved crashes in dicts; ``failures`` makes the next N saves raise StorageError."""

    def __init__(self, failures: int = 0) -> None:
        self.raw: dict[str, dict[str, Any]] = {}
        self.dumps: dict[str, dict[str, bytes]] = {}
        self.failures = failures
        self.save_calls = 0
        self.healthy = True
        self.lock = threading.Lock()

    def save_raw_crash(
        self,
        crash_id: str,
        raw_crash: Mapping[str, Any],
        dumps: Mapping[str, bytes],
        cancel: threading.Event | None = None,
    ) -> None:
        validate_crash_id(crash_id)
        with self.lock:
            self.save_calls += 1
            if self.failures:
                self.failures -= 1
                raise StorageError("storage is down (test double)")
            self.dumps[crash_id] = dict(dumps)
            if cancel is not None and cancel.is_set():
                raise SaveAbandoned(f"{crash_id}: abandoned (test double)")
            self.raw[crash_id] = dict(raw_crash)

    def load_raw_crash(self, crash_id: str) -> dict[str, Any]:
        if crash_id not in self.raw:
            raise CrashNotFound(crash_id)
        return self.raw[crash_id]

    def load_dump_names(self, crash_id: str) -> list[str]:
        return sorted(self.dumps.get(crash_id, {}))

    def load_dumps(self, crash_id: str) -> dict[str, bytes]:
        return self.dumps.get(crash_id, {})

    def load_dumps_as_files(self, crash_id: str, directory: Path) -> dict[str, Path]:
        raise NotImplementedError

    def save_processed_crash(self, crash_id: str, processed_crash: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def load_processed_crash(self, crash_id: str) -> dict[str, Any]:
        raise CrashNotFound(crash_id, "processed crash")

    def list_crash_ids(self, date: datetime.date) -> Iterator[str]:
        return iter(sorted(self.raw))

    def delete_crash(self, crash_id: str) -> None:
        self.raw.pop(crash_id, None)

    def check_health(self) -> None:
        if not self.healthy:
            raise StorageError("bucket unreachable (test double)")


class MemoryQueue(CrashQueue):
    """Records published bodies per queue; ``failures`` makes the next N publishes raise."""

    def __init__(self, failures: int = 0) -> None:
        self.published: dict[str, list[str]] = {}
        self.failures = failures
        self.healthy = True

    def publish(self, queue: str, bodies: Sequence[str]) -> None:
        for body in bodies:
            validate_crash_id(body)
        if self.failures:
            self.failures -= 1
            raise QueueError("queue is down (test double)")
        self.published.setdefault(queue, []).extend(bodies)

    def receive(
        self, queue: str, max_messages: int = 10, lease_seconds: float | None = None
    ) -> list[Message]:
        raise NotImplementedError

    def ack(self, message: Message) -> None:
        raise NotImplementedError

    def release(self, message: Message, delay_seconds: float = 0) -> None:
        raise NotImplementedError

    def check_health(self) -> None:
        if not self.healthy:
            raise QueueError("queue unreachable (test double)")
