"""Super Search on a SQLite file: the embedded default, same semantics as the cluster.

Indexing commits wait for the disk (``synchronous=FULL``): the processor acknowledges a crash
once it is indexed, so an index entry must not be lost to a power cut after that. Threads that
index single crashes at the same time share one commit, hence one fsync (``SearchBackend``).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from jansky.search import lucene_regex
from jansky.search.backend import BulkResult, ExpiredCrashes, SearchBackend
from jansky.search.dates import format_bucket, from_micros, to_micros
from jansky.search.documents import build_document, crash_key
from jansky.search.errors import BadArgumentError, SearchError
from jansky.search.fields import FieldRegistry
from jansky.search.query import SearchQuery
from jansky.search.results import response, shape_hit
from jansky.search.sqlite import custom
from jansky.search.sqlite.aggregate import Aggregator
from jansky.search.sqlite.functions import Functions, date_bucket
from jansky.search.sqlite.schema import (
    NO_DATE,
    TABLE,
    column,
    ensure_schema,
    from_column,
    to_column,
)
from jansky.search.sqlite.selection import Selection, Source, aggregated_fields, single_pass
from jansky.search.sqlite.translate import Sql, order_sql, where_sql

logger = logging.getLogger(__name__)
BATCH = 2000
DELETE_BATCH = 5000
CACHE_KIB = 512 * 1024  # page cache: indexes of a million crashes stay in memory


class SqliteSearch(SearchBackend):
    """One table in one SQLite file; a lock serializes use of the connection across threads."""

    def __init__(
        self, path: str | Path, registry: FieldRegistry | None = None, timeout: float = 30.0
    ) -> None:
        super().__init__(registry)
        self.path = Path(path)
        self.timeout = timeout
        self._lock = threading.RLock()
        self._functions = Functions()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._connection = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=timeout
            )
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=FULL")
            self._connection.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            self._connection.execute("PRAGMA temp_store=MEMORY")
            self._functions.register(self._connection)
            ensure_schema(self._connection, self.registry)
        except (OSError, sqlite3.Error) as exc:
            raise SearchError(f"cannot open the search database {self.path}: {exc}") from exc
        self._fields = list(self.registry)
        names = ["date_key", "crash_id", "crash_key", *(field.name for field in self._fields)]
        quoted = ", ".join(f'"{name}"' for name in names)
        marks = ", ".join("?" for _ in names)
        self._insert_sql = f"INSERT OR REPLACE INTO {TABLE} ({quoted}) VALUES ({marks})"
        self._date_field = self.registry.get("date")
        self._date_index = self._fields.index(self._date_field) if self._date_field else None

    def __repr__(self) -> str:
        return f"SqliteSearch({str(self.path)!r})"

    # ---- querying ------------------------------------------------------------------------------

    def _run(self, work: Any) -> Any:
        """Run ``work(connection)`` under the lock with a deadline; map failures to our errors."""
        deadline = time.monotonic() + self.timeout
        with self._lock:
            self._functions.error = None
            self._connection.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
            try:
                return work(self._connection)
            except sqlite3.Error as exc:
                error = self._functions.error
                if isinstance(error, BadArgumentError):
                    raise error from None
                if isinstance(error, lucene_regex.RegexError):
                    raise BadArgumentError(f"Bad regular expression: {error}") from None
                if isinstance(exc, sqlite3.OperationalError) and "interrupted" in str(exc):
                    raise SearchError(f"search took longer than {self.timeout:g} s") from exc
                raise SearchError(f"search failed: {exc}") from exc
            finally:
                self._connection.set_progress_handler(None, 0)

    def _hits_sql(self, query: SearchQuery) -> Sql:
        """The statement reading a page of hits: the query's columns, sorted, limited."""
        where = where_sql(query, table_order=True)
        columns = ", ".join(column(field) for field in query.columns)
        order = order_sql(query, self._date_field, "c.crash_key")
        return Sql(
            f"SELECT {columns} FROM {TABLE} AS c WHERE {where.text} ORDER BY {order} "
            "LIMIT ? OFFSET ?",
            [*where.params, query.size, query.offset],
        )

    def execute(self, query: SearchQuery) -> dict[str, Any]:
        where = where_sql(query)
        page = self._hits_sql(query)

        def work(connection: sqlite3.Connection) -> dict[str, Any]:
            total, facets = self._total_and_facets(connection, query, where)
            return response(hits_of(connection, total), total, facets)

        def hits_of(connection: sqlite3.Connection, total: int) -> list[dict[str, Any]]:
            hits = []
            if query.size and total > query.offset:
                rows = connection.execute(page.text, page.params).fetchall()
                for row in rows:
                    document = {
                        field.name: from_column(field, value)
                        for field, value in zip(query.columns, row, strict=True)
                    }
                    hits.append(shape_hit(query, document))
            return hits

        return self._run(work)

    @staticmethod
    def _total_and_facets(
        connection: sqlite3.Connection, query: SearchQuery, where: Sql
    ) -> tuple[int, dict[str, Any]]:
        """The number of matching crashes and the facets, in as few passes over them as can be."""
        aggregations = query.aggregations
        if not aggregations:
            sql = f"SELECT COUNT(*) FROM {TABLE} AS c WHERE {where.text}"
            return connection.execute(sql, where.params).fetchone()[0], {}
        if single_pass(aggregations):
            source = Source(TABLE, where, "c.crash_id")
            aggregator = Aggregator(connection, source, query.facets_size)
            facets = aggregator.facets(aggregations)
            return aggregator.counted or 0, facets
        with Selection(connection, where, aggregated_fields(aggregations)) as selected:
            aggregator = Aggregator(connection, selected.source, query.facets_size)
            return selected.total, aggregator.facets(aggregations)

    def explain(self, query: SearchQuery) -> dict[str, Any]:
        """The statement of the page of hits, runnable as a custom query as it is."""
        page = self._hits_sql(query)
        return {"query": {"sql": page.text, "parameters": page.params}, "indices": [TABLE]}

    def query_targets(self) -> list[str]:
        return [TABLE]

    def custom_query(self, query: Mapping[str, Any], targets: Sequence[str]) -> dict[str, Any]:
        unknown = sorted(set(targets) - {TABLE})
        if unknown:
            raise BadArgumentError(f"no such table: {', '.join(unknown)} (there is {TABLE})")
        sql, parameters = custom.parse(query)
        return self._run(lambda connection: custom.run(connection, sql, parameters))

    # ---- indexing ------------------------------------------------------------------------------

    def index_crashes(self, items: Iterable[tuple[str, Mapping[str, Any]]]) -> BulkResult:
        result = BulkResult()
        batch: list[list[Any]] = []
        for crash_id, processed_crash in items:
            document = build_document(self.registry, processed_crash)
            values = [to_column(field, document.get(field.name)) for field in self._fields]
            date = values[self._date_index] if self._date_index is not None else None
            date_key = NO_DATE if date is None else date
            batch.append([date_key, crash_id, crash_key(crash_id), *values])
            if len(batch) >= BATCH:
                self._commit(batch)
                result.indexed += len(batch)
                batch = []
        if batch:
            self._commit(batch)
            result.indexed += len(batch)
        return result

    def _commit(self, rows: list[list[Any]]) -> None:
        def work(connection: sqlite3.Connection) -> None:
            connection.execute("BEGIN")
            try:
                connection.executemany(self._insert_sql, rows)
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise

        self._run(work)

    def indexed_crash_ids(self, crash_ids: Collection[str]) -> set[str]:
        """One lookup in the crash id index; no date range to scan."""
        ids = list(crash_ids)
        if not ids:
            return set()
        marks = ", ".join("?" for _ in ids)
        sql = f"SELECT crash_id FROM {TABLE} WHERE crash_id IN ({marks})"
        return self._run(lambda c: {row[0] for row in c.execute(sql, ids)})

    # ---- maintenance ---------------------------------------------------------------------------

    def check_health(self) -> dict[str, Any]:
        count = self._run(lambda c: c.execute(f"SELECT COUNT(*) FROM {TABLE}").fetchone()[0])
        return {"backend": "sqlite", "path": str(self.path), "crashes": count}

    def create_indices_ahead(self, weeks: int) -> list[str]:
        return []

    def delete_expired_indices(
        self, retention_weeks: int, now: datetime | None = None
    ) -> list[str]:
        """Delete crashes of the weeks that fell out of retention; returns the weeks deleted."""
        now = now or datetime.now(UTC)
        cutoff = date_bucket(to_micros(now - timedelta(weeks=retention_weeks)), "week")

        def work(connection: sqlite3.Connection) -> list[str]:
            weeks = [
                row[0]
                for row in connection.execute(
                    "SELECT DISTINCT j_datebucket(date_key, 'week') FROM crashes "
                    "WHERE date_key < ? AND date_key >= 0",
                    [cutoff],
                )
            ]
            connection.execute(f"DELETE FROM {TABLE} WHERE date_key < ?", [cutoff])
            return weeks

        weeks = self._run(work)
        deleted = [f"week of {format_bucket(from_micros(week))[:10]}" for week in sorted(weeks)]
        if deleted:
            logger.info("search: deleted expired crashes of %s", ", ".join(deleted))
        return deleted

    def delete_crashes_before(
        self, cutoff: datetime, dry_run: bool = False
    ) -> list[ExpiredCrashes]:
        """Delete in batches, each its own commit, so indexing goes on in between."""
        limit = to_micros(cutoff)
        expired = f"date_key >= 0 AND date_key < {limit:d}"
        count = self._run(
            lambda c: c.execute(f"SELECT COUNT(*) FROM {TABLE} WHERE {expired}").fetchone()[0]
        )
        if not count:
            return []
        delete = (
            f"DELETE FROM {TABLE} WHERE (date_key, crash_id) IN "
            f"(SELECT date_key, crash_id FROM {TABLE} WHERE {expired} LIMIT {DELETE_BATCH:d})"
        )
        while not dry_run and self._run(lambda c: c.execute(delete).rowcount):
            pass
        if not dry_run:
            logger.info("search: deleted %d crashes dated before %s", count, cutoff.isoformat())
        return [ExpiredCrashes(str(self.path), count, whole=False)]

    def refresh(self) -> None:
        """Nothing to do: SQLite answers with what is committed."""

    def close(self) -> None:
        with self._lock:
            self._connection.close()
