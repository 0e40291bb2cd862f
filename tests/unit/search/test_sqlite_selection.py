"""The SQLite backend's shortcuts answer as the plain way did.

The plain way: the total counted, then every facet its own GROUP BY over the crashes table
with the query's filter, every phrase test a Python call per row. The shortcuts: a lone facet
counting the total too, the matching rows copied once (``selection``), sibling terms facets
counted by one GROUP BY, phrase tests on product and platform once per distinct value,
values equal to the phrase matched without Python.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jansky.schemas import VIEW_PII
from jansky.search import BadArgumentError
from jansky.search.analysis import phrase_in, tokens
from jansky.search.corpus import Corpus
from jansky.search.sqlite import aggregate, translate
from jansky.search.sqlite.backend import SqliteSearch
from jansky.search.sqlite.schema import TABLE
from jansky.search.sqlite.selection import Source
from jansky.search.sqlite.translate import Sql
from tests.unit.search.strategies import NOW, valid_params

# Values whose words make phrase matching interesting: several words, case, accents, none.
PRODUCTS = ["Firefox", "Firefox Focus", "firefox", "Ünïcødé Browser", "???", "", None]
PLATFORMS = ["Windows NT", "windows  NT", "Mac OS X", "Linux", "", None]
SINCE = {"date": f">={(NOW - timedelta(days=40)).isoformat()}"}


def _crashes() -> Iterator[tuple[str, dict[str, Any]]]:
    for number, (crash_id, crash) in enumerate(
        Corpus(NOW, days=30, seed=21, signature_count=25).crashes(400)
    ):
        for key, choices in (("product", PRODUCTS), ("os_name", PLATFORMS)):
            value = choices[number % len(choices)] if number % 3 == 0 else crash.get(key)
            if value is None:
                crash.pop(key, None)
            else:
                crash[key] = value
        yield crash_id, crash


CRASHES = list(_crashes())


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteSearch]:
    search = SqliteSearch(tmp_path_factory.mktemp("selection") / "search.db")
    search.index_crashes(CRASHES)
    yield search
    search.close()


class PerQuery:
    """The plain way in place of :class:`Selection`: facets read the crashes table itself."""

    def __init__(self, connection: sqlite3.Connection, where: Sql, fields: list) -> None:
        self.connection = connection
        self.source = Source(TABLE, where, "c.crash_id")
        sql = f"SELECT COUNT(*) FROM {TABLE} AS c WHERE {where.text}"
        self.total = connection.execute(sql, where.params).fetchone()[0]

    def __enter__(self) -> PerQuery:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass


def _phrase_per_row(value_expr: str, phrase: Any, analyzer: str | None) -> Sql:
    return Sql(f"j_phrase({value_expr}, ?, ?)", [phrase, analyzer])


@contextmanager
def plain_way() -> Iterator[None]:
    with ExitStack() as stack:
        stack.enter_context(mock.patch("jansky.search.sqlite.backend.Selection", PerQuery))
        stack.enter_context(
            mock.patch("jansky.search.sqlite.backend.single_pass", return_value=False)
        )
        stack.enter_context(
            mock.patch.object(aggregate.Aggregator, "_combined_terms", return_value={})
        )
        stack.enter_context(mock.patch.object(translate, "is_enumerable", return_value=False))
        stack.enter_context(mock.patch.object(translate, "_phrase_test", _phrase_per_row))
        yield


def _temporary_tables(search: SqliteSearch) -> list[str]:
    sql = "SELECT name FROM sqlite_temp_master WHERE type = 'table'"
    return search._run(lambda c: [row[0] for row in c.execute(sql)])


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(params=valid_params(), combined_groups=st.sampled_from([2, aggregate.COMBINED_GROUPS]))
def test_shortcuts_answer_as_the_plain_way(
    backend: SqliteSearch, params: dict[str, list[str]], combined_groups: int
) -> None:
    """Hits, total and facets; also when sibling facets have too many combinations to share."""
    with mock.patch.object(aggregate, "COMBINED_GROUPS", combined_groups):
        try:
            fast = backend.search(params, VIEW_PII, now=NOW)
        except BadArgumentError as exc:
            fast = {"error": str(exc)}
    with plain_way():
        try:
            plain = backend.search(params, VIEW_PII, now=NOW)
        except BadArgumentError as exc:
            plain = {"error": str(exc)}
    assert fast == plain
    assert _temporary_tables(backend) == []


FACETS = {
    "_facets": ["product", "platform", "cpu_arch", "process_type", "startup_crash", "addons"],
    "_aggs.product.version": ["platform", "_cardinality.install_time", "addons"],
    "_aggs.signature": ["platform", "is_garbage_collecting", "process_type", "startup_crash"],
    "_histogram.date": ["product", "platform"],
    "_facets_size": "3",
}


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"product": "Firefox"},
        {"product": ["!firefox", "focus"]},
        {"platform": "windows nt", "product": "Ünïcødé"},
        {"product": "__null__"},
    ],
)
def test_page_facets_answer_as_the_plain_way(
    backend: SqliteSearch, filters: dict[str, Any]
) -> None:
    """Facets as Crash Stats' pages ask for them: nested, cut, sharing a GROUP BY."""
    params = {**SINCE, **filters, **FACETS, "_results_number": "20"}
    fast = backend.search(params, VIEW_PII, now=NOW)
    with plain_way():
        plain = backend.search(params, VIEW_PII, now=NOW)
    assert fast == plain
    assert fast["total"] and fast["facets"]["signature"]


def _oracle_total(source: str, phrase: str, negated: bool) -> int:
    """Crashes whose ``source`` value holds the words of ``phrase``, in order."""
    wanted = tokens(phrase, None)
    count = 0
    for _, crash in CRASHES:
        value = crash.get(source)
        matched = value is not None and phrase_in(tokens(str(value), None), wanted)
        count += matched != negated
    return count


WORDS = st.sampled_from(["firefox", "FOCUS", "ünïcødé", "browser", "windows", "nt", "os", "x"])


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    field=st.sampled_from([("product", "product"), ("platform", "os_name")]),
    phrase=st.one_of(
        st.lists(WORDS, min_size=1, max_size=3).map(" ".join),
        st.sampled_from([value for value in PRODUCTS + PLATFORMS if value is not None]),
        st.text(max_size=12),
    ),
    negated=st.booleans(),
)
def test_phrases_on_enumerated_fields_match_the_oracle(
    backend: SqliteSearch, field: tuple[str, str], phrase: str, negated: bool
) -> None:
    name, source = field
    if not phrase.strip() or phrase.startswith(("!", "__")):
        return  # no value, or an operator rather than a phrase
    value = f"!{phrase}" if negated else phrase
    params = {**SINCE, name: value, "_results_number": "0"}
    expected = _oracle_total(source, phrase, negated)
    assert backend.search(params, VIEW_PII, now=NOW)["total"] == expected


def test_the_copy_is_dropped_when_a_facet_fails(
    backend: SqliteSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aggregate, "MAX_BUCKETS", 5)
    params = {**SINCE, "_facets": ["signature", "platform"], "_facets_size": "50"}
    with pytest.raises(BadArgumentError, match="Too many buckets"):
        backend.search(params, VIEW_PII, now=NOW)
    assert _temporary_tables(backend) == []


def test_a_copy_left_behind_is_replaced(backend: SqliteSearch) -> None:
    """A query interrupted at its deadline may leave its copy; the next query starts over."""
    backend._run(lambda c: c.execute("CREATE TABLE temp.j_selection AS SELECT 1 AS stale"))
    params = {**SINCE, "_facets": ["product", "platform"], "_results_number": "0"}
    with plain_way():
        plain = backend.search(params, VIEW_PII, now=NOW)
    assert backend.search(params, VIEW_PII, now=NOW) == plain
    assert _temporary_tables(backend) == []


@pytest.mark.parametrize(
    "facet", ["process_type", "product", "_histogram.uptime", "_histogram.date", "addons"]
)
def test_a_single_facet_counts_the_total_too(backend: SqliteSearch, facet: str) -> None:
    """One facet is one GROUP BY; its groups, the crashes without the field too, are the total."""
    params = {**SINCE, "product": "firefox", "_facets": [facet], "_results_number": "5"}
    fast = backend.search(params, VIEW_PII, now=NOW)
    with plain_way():
        plain = backend.search(params, VIEW_PII, now=NOW)
    assert fast == plain
    assert 0 < fast["total"] < len(CRASHES)
