"""Test doubles for the processor's collaborators (unit tests only)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from jansky.queue import CrashQueue, Message, QueueError
from jansky.storage import StorageError


class SearchDown(Exception):
    """Stands in for jansky.search.SearchError."""


class RecordingIndexer:
    """Keeps indexed documents; fails the next ``failures`` calls."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.documents: dict[str, dict[str, Any]] = {}
        self.calls = 0
        self._lock = threading.Lock()

    def index_crash(self, crash_id: str, processed_crash: Mapping[str, Any]) -> None:
        with self._lock:
            self.calls += 1
            if self.failures:
                self.failures -= 1
                raise SearchDown("search is down")
            self.documents[crash_id] = copy.deepcopy(dict(processed_crash))


class FlakyStorage:
    """Wraps a real storage; ``save_processed_crash`` fails the next ``failures`` calls."""

    def __init__(self, storage: Any, failures: int = 0) -> None:
        self.storage = storage
        self.failures = failures

    def save_processed_crash(self, crash_id: str, processed_crash: Mapping[str, Any]) -> None:
        if self.failures:
            self.failures -= 1
            raise StorageError("storage is down")
        self.storage.save_processed_crash(crash_id, processed_crash)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.storage, name)


class RecordingQueue(CrashQueue):
    """Remembers acks and releases; receive is not used by CrashProcessor."""

    def __init__(self, fail_settle: bool = False) -> None:
        self.acked: list[Message] = []
        self.released: list[tuple[Message, float]] = []
        self.fail_settle = fail_settle

    def publish(self, queue: str, bodies: Sequence[str]) -> None:
        raise NotImplementedError

    def receive(self, queue, max_messages=10, lease_seconds=None) -> list[Message]:
        raise NotImplementedError

    def ack(self, message: Message) -> None:
        if self.fail_settle:
            raise QueueError("queue is down")
        self.acked.append(message)

    def release(self, message: Message, delay_seconds: float = 0) -> None:
        if self.fail_settle:
            raise QueueError("queue is down")
        self.released.append((message, delay_seconds))

    def check_health(self) -> None:
        pass


def message(
    crash_id: str, receive_count: int = 1, ruleset: str | None = None, queue: str = "standard"
) -> Message:
    body = f"{crash_id}:{ruleset}" if ruleset else crash_id
    return Message(
        queue=queue, body=body, receipt=f"r-{receive_count}", receive_count=receive_count
    )
