"""The SQLite backend on its own: random and hostile parameters, retention, bucket limits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from jansky.schemas import VIEW_PII
from jansky.search import BadArgumentError, open_search
from jansky.search.corpus import Corpus
from jansky.search.sqlite.backend import SqliteSearch
from tests.unit.search.strategies import NOW, any_params, valid_params


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteSearch]:
    search = open_search(f"sqlite://{tmp_path_factory.mktemp('sqlite') / 'search.db'}")
    assert isinstance(search, SqliteSearch)
    search.index_crashes(Corpus(NOW, days=30, seed=3, signature_count=30).crashes(300))
    yield search
    search.close()


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(params=valid_params())
def test_valid_params_never_raise(backend: SqliteSearch, params) -> None:
    result = backend.search(params, VIEW_PII, now=NOW)
    assert set(result) == {"hits", "total", "facets", "errors"}
    assert len(result["hits"]) <= int(params["_results_number"][0])


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(params=any_params)
def test_hostile_params_give_results_or_bad_argument(backend: SqliteSearch, params) -> None:
    try:
        backend.search(params, VIEW_PII, now=NOW)
    except BadArgumentError as exc:
        assert str(exc)


def test_too_many_buckets_is_a_bad_argument(
    backend: SqliteSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("jansky.search.sqlite.aggregate.MAX_BUCKETS", 20)
    params = {"_histogram.install_age": "product", "_histogram_interval.install_age": "1"}
    with pytest.raises(BadArgumentError, match="Too many buckets"):
        backend.search(params, VIEW_PII, now=NOW)


def test_delete_expired_drops_old_weeks(tmp_path: Path) -> None:
    search = SqliteSearch(tmp_path / "search.db")
    search.index_crashes(Corpus(NOW, days=60, seed=1).crashes(100))
    deleted = search.delete_expired_indices(4, now=NOW)
    assert deleted
    params = {"date": f">={(NOW - timedelta(days=60)).isoformat()}", "_results_number": "0"}
    total = search.search(params, VIEW_PII, now=NOW)["total"]
    oldest = search.search({**params, "_sort": "date", "_results_number": "1"}, VIEW_PII, now=NOW)
    assert 0 < total < 100
    assert oldest["hits"][0]["date"] >= (NOW - timedelta(weeks=5)).isoformat()


def test_index_crash_overwrites(tmp_path: Path) -> None:
    search = SqliteSearch(tmp_path / "search.db")
    crash_id, crash = next(Corpus(NOW, days=1).crashes(1))
    search.index_crash(crash_id, crash)
    search.index_crash(crash_id, {**crash, "signature": "second"})
    result = search.search({"_columns": "signature"}, VIEW_PII, now=NOW)
    assert result["hits"] == [{"signature": "second"}] and result["total"] == 1
