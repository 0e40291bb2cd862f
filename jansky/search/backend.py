"""The search interface every backend implements, and the Super Search flow they share.

Single-crash indexing is grouped: threads that call ``index_crash`` while another thread's
request is under way wait, then go together in one ``index_crashes`` call (one bulk request,
one commit), so a busy processor pays one round trip or fsync for several crashes, and an idle
one waits for nobody.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jansky.search.errors import SearchError
from jansky.search.fields import FieldRegistry, get_registry
from jansky.search.params import normalize_params, parse_params
from jansky.search.query import SearchQuery
from jansky.search.redaction import redact_hit, sanitize_params
from jansky.search.results import empty_facets, response


@dataclass
class BulkResult:
    """What a bulk index call did: how many documents were stored and which failed, and why."""

    indexed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (crash id, reason)

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class ExpiredCrashes:
    """Crashes dated before a retention cutoff in one index (or table) of a backend."""

    where: str  # the index (cluster) or database file (SQLite) holding them
    crashes: int
    whole: bool  # the whole index goes, not only some of its crashes

    def describe(self) -> str:
        if self.whole:
            return f"index {self.where} ({self.crashes:,} crashes)"
        return f"{self.crashes:,} crashes of {self.where}"


@dataclass
class _Waiting:
    """One ``index_crash`` call waiting to be sent with the next group, and how it went."""

    crash_id: str
    processed_crash: Mapping[str, Any]
    done: bool = False
    error: str | None = "the request was interrupted"


class SearchBackend(ABC):
    """Super Search over one backend; see ``jansky.search.open_search``."""

    def __init__(self, registry: FieldRegistry | None = None) -> None:
        self.registry = registry or get_registry()
        self._waiting: list[_Waiting] = []
        self._waiting_lock = threading.Lock()
        self._sending = threading.Lock()

    # ---- querying ------------------------------------------------------------------------------

    def search(
        self,
        params: Mapping[str, list[str] | str],
        user_permissions: Iterable[str],
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """The Super Search response for ``params``, as seen by a caller with these permissions.

        Raises BadArgumentError (400) for invalid parameters and SearchError when the backend
        fails.
        """
        permissions = frozenset(user_permissions)
        cleaned = sanitize_params(normalize_params(params), self.registry, permissions)
        query = parse_params(cleaned, self.registry, now=now or datetime.now(UTC))
        if query.return_query:
            return self.explain(query)
        if query.empty_date_range:
            return response([], 0, empty_facets(query.aggregations))
        result = self.execute(query)
        result["hits"] = [redact_hit(hit, self.registry, permissions) for hit in result["hits"]]
        return result

    @abstractmethod
    def execute(self, query: SearchQuery) -> dict[str, Any]:
        """Run a parsed query: ``{"hits", "total", "facets", "errors"}``."""

    @abstractmethod
    def explain(self, query: SearchQuery) -> dict[str, Any]:
        """What ``_return_query`` shows: ``{"query": ..., "indices": [...]}``."""

    # ---- custom queries (the `run_custom_queries` permission) -----------------------------------

    @abstractmethod
    def query_targets(self) -> list[str]:
        """What a custom query may run against: the cluster's indices, or SQLite's table."""

    @abstractmethod
    def custom_query(self, query: Mapping[str, Any], targets: Sequence[str]) -> dict[str, Any]:
        """Run ``query``, written in the backend's own language, over ``targets``; unredacted.

        Raises BadArgumentError for a query the backend refuses, SearchError when it is down.
        """

    # ---- indexing ------------------------------------------------------------------------------

    def index_crash(self, crash_id: str, processed_crash: Mapping[str, Any]) -> None:
        """Index (or overwrite) one crash; raises SearchError when it could not be stored.

        Returns once the crash is stored, possibly by another thread's call (see above).
        """
        mine = _Waiting(crash_id, processed_crash)
        with self._waiting_lock:
            self._waiting.append(mine)
        with self._sending:
            if not mine.done:
                with self._waiting_lock:
                    group, self._waiting = self._waiting, []
                self._send_group(group)
        if mine.error is not None:
            raise SearchError(f"crash {crash_id} was not indexed: {mine.error}")

    def _send_group(self, group: list[_Waiting]) -> None:
        try:
            result = self.index_crashes([(item.crash_id, item.processed_crash) for item in group])
        except Exception as exc:
            for item in group:
                item.error = f"{type(exc).__name__}: {exc}"
        else:
            failed = dict(result.failed)
            for item in group:
                item.error = failed.get(item.crash_id)
        finally:
            for item in group:
                item.done = True

    @abstractmethod
    def index_crashes(self, items: Iterable[tuple[str, Mapping[str, Any]]]) -> BulkResult:
        """Index many crashes; overwrites crashes indexed before."""

    @abstractmethod
    def indexed_crash_ids(self, crash_ids: Collection[str]) -> set[str]:
        """Which of ``crash_ids`` the index holds, looked up by id whatever their dates (at
        most a thousand at a time)."""

    # ---- maintenance ---------------------------------------------------------------------------

    @abstractmethod
    def check_health(self) -> dict[str, Any]:
        """A short status; raises SearchError when the backend cannot serve."""

    @abstractmethod
    def create_indices_ahead(self, weeks: int) -> list[str]:
        """Create the storage for the coming ``weeks`` weeks; returns what was created."""

    @abstractmethod
    def delete_expired_indices(self, retention_weeks: int) -> list[str]:
        """Drop crashes older than ``retention_weeks`` weeks; returns what was deleted."""

    @abstractmethod
    def delete_crashes_before(
        self, cutoff: datetime, dry_run: bool = False
    ) -> list[ExpiredCrashes]:
        """Delete every crash dated before ``cutoff`` (exactly: an index holding crashes on
        both sides loses only the older ones); with ``dry_run``, only say what would go."""

    @abstractmethod
    def refresh(self) -> None:
        """Make everything indexed so far searchable (tests and benchmarks)."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""
