"""Super Search on a search cluster: weekly indices, bulk indexing, the DSL translation."""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections import deque
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from jansky.crashid import date_from_crash_id
from jansky.search.backend import BulkResult, ExpiredCrashes, SearchBackend
from jansky.search.cluster.bulk import (
    REJECTED_DOCUMENT,
    cluster_document,
    flatten,
    rejected_field,
    remove_field,
)
from jansky.search.cluster.client import ClusterClient, ClusterRequestError
from jansky.search.cluster.dsl import search_body
from jansky.search.cluster.indices import (
    expired,
    index_for,
    indices_between,
    parse_index_date,
    prefix_of,
)
from jansky.search.cluster.mapping import index_body, path_of
from jansky.search.dates import format_bucket, format_date, parse_date
from jansky.search.documents import build_document
from jansky.search.errors import BadArgumentError, SearchError
from jansky.search.fields import FieldRegistry
from jansky.search.query import Aggregation, SearchQuery
from jansky.search.results import (
    TOO_MANY_BUCKETS,
    empty_facets,
    interval_too_small,
    response,
    shape_hit,
    term_value,
)
from jansky.search.settings import SearchSettings

logger = logging.getLogger(__name__)
BAD_REQUEST_TYPES = {
    "too_complex_to_determinize_exception": "Bad regular expression: too complex",
    "too_many_buckets_exception": TOO_MANY_BUCKETS,
    "illegal_argument_exception": None,
    "query_shard_exception": None,
}
CHUNK = 1000
BULK_IN_FLIGHT = 2


class ClusterSearch(SearchBackend):
    """Elasticsearch 8 or OpenSearch 2, chosen by ``flavor``."""

    def __init__(
        self,
        flavor: str,
        url: str,
        settings: SearchSettings | None = None,
        registry: FieldRegistry | None = None,
    ) -> None:
        super().__init__(registry)
        self.settings = settings or SearchSettings()
        self.client = ClusterClient(flavor, url, self.settings.timeout)
        self._known_indices: set[str] = set()
        self._date_field = self.registry.get("date")

    def __repr__(self) -> str:
        return f"ClusterSearch({self.client.flavor!r}, {self.client.url!r})"

    @property
    def template(self) -> str:
        return self.settings.index_template

    # ---- querying ------------------------------------------------------------------------------

    def _indices(self, query: SearchQuery, now: datetime) -> list[str]:
        """Weekly indices covering the date range, without those out of retention."""
        names = indices_between(self.template, query.date_from, query.date_to)
        old = set(expired(self.template, names, self.settings.retention_weeks, now))
        return [name for name in names if name not in old]

    def explain(self, query: SearchQuery) -> dict[str, Any]:
        date_path = path_of(self._date_field) if self._date_field else None
        return {
            "query": search_body(query, date_path),
            "indices": self._indices(query, datetime.now(UTC)),
        }

    def query_targets(self) -> list[str]:
        return sorted(self.all_indices())

    def custom_query(self, query: Mapping[str, Any], targets: Sequence[str]) -> dict[str, Any]:
        if not targets:
            raise BadArgumentError("name at least one index to run the query on")
        unknown = sorted(set(targets) - set(self.all_indices()))
        if unknown:
            raise BadArgumentError(f"no such crash index: {', '.join(unknown)}")
        try:
            return self.client.search(list(targets), dict(query))
        except ClusterRequestError as exc:
            if 400 <= exc.status < 500:
                raise BadArgumentError(f"the cluster refused the query: {exc}") from None
            raise SearchError(f"custom query failed: {exc}") from exc

    def execute(self, query: SearchQuery) -> dict[str, Any]:
        wanted = self._indices(query, datetime.now(UTC))
        existing = set(self.client.existing(wanted))
        errors = [
            {"type": "missing_index", "index": name} for name in wanted if name not in existing
        ]
        indices = [name for name in wanted if name in existing]
        if not indices:
            return response([], 0, empty_facets(query.aggregations), errors)
        date_path = path_of(self._date_field) if self._date_field else None
        try:
            result = self.client.search(indices, search_body(query, date_path))
        except ClusterRequestError as exc:
            raise _bad_request(exc) or SearchError(f"search failed: {exc}") from exc
        shards = result.get("_shards", {})
        if shards.get("failed"):
            failures = shards.get("failures", [])
            for failure in failures:
                translated = _bad_request(ClusterRequestError(400, failure))
                if translated:
                    raise translated
            by_index: dict[str, int] = {}
            for failure in failures:
                by_index[failure.get("index", "")] = by_index.get(failure.get("index", ""), 0) + 1
            errors += [
                {"type": "shards", "index": index, "shards_count": count}
                for index, count in by_index.items()
            ]
        hits = [
            shape_hit(query, flatten(self.registry, hit.get("_source", {})))
            for hit in result["hits"]["hits"]
        ]
        facets = {
            agg.name: _facet(agg, result.get("aggregations", {}).get(agg.name, {}))
            for agg in query.aggregations
        }
        return response(hits, result["hits"]["total"]["value"], facets, errors)

    # ---- indexing ------------------------------------------------------------------------------

    def _index_name(self, crash_id: str, document: Mapping[str, Any]) -> str:
        date = document.get("date")
        moment = parse_date(date) if isinstance(date, str) else date_from_crash_id(crash_id)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return index_for(self.template, moment)

    def _index_body(self) -> dict[str, Any]:
        settings = self.settings
        return index_body(
            self.registry, settings.shards, settings.replicas, settings.refresh_interval
        )

    def ensure_index(self, name: str) -> None:
        """Create index ``name``, or, the first time this process meets an existing one, add
        the fields its mapping lacks (fields added to the schemas since it was created)."""
        if name in self._known_indices:
            return
        body = self._index_body()
        if self.client.create_index(name, body):
            logger.info("search: created index %s", name)
        else:
            self._add_new_fields(name, body)
        self._known_indices.add(name)

    def _add_new_fields(self, name: str, body: dict[str, Any]) -> None:
        """Bring an existing index's mapping up to the schemas. A field whose type changed
        cannot be: it is logged, and its values are then dropped by the bad-field retry."""
        try:
            self.client.put_mapping(name, body["mappings"])
        except ClusterRequestError as exc:
            logger.warning("search: index %s keeps its older mapping: %s", name, exc)

    def index_crashes(self, items: Iterable[tuple[str, Mapping[str, Any]]]) -> BulkResult:
        """One chunk is sent from this thread; more are sent up to ``BULK_IN_FLIGHT`` at once
        while the next ones are built."""
        chunks = self._chunks(items)
        first = next(chunks, None)
        if first is None:
            return BulkResult()
        second = next(chunks, None)
        if second is None:
            self._ensure_indices(first)
            return self._send(first)
        return self._send_in_parallel(itertools.chain([first, second], chunks))

    def _ensure_indices(self, chunk: list[tuple[str, str, dict[str, Any]]]) -> None:
        for index in {index for _, index, _ in chunk}:
            self.ensure_index(index)

    def _send_in_parallel(
        self, chunks: Iterator[list[tuple[str, str, dict[str, Any]]]]
    ) -> BulkResult:
        result = BulkResult()
        in_flight: deque[Future[BulkResult]] = deque()

        def merge(done: BulkResult) -> None:
            result.indexed += done.indexed
            result.failed += done.failed

        with ThreadPoolExecutor(max_workers=BULK_IN_FLIGHT) as pool:
            for chunk in chunks:
                self._ensure_indices(chunk)
                in_flight.append(pool.submit(self._send, chunk))
                while len(in_flight) > BULK_IN_FLIGHT:
                    merge(in_flight.popleft().result())
            while in_flight:
                merge(in_flight.popleft().result())
        return result

    def _chunks(
        self, items: Iterable[tuple[str, Mapping[str, Any]]]
    ) -> Iterator[list[tuple[str, str, dict[str, Any]]]]:
        chunk: list[tuple[str, str, dict[str, Any]]] = []
        for crash_id, processed_crash in items:
            document = build_document(self.registry, processed_crash)
            index = self._index_name(crash_id, document)
            chunk.append((crash_id, index, cluster_document(self.registry, crash_id, document)))
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _send(self, chunk: list[tuple[str, str, dict[str, Any]]]) -> BulkResult:
        """One bulk request, retried for connection errors, 429s and rejected fields."""
        result = BulkResult()
        pending = chunk
        for attempt in range(1, self.settings.index_attempts + 1):
            operations: list[dict[str, Any]] = []
            for crash_id, index, document in pending:
                operations += [{"index": {"_index": index, "_id": crash_id}}, document]
            try:
                answer = self.client.bulk(operations)
            except SearchError:
                if attempt == self.settings.index_attempts:
                    raise
                time.sleep(1)
                continue
            except ClusterRequestError as exc:
                raise SearchError(f"bulk indexing failed: {exc}") from exc
            retry: list[tuple[str, str, dict[str, Any]]] = []
            throttled = False
            for item, entry in zip(answer["items"], pending, strict=True):
                outcome = item.get("index", {})
                error = outcome.get("error")
                if not error:
                    result.indexed += 1
                    continue
                crash_id, _index, document = entry
                field = rejected_field(str(error.get("reason", "")) + " " + str(error))
                kind = error.get("type")
                if kind in REJECTED_DOCUMENT and field and remove_field(document, field):
                    logger.warning("search: crash %s: removed field %s (%s)", crash_id, field, kind)
                    retry.append(entry)
                elif outcome.get("status") == 429:
                    throttled = True
                    retry.append(entry)
                else:
                    result.failed.append((crash_id, f"{kind}: {error.get('reason')}"))
            pending = retry
            if not pending:
                return result
            if throttled and attempt < self.settings.index_attempts:
                time.sleep(1)
        result.failed += [(crash_id, "still rejected after retries") for crash_id, _, _ in pending]
        return result

    def indexed_crash_ids(self, crash_ids: Collection[str]) -> set[str]:
        """An ids query over every weekly index: a term lookup per shard, whatever the dates."""
        ids = list(crash_ids)
        if not ids:
            return set()
        body = {"query": {"ids": {"values": ids}}, "size": len(ids), "_source": False}
        try:
            hits = self.client.search([f"{prefix_of(self.template)}*"], body)["hits"]["hits"]
        except ClusterRequestError as exc:
            raise SearchError(f"looking crashes up by id failed: {exc}") from exc
        return {hit["_id"] for hit in hits}

    # ---- maintenance ---------------------------------------------------------------------------

    def check_health(self) -> dict[str, Any]:
        health = self.client.health()
        if health.get("status") not in {"green", "yellow"}:
            raise SearchError(f"search cluster status is {health.get('status')}")
        return {"backend": self.client.flavor, "url": self.client.url, "status": health["status"]}

    def create_indices_ahead(self, weeks: int, now: datetime | None = None) -> list[str]:
        """Create this week's index and the next ``weeks`` ones; returns those created."""
        now = now or datetime.now(UTC)
        created = []
        body = self._index_body()
        for offset in range(weeks + 1):
            name = index_for(self.template, now + timedelta(weeks=offset))
            if self.client.create_index(name, body):
                created.append(name)
            else:
                self._add_new_fields(name, body)
            self._known_indices.add(name)
        return created

    def all_indices(self) -> list[str]:
        return self.client.existing([f"{prefix_of(self.template)}*"])

    def delete_expired_indices(
        self, retention_weeks: int | None = None, now: datetime | None = None
    ) -> list[str]:
        weeks = self.settings.retention_weeks if retention_weeks is None else retention_weeks
        names = expired(self.template, self.all_indices(), weeks, now or datetime.now(UTC))
        self.client.delete(names)
        self._known_indices -= set(names)
        for name in names:
            logger.info("search: deleted expired index %s", name)
        return names

    def delete_crashes_before(
        self, cutoff: datetime, dry_run: bool = False
    ) -> list[ExpiredCrashes]:
        """Indices that start before ``cutoff`` are counted on both sides of it: one with
        nothing newer goes whole, one with crashes on both sides loses the older ones."""
        if self._date_field is None:
            return []
        date_path = path_of(self._date_field)
        before = {"range": {date_path: {"lt": format_date(cutoff)}}}
        after = {"range": {date_path: {"gte": format_date(cutoff)}}}
        found = []
        for name in self.all_indices():
            start = parse_index_date(self.template, name)
            if start is None or start >= cutoff:
                continue
            older = self.client.count(name, before)
            whole = self.client.count(name, after) == 0
            if not (whole or older):
                continue
            found.append(ExpiredCrashes(name, older, whole))
            if dry_run:
                continue
            if whole:
                self.client.delete([name])
                self._known_indices.discard(name)
            else:
                self._delete_matching(name, before)
            logger.info("search: deleted %s dated before %s", found[-1].describe(), cutoff)
        return found

    def _delete_matching(self, index: str, query: dict[str, Any]) -> None:
        """Delete the documents of ``index`` matching ``query``, a page at a time.

        Searches and bulk deletes rather than ``_delete_by_query``, which lives in a module
        (reindex) that minimal cluster distributions leave out.
        """
        body = {"query": query, "size": CHUNK, "_source": False, "track_total_hits": False}
        while True:
            hits = self.client.search([index], body)["hits"]["hits"]
            if not hits:
                return
            operations = [{"delete": {"_index": index, "_id": hit["_id"]}} for hit in hits]
            answer = self.client.bulk(operations, refresh=True)
            failed = [item["delete"] for item in answer["items"] if item["delete"].get("error")]
            if failed:
                raise SearchError(f"deleting expired crashes of {index} failed: {failed[0]}")

    def refresh(self) -> None:
        self.client.refresh(f"{prefix_of(self.template)}*")

    def close(self) -> None:
        self.client.close()


def _bad_request(exc: ClusterRequestError) -> BadArgumentError | None:
    """A 400 for what the caller asked (an impossible regex, too many buckets), else None."""
    for kind in exc.types:
        if kind in BAD_REQUEST_TYPES:
            return BadArgumentError(BAD_REQUEST_TYPES[kind] or exc.reason)
    return None


def _facet(agg: Aggregation, body: Mapping[str, Any]) -> Any:
    if agg.kind == "cardinality":
        return {"value": body.get("value", 0)}
    buckets = []
    for bucket in body.get("buckets", []):
        key = bucket["key"]
        if agg.kind == "histogram":
            if agg.field.validation_type == "datetime":
                term: Any = format_bucket(datetime.fromtimestamp(key / 1000, UTC))
            elif not math.isfinite(float(key)):  # the cluster writes "Infinity" as a string
                raise interval_too_small(agg.field.name)
            elif isinstance(agg.interval, int) and agg.field.validation_type == "int":
                term = int(key)
            else:
                term = float(key)
        else:
            term = term_value(agg, key)
        shown: dict[str, Any] = {"term": term, "count": bucket["doc_count"]}
        if agg.children:
            shown["facets"] = {
                child.name: _facet(child, bucket.get(child.name, {})) for child in agg.children
            }
        buckets.append(shown)
    return buckets
