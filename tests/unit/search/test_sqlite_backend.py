"""The SQLite backend on its own: random and hostile parameters, retention, bucket limits."""

from __future__ import annotations

import threading
import time
from collections import Counter
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


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


@pytest.fixture(scope="module")
def extremes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteSearch]:
    """Crashes whose numbers sit at the ends of the 64-bit range, and one huge double."""
    search = SqliteSearch(tmp_path_factory.mktemp("extremes") / "search.db")
    values = [
        {"uptime": 0, "ipc_system_error": INT64_MIN, "uptime_ts": -2.5},
        {"uptime": 5, "ipc_system_error": -7, "uptime_ts": 7.25},
        {"uptime": 2**62, "ipc_system_error": 12, "uptime_ts": 1e308},
        {"uptime": INT64_MAX, "ipc_system_error": INT64_MAX},
    ]
    crashes = list(Corpus(NOW, days=1, seed=8).crashes(len(values)))
    pairs = zip(crashes, values, strict=True)
    search.index_crashes((crash_id, {**crash, **extra}) for (crash_id, crash), extra in pairs)
    yield search
    search.close()


def histogram(search: SqliteSearch, field: str, interval: str) -> list[tuple[object, int]]:
    params = {f"_histogram.{field}": [], f"_histogram_interval.{field}": interval}
    buckets = search.search(params, VIEW_PII, now=NOW)["facets"][f"histogram_{field}"]
    return [(bucket["term"], bucket["count"]) for bucket in buckets]


@pytest.mark.parametrize(
    "interval", ["1e19", "9223372036854775807", "18446744073709551616", "1e300"]
)
def test_an_interval_beyond_every_value_makes_one_bucket_each_side_of_zero(
    extremes: SqliteSearch, interval: str
) -> None:
    """What the cluster answers: every value in [0, interval) is in bucket 0 (an int term on an
    int field); negative values are in the bucket at -interval, the interval read as a double."""
    below = -int(float(interval))
    assert histogram(extremes, "uptime", interval) == [(0, 4)]
    terms = histogram(extremes, "ipc_system_error", interval)
    assert terms == [(below, 2), (0, 2)]
    assert all(type(term) is int for term, _ in terms)


@pytest.mark.parametrize("interval", ["1", "3", "10", str(2**62), str(2**62 + 1)])
def test_integer_buckets_are_exact_at_the_ends_of_the_64_bit_range(
    extremes: SqliteSearch, interval: str
) -> None:
    """No overflow into floats: the bucket below -2^63 is an exact int, as are the others."""
    size = int(float(interval))
    values = [INT64_MIN, -7, 12, INT64_MAX]
    expected = sorted(Counter(value // size * size for value in values).items())
    assert histogram(extremes, "ipc_system_error", interval) == expected
    assert all(type(term) is int for term, _ in histogram(extremes, "uptime", interval))


@pytest.mark.parametrize("field", ["uptime", "uptime_ts"])
def test_a_too_small_interval_is_a_bad_argument(extremes: SqliteSearch, field: str) -> None:
    parameter = f"_histogram_interval.{field}"
    with pytest.raises(BadArgumentError, match=r"at least 0\.000001") as caught:
        histogram(extremes, field, "1e-310")
    assert caught.value.parameter == parameter


def test_an_interval_too_small_for_a_huge_value_is_a_bad_argument(extremes: SqliteSearch) -> None:
    """1e308 / 0.5 is not a finite number: no bucket can hold it."""
    with pytest.raises(BadArgumentError, match="too small for the values") as caught:
        histogram(extremes, "uptime_ts", "0.5")
    assert caught.value.parameter == "_histogram_interval.uptime_ts"
    assert histogram(extremes, "uptime_ts", "1e300") == [(-1e300, 1), (0.0, 2), (1e308, 1)]
