"""Top crashers: parameters, the two-window computation, and the page."""

from __future__ import annotations

import datetime

import pytest
from django.http import QueryDict

from tests.unit.webapp.pagedata import HOSTILE, index_crashes
from webapp.crashstats.models import Bug, BugAssociation, Signature
from webapp.crashstats.permissions import ANONYMOUS_ACCESS
from webapp.topcrashers import compute

NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
RECENT = NOW - datetime.timedelta(hours=1)
BEFORE = NOW - datetime.timedelta(days=8)


def crashes(signature: str, count: int, when: datetime.datetime, **fields) -> list[dict]:
    base = {
        "product": "Firefox",
        "version": "133.0",
        "process_type": "parent",
        "os_name": "Windows NT",
        "startup_crash": False,
        "signature": signature,
        "when": when,
    }
    return [{**base, **fields, "install_time": 1_700_000_000 + n} for n in range(count)]


@pytest.fixture
def ranked(db, crash_backends) -> None:
    index_crashes(
        crash_backends,
        *crashes("A::first", 5, RECENT),
        *crashes("B::second", 3, RECENT, os_name="Linux"),
        *crashes(HOSTILE, 2, RECENT, os_name="Mac OS X", startup_crash=True),
        *crashes("B::second", 6, BEFORE, os_name="Linux"),
        *crashes("A::first", 2, BEFORE),
        *crashes("Other::product", 4, RECENT, product="Fenix"),
        *crashes("Content::one", 4, RECENT, process_type="content"),
    )


def params(**values) -> compute.TopCrashersParams:
    query = QueryDict(mutable=True)
    query.update({"product": "Firefox", **values})
    return compute.parse_params(query, ["Firefox", "Fenix"], ["Windows", "Linux", "Mac OS X"])


def test_ranks_changes_and_new_signatures(ranked):
    result = compute.compute(params(version="133.0"), ANONYMOUS_ACCESS)
    rows = {row.signature: row for row in result.rows}
    assert [row.signature for row in result.rows] == ["A::first", "B::second", HOSTILE]
    assert result.total == 10
    first, second, third = rows["A::first"], rows["B::second"], rows[HOSTILE]
    assert (first.rank, first.previous_rank, first.rank_change) == (1, 2, 1)
    assert first.percent == pytest.approx(50.0)
    assert first.percent_change == pytest.approx(50.0 - 25.0)  # 2 of 8 before
    assert (second.rank, second.previous_rank, second.rank_change) == (2, 1, -1)
    assert third.is_new and third.rank_change is None and third.percent_change is None
    assert first.platforms == {"win": 5} and second.platforms == {"lin": 3}
    assert third.platforms == {"mac": 2}
    assert third.is_startup and not first.is_startup
    assert first.installs == 5
    assert result.shown_count == 10 and result.shown_percent == pytest.approx(100.0)


def test_process_type_and_product_filters(ranked):
    content = compute.compute(params(process_type="content"), ANONYMOUS_ACCESS)
    assert [row.signature for row in content.rows] == ["Content::one"]
    anything = compute.compute(params(process_type="any"), ANONYMOUS_ACCESS)
    assert {row.signature for row in anything.rows} == {
        "A::first",
        "B::second",
        HOSTILE,
        "Content::one",
    }
    other = compute.compute(params(process_type="other"), ANONYMOUS_ACCESS)
    assert other.rows == []


def test_bookkeeping_columns(ranked, db):
    Signature.objects.create(signature="A::first", first_build=20240101, first_date=BEFORE)
    BugAssociation.objects.create(bug_id=11, signature="A::first")
    BugAssociation.objects.create(bug_id=22, signature="A::first")
    Bug.objects.create(
        bug_id=11, summary="Crash in A::first", status="RESOLVED", resolution="FIXED"
    )
    row = compute.compute(params(), ANONYMOUS_ACCESS).rows[0]
    assert row.first_date == BEFORE and [int(bug) for bug in row.bugs] == [22, 11]
    assert [bug.resolved for bug in row.bugs] == [False, True]


def test_parameters():
    assert params().days == 7 and params().process_type == "parent"
    assert params(process_type="nonsense").process_type == "parent"
    assert params(_facets_size="75").facets_size == 50
    assert params(_facets_size="300").facets_size == 300
    assert params(platform="Plan 9").platform == ""
    with pytest.raises(compute.InvalidParameters, match="days must be one of"):
        params(days="5")
    with pytest.raises(compute.InvalidParameters, match="Unknown product 'Nope'"):
        params(product="Nope")


def test_windows_and_filters():
    now = datetime.datetime(2024, 10, 9, 15, 30, tzinfo=datetime.UTC)
    start, end = compute.window(params(days="3"), now)
    assert (start, end) == (now - datetime.timedelta(days=3), now)
    start, end = compute.window(params(_tcbs_mode="byday", days="1"), now)
    assert end == datetime.datetime(2024, 10, 9, tzinfo=datetime.UTC)
    assert start == datetime.datetime(2024, 10, 8, tzinfo=datetime.UTC)
    built = compute.filters(params(_range_type="build"), start, end)
    assert built["build_id"] == [">=20241008000000", "<20241009000000"]
    other = compute.filters(params(process_type="other"), start, end)
    assert other["process_type"] == [f"!{name}" for name in compute.KNOWN_PROCESS_TYPES]
    assert compute.filters(params(_report_type="hang"), start, end)["report_type"] == ["hang"]
    assert "report_type" not in compute.filters(params(_report_type="any"), start, end)


def test_page(anonymous, ranked):
    response = anonymous.get("/topcrashers/", {"product": "Firefox", "version": "133.0"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Top Crashers for Firefox 133.0" in html
    assert HOSTILE not in html and "&lt;script&gt;" in html
    assert "new</span>" in html
    assert "/signature/?signature=A%3A%3Afirst&amp;product=Firefox&amp;version=133.0" in html


def test_page_fills_in_a_version_and_a_product(anonymous, ranked):
    response = anonymous.get("/topcrashers/", {"product": "Firefox"})
    assert response.status_code == 302 and "version=133.0" in response["Location"]
    response = anonymous.get("/topcrashers/")
    assert response.status_code == 302 and "product=Firefox" in response["Location"]


def test_page_errors(anonymous, ranked):
    response = anonymous.get("/topcrashers/", {"product": "Nope"})
    assert response.status_code == 400 and "Unknown product" in response.content.decode()
    response = anonymous.get("/topcrashers/", {"product": "Firefox", "version": "1", "days": "2"})
    assert response.status_code == 400 and "days must be one of" in response.content.decode()


def test_page_without_any_crash(anonymous, crash_backends):
    response = anonymous.get("/topcrashers/")
    assert response.status_code == 200
    assert "nothing to rank yet" in response.content.decode()


def test_page_for_every_version(anonymous, ranked):
    response = anonymous.get("/topcrashers/", {"product": "Firefox", "version": ""})
    assert response.status_code == 200
    assert "Top Crashers for Firefox (all versions)</h1>" in response.content.decode()
