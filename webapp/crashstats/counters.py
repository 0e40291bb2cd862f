"""A Django cache of expiring integer counters in a SQLite file, for the API's rate limits.

django-ratelimit counts requests with ``cache.add`` and ``cache.incr``; they must be atomic and
shared by every gunicorn worker, or each worker would count on its own. Django's local-memory
cache is per process and its database cache increments with a read then a write. Here each
operation is one SQLite statement on a file every worker of the host opens, so counts are exact
per host. Rows are throwaway: no fsync (``synchronous=OFF``); expired rows are purged as new
ones are added.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

PURGE_EVERY = 1000  # adds between two purges of expired rows
FOREVER = 2**62


class SqliteCounterCache(BaseCache):
    """Integer values only; ``LOCATION`` is the SQLite file."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.path = Path(location)
        self._local = threading.local()
        self._adds = 0

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS counters "
                "(key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires REAL NOT NULL)"
            )
            self._local.connection = connection
        return connection

    def _expiry(self, timeout: Any) -> float:
        """When the value expires (Django's base class turns the timeout into a time)."""
        expires = self.get_backend_timeout(timeout)
        return FOREVER if expires is None else expires

    @staticmethod
    def _integer(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"SqliteCounterCache holds integers only, not {type(value).__name__}")
        return value

    def add(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None):
        key = self.make_and_validate_key(key, version)
        now = time.time()
        cursor = self._connection().execute(
            "INSERT INTO counters (key, value, expires) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires "
            "WHERE counters.expires <= ?",
            (key, self._integer(value), self._expiry(timeout), now),
        )
        self._adds += 1
        if self._adds % PURGE_EVERY == 0:
            self._connection().execute("DELETE FROM counters WHERE expires <= ?", (now,))
        return cursor.rowcount == 1

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        key = self.make_and_validate_key(key, version)
        row = (
            self._connection()
            .execute("SELECT value FROM counters WHERE key = ? AND expires > ?", (key, time.time()))
            .fetchone()
        )
        return default if row is None else row[0]

    def set(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None):
        key = self.make_and_validate_key(key, version)
        self._connection().execute(
            "INSERT OR REPLACE INTO counters (key, value, expires) VALUES (?, ?, ?)",
            (key, self._integer(value), self._expiry(timeout)),
        )

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        key = self.make_and_validate_key(key, version)
        row = (
            self._connection()
            .execute(
                "UPDATE counters SET value = value + ? WHERE key = ? AND expires > ? "
                "RETURNING value",
                (self._integer(delta), key, time.time()),
            )
            .fetchone()
        )
        if row is None:
            raise ValueError(f"Key '{key}' not found")
        return row[0]

    def touch(self, key: str, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version)
        cursor = self._connection().execute(
            "UPDATE counters SET expires = ? WHERE key = ? AND expires > ?",
            (self._expiry(timeout), key, time.time()),
        )
        return cursor.rowcount == 1

    def delete(self, key: str, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version)
        cursor = self._connection().execute("DELETE FROM counters WHERE key = ?", (key,))
        return cursor.rowcount == 1

    def has_key(self, key: str, version: int | None = None) -> bool:
        return self.get(key, version=version) is not None

    def clear(self) -> None:
        self._connection().execute("DELETE FROM counters")
