"""What the cron jobs ask of every search backend: retention (exactly the crashes dated before
the cutoff go) and looking crashes up by id.

The cutoff falls on a Thursday, so on the clusters some weekly indices are older than it as a
whole and one holds crashes on both sides of it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jansky.schemas import VIEW_PII
from jansky.search import SearchBackend, open_search
from jansky.search.cluster.backend import ClusterSearch
from jansky.search.cluster.indices import week_start
from jansky.search.corpus import Corpus
from jansky.search.dates import parse_date
from jansky.search.settings import SearchSettings
from tests.servers import server_env

NOW = datetime.now(UTC).replace(microsecond=0)
CUTOFF = week_start(NOW - timedelta(days=25)) + timedelta(days=3)
CRASHES = list(Corpus(NOW, days=60, seed=11).crashes(300))


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("opensearch", marks=pytest.mark.integration),
        pytest.param("elasticsearch", marks=pytest.mark.integration),
    ]
)
def search(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchBackend]:
    if request.param == "sqlite":
        backend = open_search(f"sqlite://{tmp_path / 'search.db'}")
    else:
        key = "SEARCH_URL" if request.param == "opensearch" else "ELASTICSEARCH_URL"
        template = f"jr{uuid.uuid4().hex[:10]}%Y%W"
        settings = SearchSettings(index_template=template, replicas=0)
        backend = open_search(server_env(key)[key], settings=settings)
    assert backend.index_crashes(CRASHES).ok
    backend.refresh()
    yield backend
    if isinstance(backend, ClusterSearch):
        backend.client.delete(backend.all_indices())
    backend.close()


def indexed_ids(search: SearchBackend) -> set[str]:
    search.refresh()
    params = {
        "date": f">={(NOW - timedelta(days=90)).isoformat()}",
        "_columns": "uuid",
        "_results_number": "1000",
        "_facets_size": "0",
    }
    return {hit["uuid"] for hit in search.search(params, VIEW_PII, now=NOW)["hits"]}


def test_exactly_the_crashes_before_the_cutoff_go(search: SearchBackend) -> None:
    expired = {
        crash_id for crash_id, crash in CRASHES if parse_date(crash["date_processed"]) < CUTOFF
    }
    assert 0 < len(expired) < len(CRASHES)

    planned = search.delete_crashes_before(CUTOFF, dry_run=True)
    assert sum(item.crashes for item in planned) == len(expired)
    assert indexed_ids(search) == {crash_id for crash_id, _ in CRASHES}

    deleted = search.delete_crashes_before(CUTOFF)
    assert deleted == planned
    assert indexed_ids(search) == {crash_id for crash_id, _ in CRASHES} - expired
    assert search.delete_crashes_before(CUTOFF) == []
    if isinstance(search, ClusterSearch):
        assert any(item.whole for item in deleted) and sum(not i.whole for i in deleted) == 1
        assert {item.where for item in deleted if item.whole}.isdisjoint(search.all_indices())


def test_crashes_are_looked_up_by_id_whatever_their_dates(search: SearchBackend) -> None:
    oldest, newest = CRASHES[0][0], CRASHES[-1][0]
    absent = "00000000-0000-0000-0000-000000240101"
    assert search.indexed_crash_ids([oldest, newest, absent]) == {oldest, newest}
    every = [crash_id for crash_id, _ in CRASHES]
    assert search.indexed_crash_ids(every) == set(every)
    assert search.indexed_crash_ids([]) == set()
    search.delete_crashes_before(CUTOFF)
    assert search.indexed_crash_ids([oldest, newest]) == {newest}
