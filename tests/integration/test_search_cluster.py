"""Cluster maintenance against the real servers: indices ahead, retention, missing indices,
health, the bad-field retry, and what happens when the cluster is down."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from jansky.schemas import VIEW_PII
from jansky.search import BadArgumentError, SearchError, open_search
from jansky.search.cluster.backend import ClusterSearch
from jansky.search.cluster.indices import index_for
from jansky.search.cluster.mapping import index_body
from jansky.search.corpus import Corpus
from jansky.search.settings import SearchSettings
from tests.servers import server_env

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(
    params=[("opensearch", "SEARCH_URL"), ("elasticsearch", "ELASTICSEARCH_URL")],
    ids=["opensearch", "elasticsearch"],
)
def cluster(request: pytest.FixtureRequest) -> Iterator[ClusterSearch]:
    flavor, key = request.param
    url = server_env(key)[key]
    template = f"jt{uuid.uuid4().hex[:10]}%Y%W"
    backend = open_search(url, settings=SearchSettings(index_template=template, replicas=0))
    assert isinstance(backend, ClusterSearch) and backend.client.flavor == flavor
    yield backend
    backend.client.delete(backend.all_indices())
    backend.close()


def test_health(cluster: ClusterSearch) -> None:
    assert cluster.check_health()["status"] in {"green", "yellow"}


def test_indices_ahead_and_retention(cluster: ClusterSearch) -> None:
    created = cluster.create_indices_ahead(2, now=NOW)
    expected = [index_for(cluster.template, NOW + timedelta(weeks=w)) for w in range(3)]
    assert created == expected
    assert cluster.create_indices_ahead(2, now=NOW) == []
    old = list(Corpus(NOW - timedelta(weeks=30), days=3, seed=2).crashes(5))
    assert cluster.index_crashes(old).ok
    assert len(cluster.all_indices()) >= 4
    deleted = cluster.delete_expired_indices(26, now=NOW)
    assert deleted and all(name not in expected for name in deleted)
    assert sorted(cluster.all_indices()) == sorted(expected)


def test_missing_indices_are_reported(cluster: ClusterSearch) -> None:
    crashes = list(Corpus(NOW, days=1, seed=4).crashes(20))
    assert cluster.index_crashes(crashes).indexed == 20
    cluster.refresh()
    params = {"date": f">={(NOW - timedelta(days=20)).isoformat()}", "_facets": ["product"]}
    result = cluster.search(params, VIEW_PII, now=NOW)
    assert result["total"] == 20
    missing = {error["index"] for error in result["errors"] if error["type"] == "missing_index"}
    # The crashes span the day before NOW, so in the first hours of a week they may all sit in
    # last week's index: the indices that hold them, whichever, are the ones never missing.
    assert missing and missing.isdisjoint(cluster.all_indices())


def test_only_missing_indices_gives_an_empty_answer(cluster: ClusterSearch) -> None:
    result = cluster.search({"_facets": ["signature", "_cardinality.uptime"]}, VIEW_PII, now=NOW)
    assert result["hits"] == [] and result["total"] == 0
    assert result["facets"] == {"signature": [], "cardinality_uptime": {"value": 0}}
    assert result["errors"]


def test_rejected_field_is_dropped_and_recorded(cluster: ClusterSearch) -> None:
    crash_id, crash = next(Corpus(NOW, days=1, seed=9).crashes(1))
    cluster.ensure_index(index_for(cluster.template, NOW))
    # a document shaped by hand: an object where the mapping has a number
    document = {
        "crash_id": crash_id,
        "processed_crash": {
            "uptime": {"not": "a number"},
            "date_processed": crash["date_processed"],
        },
    }
    result = cluster._send([(crash_id, index_for(cluster.template, NOW), document)])
    assert result.indexed == 1 and document["removed_fields"] == "processed_crash.uptime"


def test_an_older_index_gains_the_fields_added_since(cluster: ClusterSearch) -> None:
    """An index created before a field joined the schemas (here ``missing_symbols_modules``)
    is given the field the first time a process writes to it, and the field is searchable."""
    name = index_for(cluster.template, NOW)
    older = index_body(cluster.registry, shards=1, replicas=0)
    del older["mappings"]["properties"]["processed_crash"]["properties"]["missing_symbols_modules"]
    assert cluster.client.create_index(name, older)
    crash_id, crash = next(Corpus(NOW, days=1, seed=5).crashes(1))
    crash["missing_symbols_modules"] = ["xul.pdb/44E4EC8C2F41492B9369D6B9A059577C2"]
    assert cluster.index_crashes([(crash_id, crash)]).indexed == 1
    cluster.refresh()
    params = {"missing_symbols_modules": "=xul.pdb/44E4EC8C2F41492B9369D6B9A059577C2"}
    assert cluster.search(params, VIEW_PII, now=NOW)["total"] == 1
    # once known, the index is not asked again; a new process asks once more, harmlessly
    assert name in cluster._known_indices
    cluster._known_indices.clear()
    cluster.ensure_index(name)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("scheme", ["opensearch", "elasticsearch"])
def test_down_cluster_raises_search_error(scheme: str) -> None:
    backend = open_search(
        f"{scheme}+http://127.0.0.1:{_closed_port()}",
        settings=SearchSettings(timeout=2, index_attempts=2),
    )
    crash_id, crash = next(Corpus(NOW, days=1).crashes(1))
    with pytest.raises(SearchError):
        backend.index_crash(crash_id, crash)
    with pytest.raises(SearchError):
        backend.search({}, VIEW_PII)
    with pytest.raises(SearchError):
        backend.check_health()


def test_custom_queries_run_the_explained_query_on_chosen_indices(cluster: ClusterSearch) -> None:
    crashes = list(Corpus(NOW, days=1, seed=5).crashes(12))
    assert cluster.index_crashes(crashes).indexed == 12
    cluster.refresh()
    explained = cluster.search({"_return_query": "true"}, VIEW_PII, now=NOW)
    targets = cluster.query_targets()
    chosen = [name for name in explained["indices"] if name in targets]
    assert chosen and set(targets) == set(cluster.all_indices())
    answer = cluster.custom_query(explained["query"], chosen)
    assert answer["hits"]["total"]["value"] == 12  # the cluster's raw answer
    with pytest.raises(BadArgumentError, match="no such crash index: nope"):
        cluster.custom_query({"query": {"match_all": {}}}, [*chosen, "nope"])
    with pytest.raises(BadArgumentError, match="name at least one index"):
        cluster.custom_query({"query": {"match_all": {}}}, [])
    with pytest.raises(BadArgumentError, match="the cluster refused the query"):
        cluster.custom_query({"query": {"no_such_query": {}}}, chosen)
