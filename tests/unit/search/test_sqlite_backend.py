"""The SQLite backend on its own: random and hostile parameters, retention, bucket limits."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from jansky.schemas import VIEW_PII
from jansky.search import BadArgumentError, SearchError, open_search
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


class HeldBulk:
    """Wraps index_crashes: the first call waits until released; records each call's size."""

    def __init__(self, search: SqliteSearch, fail_after_first: bool = False) -> None:
        self.index_crashes = search.index_crashes
        self.entered = threading.Event()
        self.release = threading.Event()
        self.groups: list[int] = []
        self.fail_after_first = fail_after_first

    def __call__(self, items: list) -> object:
        items = list(items)
        self.groups.append(len(items))
        if len(self.groups) == 1:
            self.entered.set()
            assert self.release.wait(30)
        elif self.fail_after_first:
            raise SearchError("disk I/O error")
        return self.index_crashes(items)


def index_concurrently(search: SqliteSearch, held: HeldBulk, count: int) -> list[object]:
    """Index ``count`` crashes from as many threads, the later ones while the first is sent."""
    crashes = list(Corpus(NOW, days=1, seed=5).crashes(count))
    outcomes: list[object] = [None] * count

    def index(position: int) -> None:
        try:
            search.index_crash(*crashes[position])
        except SearchError as exc:
            outcomes[position] = exc

    threads = [threading.Thread(target=index, args=(position,)) for position in range(count)]
    threads[0].start()
    assert held.entered.wait(30)
    for thread in threads[1:]:
        thread.start()
    deadline = time.monotonic() + 30
    while len(search._waiting) < count - 1:  # every later caller waits for the next group
        assert time.monotonic() < deadline, "the later callers never queued"
        time.sleep(0.001)
    held.release.set()
    for thread in threads:
        thread.join(30)
    return outcomes


def test_concurrent_index_calls_share_one_request(tmp_path: Path, monkeypatch) -> None:
    search = SqliteSearch(tmp_path / "search.db")
    held = HeldBulk(search)
    monkeypatch.setattr(search, "index_crashes", held)
    assert index_concurrently(search, held, 5) == [None] * 5
    assert held.groups == [1, 4]
    assert search.search({"_results_number": "0"}, VIEW_PII, now=NOW)["total"] == 5


def test_a_failed_group_fails_every_caller_in_it(tmp_path: Path, monkeypatch) -> None:
    search = SqliteSearch(tmp_path / "search.db")
    held = HeldBulk(search, fail_after_first=True)
    monkeypatch.setattr(search, "index_crashes", held)
    outcomes = index_concurrently(search, held, 4)
    assert outcomes[0] is None
    assert all("disk I/O error" in str(outcome) for outcome in outcomes[1:])
    assert search.search({"_results_number": "0"}, VIEW_PII, now=NOW)["total"] == 1


def test_index_commits_wait_for_the_disk(tmp_path: Path) -> None:
    search = SqliteSearch(tmp_path / "search.db")
    assert search._run(lambda c: c.execute("PRAGMA synchronous").fetchone()[0]) == 2  # FULL
