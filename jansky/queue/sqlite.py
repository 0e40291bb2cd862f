"""Crash queues in one SQLite file: the embedded default, safe across threads and processes.

Every logical queue lives in one table. A receive leases rows by moving their ``visible_at``
into the future under a new random receipt; ack and release match on that receipt, so a
consumer whose lease expired (and whose message was redelivered) cannot touch the new delivery.
Writers serialize with ``BEGIN IMMEDIATE`` in WAL mode, which lets many processes share the file.

Only a publish must survive a power cut (the collector has told its client the crash is
queued), so only a publish waits for an fsync (``synchronous=FULL``). Receives, acks and
releases commit with ``synchronous=NORMAL``: a power cut may undo the last of them, which
delivers those messages again (a duplicate, idempotent processing) but never loses one, and a
crash, kill -9 included, undoes none of them. WAL frames reach the disk in order, so a later
durable commit makes every earlier one durable too.
"""

from __future__ import annotations

import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from jansky.queue.base import (
    ALL_QUEUE_NAMES,
    DEAD_LETTER,
    CrashQueue,
    Message,
    QueueCounts,
    QueueError,
    check_queue_name,
)
from jansky.queue.messages import is_valid_body, validate_bodies

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_SECONDS = 30.0

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        queue TEXT NOT NULL,
        body TEXT NOT NULL,
        visible_at REAL NOT NULL,
        receive_count INTEGER NOT NULL DEFAULT 0,
        receipt TEXT,
        enqueued_at REAL NOT NULL
    )""",
    # Rows are taken in visible_at order (waiting longest first), straight from this index.
    "CREATE INDEX IF NOT EXISTS messages_by_queue ON messages (queue, visible_at)",
    "CREATE UNIQUE INDEX IF NOT EXISTS messages_by_receipt ON messages (receipt)",
)


def _rollback(conn: sqlite3.Connection) -> None:
    """Undo the open transaction; a failed rollback is logged so the original error still shows."""
    try:
        conn.execute("ROLLBACK")
    except sqlite3.Error:
        logger.exception("rollback failed on the queue database")


class SqliteCrashQueue(CrashQueue):
    """Lease-based queues in the SQLite file at ``path`` (created, with its folder, if absent)."""

    def __init__(
        self, path: str | os.PathLike[str], lease_seconds: float = 300, max_receives: int = 5
    ) -> None:
        if lease_seconds <= 0:
            raise ValueError(f"lease_seconds must be positive, got {lease_seconds!r}")
        if max_receives < 1:
            raise ValueError(f"max_receives must be at least 1, got {max_receives!r}")
        self.path = Path(path)
        self.lease_seconds = float(lease_seconds)
        self.max_receives = max_receives
        self._local = threading.local()
        self._connections: list[tuple[int, sqlite3.Connection]] = []
        self._connections_lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._transaction("setup", durable=True) as conn:
                for statement in _SCHEMA:
                    conn.execute(statement)
        except OSError as exc:
            raise QueueError(f"cannot create the queue database {self.path}: {exc}") from exc

    def __repr__(self) -> str:
        return f"SqliteCrashQueue({str(self.path)!r})"

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection; a forked child opens its own rather than share the parent's."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error:
            conn.close()
            raise
        self._local.conn = conn
        self._local.pid = os.getpid()
        self._local.durable = True
        with self._connections_lock:
            self._connections.append((os.getpid(), conn))
        return conn

    @contextmanager
    def _transaction(self, queue: str, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """A write transaction taken up front, so concurrent receivers never lease the same row.

        ``durable``: the commit waits until it is on disk (see the module docstring).
        """
        try:
            conn = self._connection()
            if self._local.durable != durable:
                conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
                self._local.durable = durable
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise QueueError(f"queue {queue!r} ({self.path}): {exc}") from exc
        try:
            yield conn
        except BaseException as exc:
            _rollback(conn)
            if isinstance(exc, sqlite3.Error):
                raise QueueError(f"queue {queue!r} ({self.path}): {exc}") from exc
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            _rollback(conn)
            raise QueueError(f"queue {queue!r} ({self.path}): commit failed: {exc}") from exc

    def close(self) -> None:
        """Close every connection this object opened in this process (any thread)."""
        pid = os.getpid()
        with self._connections_lock:
            connections = [conn for owner, conn in self._connections if owner == pid]
            self._connections = []
        for conn in connections:
            conn.close()
        self._local = threading.local()

    def publish(self, queue: str, bodies: Sequence[str]) -> None:
        check_queue_name(queue)
        checked = validate_bodies(bodies)
        if not checked:
            return
        now = time.time()
        with self._transaction(queue, durable=True) as conn:
            conn.executemany(
                "INSERT INTO messages (queue, body, visible_at, enqueued_at) VALUES (?, ?, ?, ?)",
                [(queue, body, now, now) for body in checked],
            )
        logger.debug("published %d messages to queue %s", len(checked), queue)

    def receive(
        self, queue: str, max_messages: int = 10, lease_seconds: float | None = None
    ) -> list[Message]:
        check_queue_name(queue, allow_dead_letter=True)
        if max_messages < 1:
            raise ValueError(f"max_messages must be at least 1, got {max_messages!r}")
        lease = self.lease_seconds if lease_seconds is None else float(lease_seconds)
        received: list[Message] = []
        with self._transaction(queue) as conn:
            now = time.time()
            # Each round removes its rows from the visible set (leased, dead-lettered or dropped),
            # so the loop ends; it goes on only to fill the batch after rows were set aside.
            while len(received) < max_messages:
                rows = conn.execute(
                    "SELECT id, body, receive_count FROM messages"
                    " WHERE queue = ? AND visible_at <= ? ORDER BY visible_at, id LIMIT ?",
                    (queue, now, max_messages - len(received)),
                ).fetchall()
                if not rows:
                    break
                for row_id, body, receive_count in rows:
                    message = self._take(conn, queue, row_id, body, receive_count, now, lease)
                    if message is not None:
                        received.append(message)
        return received

    def _take(
        self,
        conn: sqlite3.Connection,
        queue: str,
        row_id: int,
        body: str,
        receive_count: int,
        now: float,
        lease: float,
    ) -> Message | None:
        """Lease one visible row, or dead-letter or drop it and return None."""
        if not is_valid_body(body):
            conn.execute("DELETE FROM messages WHERE id = ?", (row_id,))
            logger.warning("queue %s: dropped a message that is not a crash id: %r", queue, body)
            return None
        if queue != DEAD_LETTER and receive_count >= self.max_receives:
            conn.execute(
                "UPDATE messages SET queue = ?, receive_count = 0, receipt = NULL,"
                " visible_at = ?, enqueued_at = ? WHERE id = ?",
                (DEAD_LETTER, now, now, row_id),
            )
            logger.warning(
                "%s: received %d times from queue %s; moved to the dead-letter queue",
                body,
                receive_count,
                queue,
            )
            return None
        receipt = secrets.token_hex(16)
        conn.execute(
            "UPDATE messages SET visible_at = ?, receive_count = ?, receipt = ? WHERE id = ?",
            (now + lease, receive_count + 1, receipt, row_id),
        )
        return Message(queue=queue, body=body, receipt=receipt, receive_count=receive_count + 1)

    def ack(self, message: Message) -> None:
        check_queue_name(message.queue, allow_dead_letter=True)
        with self._transaction(message.queue) as conn:
            conn.execute(
                "DELETE FROM messages WHERE receipt = ? AND queue = ?",
                (message.receipt, message.queue),
            )

    def ack_many(self, messages: Sequence[Message]) -> None:
        """One transaction per queue for all of ``messages``."""
        by_queue: dict[str, list[tuple[str, str]]] = {}
        for message in messages:
            check_queue_name(message.queue, allow_dead_letter=True)
            by_queue.setdefault(message.queue, []).append((message.receipt, message.queue))
        for queue, rows in by_queue.items():
            with self._transaction(queue) as conn:
                conn.executemany("DELETE FROM messages WHERE receipt = ? AND queue = ?", rows)

    def release(self, message: Message, delay_seconds: float = 0) -> None:
        check_queue_name(message.queue, allow_dead_letter=True)
        if delay_seconds < 0:
            raise ValueError(f"delay_seconds must not be negative, got {delay_seconds!r}")
        with self._transaction(message.queue) as conn:
            conn.execute(
                "UPDATE messages SET visible_at = ?, receipt = NULL"
                " WHERE receipt = ? AND queue = ?",
                (time.time() + delay_seconds, message.receipt, message.queue),
            )

    def counts(self) -> dict[str, QueueCounts]:
        """Messages per queue (dead-letter included): ready now, and leased or delayed."""
        try:
            rows = (
                self._connection()
                .execute(
                    "SELECT queue, SUM(visible_at <= ?), SUM(visible_at > ?)"
                    " FROM messages GROUP BY queue",
                    (time.time(),) * 2,
                )
                .fetchall()
            )
        except sqlite3.Error as exc:
            raise QueueError(f"queue database {self.path}: {exc}") from exc
        counts = {name: QueueCounts(visible=0, in_flight=0) for name in ALL_QUEUE_NAMES}
        for name, visible, in_flight in rows:
            counts[name] = QueueCounts(visible=visible, in_flight=in_flight)
        return counts

    def check_health(self) -> None:
        try:
            self._connection().execute("SELECT 1 FROM messages LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            raise QueueError(f"queue database {self.path} is not usable: {exc}") from exc
