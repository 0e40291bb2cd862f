"""Super Search conformance: every backend indexes the same corpus and answers alike.

Backends: SQLite (a file in tmp), OpenSearch and Elasticsearch (from `jansky services start`,
indices under a random prefix, deleted at the end). Each query's ``hits``, ``total`` and
``facets`` must be identical across backends; filter queries are also checked against a
plain-Python evaluation of the corpus, so a wrong answer shared by all backends still fails.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from jansky.schemas import ANONYMOUS, VIEW_PII
from jansky.search import BadArgumentError, SearchBackend
from jansky.search.cluster.backend import ClusterSearch
from jansky.search.corpus import Corpus
from jansky.search.settings import SearchSettings
from jansky.search.sqlite.backend import SqliteSearch
from tests.servers import server_env
from tests.unit.search.strategies import any_params, valid_params

NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
WEEK_AGO = NOW - timedelta(days=7)


def _edge_crashes() -> list[tuple[str, dict[str, Any]]]:
    """Crashes on the date bounds and with awkward values."""
    base = {"product": "Firefox", "version": "133.0", "os_name": "Linux", "uptime": 5}
    edges = [
        ("e0000000-0000-0000-0000-000000" + NOW.strftime("%y%m%d"), {"date_processed": NOW}),
        ("e0000001-0000-0000-0000-000000" + NOW.strftime("%y%m%d"), {"date_processed": WEEK_AGO}),
        (
            "e0000002-0000-0000-0000-000000" + NOW.strftime("%y%m%d"),
            {"date_processed": WEEK_AGO - timedelta(microseconds=1)},
        ),
        (
            "e0000003-0000-0000-0000-000000" + NOW.strftime("%y%m%d"),
            {
                "date_processed": NOW - timedelta(hours=1, microseconds=123456),
                "signature": "",
                "addons": [],
                "build": "not a number",
                "uptime": 2**40,
                "ipc_system_error": -7,
                "startup_crash": "true",
            },
        ),
        (
            "e0000004-0000-0000-0000-000000" + NOW.strftime("%y%m%d"),
            {
                "date_processed": NOW - timedelta(hours=2),
                "signature": ["a", "list"],
                "process_type": {"an": "object"},
                "modules_in_stack": "A B.dll ;  ;xul.dll",
                "reason": "x" * 40_000,
            },
        ),
    ]
    crashes = []
    for crash_id, extra in edges:
        crash = {**base, "uuid": crash_id, "signature": "edge | case", **extra}
        crash["date_processed"] = crash["date_processed"].isoformat()
        crashes.append((crash_id, crash))
    return crashes


CORPUS = list(Corpus(NOW, days=30, seed=11, signature_count=40).crashes(400)) + _edge_crashes()
DOCS = dict(CORPUS)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteSearch]:
    backend = SqliteSearch(tmp_path_factory.mktemp("search") / "reference.db")
    result = backend.index_crashes(CORPUS)
    assert result.ok and result.indexed == len(CORPUS)
    yield backend
    backend.close()


def _cluster(flavor: str, env_key: str) -> Iterator[ClusterSearch]:
    env = server_env(env_key)
    url = env[env_key].split("+", 1)[1]
    prefix = f"jt{uuid.uuid4().hex[:10]}"
    settings = SearchSettings(index_template=f"{prefix}%Y%W", shards=1, replicas=0)
    backend = ClusterSearch(flavor, url, settings)
    try:
        result = backend.index_crashes(CORPUS)
        assert result.ok, result.failed[:3]
        backend.refresh()
        yield backend
    finally:
        backend.client.delete(backend.all_indices())
        backend.close()


@pytest.fixture(
    scope="module",
    params=[
        "sqlite",
        pytest.param("opensearch", marks=pytest.mark.integration),
        pytest.param("elasticsearch", marks=pytest.mark.integration),
    ],
)
def backend(request: pytest.FixtureRequest, reference: SqliteSearch) -> Iterator[SearchBackend]:
    if request.param == "sqlite":
        yield reference
    elif request.param == "opensearch":
        yield from _cluster("opensearch", "SEARCH_URL")
    else:
        yield from _cluster("elasticsearch", "ELASTICSEARCH_URL")


def run(backend: SearchBackend, params: dict[str, Any], pii: bool = False) -> dict[str, Any]:
    return backend.search(params, VIEW_PII if pii else ANONYMOUS, now=NOW)


# ---- the plain-Python oracle -----------------------------------------------------------------


def _date(crash: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(crash["date_processed"])


def in_default_range(crash: dict[str, Any]) -> bool:
    return WEEK_AGO <= _date(crash) <= NOW


def words(text: Any) -> list[str]:
    import re

    return [word for word in re.split(r"[^\w]+", str(text).lower()) if word]


def has_phrase(text: Any, phrase: str) -> bool:
    haystack, needle = words(text), words(phrase)
    return any(haystack[i : i + len(needle)] == needle for i in range(len(haystack)))


def string(crash: dict[str, Any], key: str) -> str | None:
    value = crash.get(key)
    return value if isinstance(value, str) else None


Predicate = Callable[[dict[str, Any]], bool]
FILTERS: list[tuple[str, dict[str, Any], Predicate]] = [
    ("default", {}, lambda c: True),
    ("product bare", {"product": "Firefox"}, lambda c: c.get("product") == "Firefox"),
    ("product lowercase phrase", {"product": "firefox"}, lambda c: c.get("product") == "Firefox"),
    (
        "product or",
        {"product": ["Fenix", "Focus"]},
        lambda c: c.get("product") in ("Fenix", "Focus"),
    ),
    (
        "product not",
        {"product": ["!Firefox", "!Fenix"]},
        lambda c: c.get("product") not in ("Firefox", "Fenix"),
    ),
    ("version exact", {"version": "133.0"}, lambda c: c.get("version") == "133.0"),
    (
        "version beta",
        {"version": "134.0b"},
        lambda c: str(c.get("version", "")).startswith("134.0b"),
    ),
    (
        "signature contains",
        {"signature": "~OOM"},
        lambda c: "OOM" in (string(c, "signature") or "\0"),
    ),
    (
        "signature contains case",
        {"signature": "~oom"},
        lambda c: "oom" in (string(c, "signature") or "\0"),
    ),
    (
        "signature not contains",
        {"signature": "!~OOM"},
        lambda c: "OOM" not in (string(c, "signature") or ""),
    ),
    (
        "signature exact",
        {"signature": "=OOM | small"},
        lambda c: string(c, "signature") == "OOM | small",
    ),
    (
        "signature starts",
        {"signature": "^js::"},
        lambda c: (string(c, "signature") or "\0").startswith("js::"),
    ),
    (
        "signature ends",
        {"signature": "$KillHard"},
        lambda c: (string(c, "signature") or "\0").endswith("KillHard"),
    ),
    (
        "signature wildcard characters are literal",
        {"signature": "~*chars?["},
        lambda c: "*chars?[" in (string(c, "signature") or "\0"),
    ),
    (
        "signature regex",
        {"signature": "@(OOM|js).*"},
        lambda c: (string(c, "signature") or "\0").startswith(("OOM", "js")),
    ),
    (
        "signature regex class",
        {"signature": "@mozilla::Module[0-9]+::Function1[0-9] .*"},
        lambda c: (
            __import__("re").fullmatch(
                r"mozilla::Module[0-9]+::Function1[0-9] .*", string(c, "signature") or ""
            )
            is not None
        ),
    ),
    (
        "signature phrase",
        {"signature": "GCMarker markAndTraverse"},
        lambda c: has_phrase(c.get("signature", ""), "GCMarker markAndTraverse"),
    ),
    (
        "signature unicode phrase",
        {"signature": "ünïcødé::crash"},
        lambda c: has_phrase(c.get("signature", ""), "ünïcødé::crash"),
    ),
    (
        "signature two values ORed",
        {"signature": ["=OOM | small", "~shutdownhang"]},
        lambda c: (
            string(c, "signature") == "OOM | small"
            or "shutdownhang" in (string(c, "signature") or "\0")
        ),
    ),
    (
        "signature null",
        {"signature": "__null__"},
        lambda c: string(c, "signature") is None,
    ),
    (
        "process_type null",
        {"process_type": "__null__"},
        lambda c: "process_type" not in c,
    ),
    (
        "process_type not null",
        {"process_type": "!__null__"},
        lambda c: "process_type" in c,
    ),
    (
        "uptime range",
        {"uptime": [">=1000", "<5000"]},
        lambda c: 1000 <= c.get("uptime", -1) < 5000 and c["uptime"] < 2**63,
    ),
    (
        "uptime exact",
        {"uptime": "5"},
        lambda c: c.get("uptime") == 5,
    ),
    (
        "uptime not greater",
        {"uptime": "!>50000"},
        lambda c: not (isinstance(c.get("uptime"), int) and c["uptime"] > 50000),
    ),
    (
        "build_id range",
        {"build_id": ">20241050000000"},
        lambda c: str(c.get("build", "")).isdigit() and int(c["build"]) > 20241050000000,
    ),
    (
        "uptime_ts float",
        {"uptime_ts": ["<=500.5", ">100"]},
        lambda c: 100 < c.get("uptime_ts", -1) <= 500.5,
    ),
    (
        "startup true",
        {"startup_crash": "__true__"},
        lambda c: c.get("startup_crash") in (True, "true"),
    ),
    (
        "startup not true",
        {"startup_crash": "!__true__"},
        lambda c: c.get("startup_crash") not in (True, "true"),
    ),
    (
        "accessibility bare false",
        {"accessibility": "false"},
        lambda c: c.get("accessibility") is False,
    ),
    ("accessibility null", {"accessibility": "__null__"}, lambda c: "accessibility" not in c),
    (
        "cpu_count nested source",
        {"cpu_count": ">=8"},
        lambda c: c.get("json_dump", {}).get("system_info", {}).get("cpu_count", 0) >= 8,
    ),
    (
        "addons list",
        {"addons": "~uBlock"},
        lambda c: any("uBlock" in addon for addon in c.get("addons", [])),
    ),
    ("addons null", {"addons": "__null__"}, lambda c: not c.get("addons")),
    (
        "modules_in_stack word",
        {"modules_in_stack": "xul.dll"},
        lambda c: (
            "xul.dll" in [m.strip().lower() for m in str(c.get("modules_in_stack", "")).split(";")]
        ),
    ),
    (
        "modules_in_stack token starts",
        {"modules_in_stack": "^nss"},
        lambda c: any(
            m.strip().lower().startswith("nss")
            for m in str(c.get("modules_in_stack", "")).split(";")
        ),
    ),
    (
        "platform phrase",
        {"platform": "windows nt"},
        lambda c: c.get("os_name") == "Windows NT",
    ),
    (
        "platform_version phrase",
        {"platform_version": "Service Pack 1"},
        lambda c: "Service Pack 1" in str(c.get("os_version", "")),
    ),
    (
        "and across fields",
        {"product": "Firefox", "platform": "Linux", "uptime": ">100"},
        lambda c: (
            c.get("product") == "Firefox"
            and c.get("os_name") == "Linux"
            and c.get("uptime", 0) > 100
        ),
    ),
    (
        "date lower only",
        {"date": f">={(NOW - timedelta(days=3)).isoformat()}"},
        lambda c: NOW - timedelta(days=3) <= _date(c) <= NOW,
    ),
    (
        "date upper only",
        {"date": f"<{(NOW - timedelta(days=10)).date()}"},
        lambda c: (
            datetime.combine((NOW - timedelta(days=10)).date(), datetime.min.time(), UTC)
            - timedelta(days=7)
            <= _date(c)
            < datetime.combine((NOW - timedelta(days=10)).date(), datetime.min.time(), UTC)
        ),
    ),
    (
        "date tightest bounds",
        {
            "date": [
                f">{(NOW - timedelta(days=20)).isoformat()}",
                f">={(NOW - timedelta(days=14)).isoformat()}",
                f"<={(NOW - timedelta(days=2)).isoformat()}",
                f"<{NOW.isoformat()}",
            ]
        },
        lambda c: NOW - timedelta(days=14) <= _date(c) <= NOW - timedelta(days=2),
    ),
    (
        "date exclusive upper at a crash",
        {"date": [f"<{NOW.isoformat()}"]},
        lambda c: NOW - timedelta(days=7) <= _date(c) < NOW,
    ),
    (
        "date 30 days",
        {"date": f">={(NOW - timedelta(days=30)).isoformat()}"},
        lambda c: NOW - timedelta(days=30) <= _date(c) <= NOW,
    ),
]


def _oracle(params: dict[str, Any], predicate: Predicate) -> set[str]:
    dated = "date" in params
    return {
        crash_id
        for crash_id, crash in CORPUS
        if (dated or in_default_range(crash)) and predicate(crash)
    }


@pytest.mark.parametrize("name,params,predicate", FILTERS, ids=[f[0] for f in FILTERS])
def test_filters_match_the_oracle(
    backend: SearchBackend, name: str, params: dict[str, Any], predicate: Predicate
) -> None:
    expected = _oracle(params, predicate)
    result = run(backend, {**params, "_results_number": 1000, "_columns": ["uuid"]})
    assert result["total"] == len(expected)
    assert {hit["uuid"] for hit in result["hits"]} == expected


# ---- same answer everywhere ------------------------------------------------------------------

QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("default", {}),
    (
        "columns and sort",
        {
            "_columns": ["uuid", "build_id", "uptime", "addons", "startup_crash"],
            "_sort": ["-uptime"],
        },
    ),
    ("sort text asc", {"_sort": ["signature", "-date"], "_columns": ["uuid", "signature"]}),
    (
        "sort missing last",
        {"_sort": ["process_type"], "_columns": ["uuid", "process_type"], "_results_number": 200},
    ),
    (
        "sort missing last desc",
        {
            "_sort": ["-accessibility", "uuid"],
            "_columns": ["uuid", "accessibility"],
            "_results_number": 200,
        },
    ),
    ("sort list", {"_sort": ["-addons"], "_columns": ["uuid", "addons"], "_results_number": 50}),
    ("paging", {"_results_number": 7, "_results_offset": 13, "_sort": ["uptime"]}),
    ("paging past the end", {"_results_offset": 9000, "_results_number": 1000}),
    ("no hits wanted", {"_results_number": 0, "_facets": ["product", "platform"]}),
    ("facets default", {"date": f">={(NOW - timedelta(days=30)).isoformat()}"}),
    (
        "facets many",
        {
            "_facets": [
                "product",
                "version",
                "platform",
                "process_type",
                "cpu_arch",
                "release_channel",
                "addons",
                "startup_crash",
                "accessibility",
                "cpu_count",
                "uptime_ts",
            ]
        },
    ),
    ("facets size", {"_facets": ["signature", "version"], "_facets_size": 3}),
    ("facets size zero", {"_facets": ["signature"], "_facets_size": 0}),
    ("facets empty", {"_facets": [""]}),
    ("facets on words-only field rejected via full", {"_facets": ["platform_version"]}),
    ("aggs one level", {"_aggs.product": ["version", "platform"]}),
    ("aggs two levels", {"_aggs.product.version": ["platform", "_cardinality.uptime"]}),
    ("aggs three levels", {"_aggs.product.version.platform": ["process_type"], "_facets_size": 4}),
    (
        "aggs with histogram leaf",
        {"_aggs.product": ["_histogram.date"], "_histogram_interval.date": ["week"]},
    ),
    (
        "histogram date day",
        {"_histogram.date": ["product"], "date": f">={(NOW - timedelta(days=14)).isoformat()}"},
    ),
    (
        "histogram date hour",
        {
            "_histogram.date": ["_cardinality.signature"],
            "_histogram_interval.date": ["1h"],
            "date": f">={(NOW - timedelta(days=1)).isoformat()}",
        },
    ),
    (
        "histogram date month",
        {
            "_facets": ["_histogram.date"],
            "_histogram_interval.date": ["month"],
            "date": f">={(NOW - timedelta(days=60)).isoformat()}",
        },
    ),
    (
        "histogram uptime",
        {"_histogram.uptime": ["platform"], "_histogram_interval.uptime": ["10000"]},
    ),
    (
        "histogram uptime_ts float",
        {"_facets": ["_histogram.uptime_ts"], "_histogram_interval.uptime_ts": ["100.5"]},
    ),
    (
        "histogram build_id",
        {"_histogram.build_id": ["version"], "_histogram_interval.build_id": ["10000000"]},
    ),
    (
        "histogram negative int",
        {"_histogram.ipc_system_error": ["product"], "_histogram_interval.ipc_system_error": ["3"]},
    ),
    (
        "histogram interval beyond 64 bits",
        {
            "_histogram.ipc_system_error": ["product"],
            "_histogram_interval.ipc_system_error": ["1e19"],
        },
    ),
    (
        "histogram interval 2^63-1",
        {"_facets": ["_histogram.uptime"], "_histogram_interval.uptime": ["9223372036854775807"]},
    ),
    (
        "histogram fractional interval on an int field",
        {"_facets": ["_histogram.uptime"], "_histogram_interval.uptime": ["0.000001"]},
    ),
    (
        "cardinality",
        {
            "_facets": [
                "_cardinality.signature",
                "_cardinality.uptime",
                "_cardinality.addons",
                "_cardinality.install_age",
            ]
        },
    ),
    ("cardinality per version", {"_aggs.version": ["_cardinality.install_age"]}),
    (
        "filters with facets",
        {"product": "Firefox", "signature": "!~OOM", "_facets": ["signature", "platform"]},
    ),
    ("regex on words-only field", {"modules_in_stack": "@x.*dll", "_facets": ["product"]}),
    ("text exact on words-only field", {"modules_in_stack": "=ntdll.dll"}),
    ("empty-phrase match", {"signature": "!!!"}),
    ("negated empty phrase", {"signature": "!:::"}),
    ("null and range ANDed", {"uptime": [">100", "__null__"]}),
    ("negated ranges", {"uptime": ["!>1000", "!<10"]}),
    ("unknown parameter ignored", {"not_a_field": "x", "_facets": ["product"]}),
    ("columns of protected field (anonymous)", {"_columns": ["uuid", "url", "user_comments"]}),
    (
        "edge values",
        {
            "date": f">={(NOW - timedelta(days=8)).isoformat()}",
            "version": "133.0",
            "product": "Firefox",
            "platform": "Linux",
            "_columns": [
                "uuid",
                "signature",
                "build_id",
                "uptime",
                "process_type",
                "modules_in_stack",
                "addons",
                "startup_crash",
                "date",
            ],
        },
    ),
    (
        "hostile values",
        {"signature": ["~\x00", "@" + "(a|a)*" * 20, "x" * 10_000], "product": "\x00"},
    ),
    ("regex with lucene-only literals", {"signature": "@.*<T>.*", "_facets": ["signature"]}),
]
PII_QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("protected filter", {"user_comments": "typing", "_columns": ["uuid", "user_comments", "url"]}),
    ("protected facets", {"_facets": ["url", "user_comments"], "_aggs.url": ["product"]}),
    ("protected sort", {"_sort": ["url", "-date"], "_columns": ["uuid", "url"]}),
]


def _answer(result: dict[str, Any]) -> dict[str, Any]:
    return {key: result[key] for key in ("hits", "total", "facets")}


@pytest.mark.parametrize("name,params", QUERIES, ids=[q[0] for q in QUERIES])
def test_same_answer_as_sqlite(
    backend: SearchBackend, reference: SqliteSearch, name: str, params: dict[str, Any]
) -> None:
    expected = _answer(run(reference, params))
    assert _answer(run(backend, params)) == expected


@pytest.mark.parametrize("name,params", PII_QUERIES, ids=[q[0] for q in PII_QUERIES])
def test_redaction(
    backend: SearchBackend, reference: SqliteSearch, name: str, params: dict[str, Any]
) -> None:
    anonymous = run(backend, params)
    with_pii = run(backend, params, pii=True)
    assert _answer(anonymous) == _answer(run(reference, params))
    assert _answer(with_pii) == _answer(run(reference, params, pii=True))
    for hit in anonymous["hits"]:
        assert "url" not in hit and "user_comments" not in hit
    assert "url" not in anonymous["facets"] and "user_comments" not in anonymous["facets"]
    stripped = {k: v for k, v in params.items() if k not in ("user_comments", "_aggs.url")}
    stripped = {
        k: [x for x in v if x.lstrip("-") not in ("url", "user_comments")]
        if isinstance(v, list)
        else v
        for k, v in stripped.items()
    }
    assert _answer(anonymous) == _answer(run(backend, stripped))


def test_protected_filter_and_columns_work_with_permission(backend: SearchBackend) -> None:
    result = run(
        backend, {"user_comments": "typing", "_columns": ["uuid", "user_comments"]}, pii=True
    )
    expected = _oracle({}, lambda c: has_phrase(c.get("user_comments", ""), "typing"))
    assert {hit["uuid"] for hit in result["hits"]} == expected
    assert all(hit["user_comments"] == "It crashed while typing" for hit in result["hits"])


def test_facet_counts_match_the_oracle(backend: SearchBackend) -> None:
    result = run(
        backend,
        {
            "_facets": ["signature", "addons", "startup_crash"],
            "_facets_size": 5,
            "_results_number": 0,
        },
    )
    matching = [DOCS[i] for i in _oracle({}, lambda c: True)]
    signatures = Counter(c["signature"] for c in matching if isinstance(c.get("signature"), str))
    expected = sorted(signatures.items(), key=lambda item: (-item[1], item[0]))[:5]
    assert [(b["term"], b["count"]) for b in result["facets"]["signature"]] == expected
    addons = Counter(a for c in matching for a in c.get("addons", []))
    expected = sorted(addons.items(), key=lambda item: (-item[1], item[0]))[:5]
    assert [(b["term"], b["count"]) for b in result["facets"]["addons"]] == expected
    flags = Counter(
        "T" if c.get("startup_crash") in (True, "true") else "F"
        for c in matching
        if "startup_crash" in c
    )
    assert {b["term"]: b["count"] for b in result["facets"]["startup_crash"]} == dict(flags)


def test_hits_shape(backend: SearchBackend) -> None:
    result = run(
        backend,
        {
            "_columns": ["uuid", "date", "build_id", "addons", "signature"],
            "_sort": ["uuid"],
            "_results_number": 1000,
        },
    )
    by_id = {hit["uuid"]: hit for hit in result["hits"]}
    edge = by_id["e0000003-0000-0000-0000-000000" + NOW.strftime("%y%m%d")]
    assert edge["build_id"] is None and edge["addons"] is None and edge["signature"] == ""
    assert edge["date"] == (NOW - timedelta(hours=1, microseconds=123456)).isoformat()
    assert list(edge) == ["uuid", "date", "build_id", "addons", "signature"]
    some = next(hit for hit in result["hits"] if isinstance(hit["build_id"], int))
    assert some["build_id"] > 20241000000000
    assert list(result) == ["hits", "total", "facets", "errors"]


def test_bad_data_is_fixed_up(backend: SearchBackend) -> None:
    crash_id = "e0000004-0000-0000-0000-000000" + NOW.strftime("%y%m%d")
    result = run(backend, {"uuid": crash_id, "_columns": ["signature", "process_type", "reason"]})
    (hit,) = result["hits"]
    assert hit["signature"] == "BAD DATA" or hit["signature"] is None
    assert hit["process_type"] == "BAD DATA"
    assert len(hit["reason"]) == 32_766


ERRORS: list[tuple[dict[str, Any], str]] = [
    ({"_columns": ["nope"]}, "Unknown field 'nope'"),
    ({"_results_number": "1001"}, "_results_number cannot be greater than 1,000"),
    ({"_results_number": "-1"}, "_results_number cannot be negative"),
    ({"_results_number": "many"}, "Bad value for parameter _results_number: not a valid int"),
    ({"_results_offset": "9500", "_results_number": "600"}, "cannot be greater than 10,000"),
    ({"_facets_size": "10001"}, "_facets_size cannot be greater than 10,000"),
    ({"date": "2024-01-01"}, "date must have a prefix operator"),
    ({"date": ">yesterday"}, "Bad value for parameter date: not a valid datetime"),
    ({"date": [">2020-01-01", "<2021-06-01"]}, "Date range is bigger than 365 days"),
    ({"uptime": ">ten"}, "Bad value for parameter uptime: not a valid int"),
    ({"uptime_ts": "<nan"}, "Bad value for parameter uptime_ts: not a valid float"),
    ({"signature": "@(unclosed"}, "not a valid regular expression"),
    ({"_facets": ["nope"]}, "Unknown field 'nope'"),
    ({"_sort": ["-nope"]}, "Unknown field 'nope'"),
    ({"_sort": ["--date"]}, "Unknown field '-date'"),
    ({"_sort": ["modules_in_stack"]}, "Cannot sort on field 'modules_in_stack'"),
    ({"_facets": ["modules_in_stack"]}, "Cannot aggregate on field 'modules_in_stack'"),
    ({"_histogram.signature": ["product"]}, "Cannot make a histogram of field 'signature'"),
    (
        {"_histogram.date": ["product"], "_histogram_interval.date": "fortnight"},
        "_histogram_interval.date",
    ),
    (
        {"_histogram.uptime": ["product"], "_histogram_interval.uptime": "-3"},
        "not a positive number",
    ),
    (
        {"_histogram.uptime": ["product"], "_histogram_interval.uptime": "1e-310"},
        "Bad value for parameter _histogram_interval.uptime: too small",
    ),
    (
        {"_facets": ["_histogram.uptime_ts"], "_histogram_interval.uptime_ts": "1e-7"},
        "Bad value for parameter _histogram_interval.uptime_ts: too small",
    ),
    ({"_aggs.product.version.platform.cpu_arch": ["signature"]}, "_aggs takes one to 3 fields"),
    ({"_aggs.nope": ["signature"]}, "Unknown field 'nope'"),
    ({"signature": "x" * 10_001}, "longer than 10,000 characters"),
]


@pytest.mark.parametrize("params,message", ERRORS, ids=[e[1] for e in ERRORS])
def test_errors(backend: SearchBackend, params: dict[str, Any], message: str) -> None:
    with pytest.raises(BadArgumentError, match=__import__("re").escape(message)):
        run(backend, params)


@pytest.mark.parametrize(
    "interval", ["1e19", "9223372036854775807", "18446744073709551616", "1e300"]
)
@pytest.mark.parametrize("field", ["uptime", "ipc_system_error"])
def test_an_interval_beyond_every_value(backend: SearchBackend, field: str, interval: str) -> None:
    """One bucket at 0 for the values >= 0 and one at -interval (the interval read as a double,
    as the cluster reads it) for the negative ones, with int terms on an int field."""
    params = {"_facets": [f"_histogram.{field}"], f"_histogram_interval.{field}": interval}
    values = [DOCS[i][field] for i in _oracle({}, lambda c: isinstance(c.get(field), int))]
    below = sum(1 for value in values if value < 0)
    counts = [(-int(float(interval)), below), (0, len(values) - below)]
    expected = [(term, count) for term, count in counts if count]
    buckets = run(backend, params, pii=True)["facets"][f"histogram_{field}"]
    assert [(bucket["term"], bucket["count"]) for bucket in buckets] == expected
    assert all(type(bucket["term"]) is int for bucket in buckets)


def test_an_interval_too_small_for_a_stored_value(backend: SearchBackend) -> None:
    """A value divided by the interval beyond the largest double is a 400 naming the parameter,
    never an infinite bucket or an internal error."""
    crash_id, crash = CORPUS[0]
    backend.index_crash(crash_id, {**crash, "uptime_ts": 1e308})
    backend.refresh()
    params = {
        "uuid": crash_id,
        "date": f">={(NOW - timedelta(days=31)).isoformat()}",
        "_facets": ["_histogram.uptime_ts"],
    }
    try:
        with pytest.raises(BadArgumentError, match="too small for the values") as caught:
            run(backend, {**params, "_histogram_interval.uptime_ts": "0.5"})
        assert caught.value.parameter == "_histogram_interval.uptime_ts"
        buckets = run(backend, {**params, "_histogram_interval.uptime_ts": "1e300"})["facets"]
        assert buckets["histogram_uptime_ts"] == [{"term": 1e308, "count": 1}]
    finally:
        backend.index_crash(crash_id, crash)
        backend.refresh()


def test_return_query(backend: SearchBackend) -> None:
    result = run(backend, {"product": "Firefox", "_return_query": "true"})
    assert set(result) == {"query", "indices"} and result["indices"]


def test_reindexing_overwrites(backend: SearchBackend) -> None:
    crash_id, crash = CORPUS[0]
    backend.index_crash(crash_id, {**crash, "signature": "reindexed | signature"})
    backend.refresh()
    try:
        result = run(
            backend,
            {
                "uuid": crash_id,
                "date": f">={(NOW - timedelta(days=31)).isoformat()}",
                "_columns": ["signature"],
            },
        )
        assert result["hits"] == [{"signature": "reindexed | signature"}]
    finally:
        backend.index_crash(crash_id, crash)
        backend.refresh()


# ---- random queries: every backend answers like SQLite; hostile ones never fail otherwise ----


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(params=valid_params(now=NOW))
def test_random_valid_queries_same_answer(
    backend: SearchBackend, reference: SqliteSearch, params: dict[str, Any]
) -> None:
    expected = _answer(run(reference, params, pii=True))
    assert _answer(run(backend, params, pii=True)) == expected


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(params=any_params)
def test_hostile_queries_are_answered_or_rejected(
    backend: SearchBackend, params: dict[str, Any]
) -> None:
    try:
        run(backend, params, pii=True)
    except BadArgumentError as exc:
        assert str(exc)
