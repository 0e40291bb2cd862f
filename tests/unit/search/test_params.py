"""Super Search parameter parsing: operators, combination, dates, meta parameters, errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings

from jansky.search.errors import BadArgumentError
from jansky.search.params import parse_params
from jansky.search.query import MATCH
from tests.unit.search.strategies import NOW, REGISTRY, any_params, valid_params


def parse(params):
    return parse_params(params, REGISTRY, now=NOW)


def clause(query, name):
    return next(c for c in query.clauses if c.field.name == name)


def test_defaults() -> None:
    query = parse({})
    assert [f.name for f in query.columns] == ["uuid", "date", "signature", "product", "version"]
    assert (query.size, query.offset, query.facets_size) == (100, 0, 50)
    assert [a.name for a in query.aggregations] == ["signature"]
    assert query.date_to == NOW and query.date_from == NOW - timedelta(days=7)


def test_operators_by_type() -> None:
    query = parse(
        {
            "signature": ["=a", "~b", "^c", "$d", "@e", "!~f", "g", "!h", "!i"],
            "uptime": [">1", "<=9", "5"],
            "startup_crash": "__true__",
            "product": ["~Firefox"],
        }
    )
    sig = clause(query, "signature")
    found = [(c.operator, c.values, c.negated) for c in sig.alternatives]
    assert found == [
        (MATCH, ("g",), False),
        ("=", ("a",), False),
        ("~", ("b",), False),
        ("^", ("c",), False),
        ("$", ("d",), False),
        ("@", ("e",), False),
        ("~", ("f",), True),
        (MATCH, ("h", "i"), True),
    ]
    uptime = clause(query, "uptime")
    assert [(c.operator, c.values) for c in uptime.ranges] == [(">", (1,)), ("<=", (9,))]
    assert [(c.operator, c.values) for c in uptime.alternatives] == [(MATCH, (5,))]
    # "~" is not an enum operator: the characters stay part of the value
    assert clause(query, "product").alternatives[0].values == ("~Firefox",)


def test_version_beta_convenience() -> None:
    (condition,) = clause(parse({"version": "68.0b"}), "version").alternatives
    assert (condition.operator, condition.values) == ("^", ("68.0b",))


def test_date_folding_keeps_tightest_bounds() -> None:
    query = parse(
        {
            "date": [
                ">2026-05-01",
                ">=2026-05-10",
                ">2026-05-10",
                "<2026-06-01T00:00:00+02:00",
                "<=2026-06-10",
            ]
        }
    )
    low, high = clause(query, "date").ranges
    assert (low.operator, low.values[0].isoformat()) == (">", "2026-05-10T00:00:00+00:00")
    assert (high.operator, high.values[0].isoformat()) == ("<", "2026-05-31T22:00:00+00:00")


def test_date_defaults_from_upper_bound() -> None:
    query = parse({"date": "<2026-03-01"})
    assert query.date_from.isoformat() == "2026-02-22T00:00:00+00:00"


def test_facets_size_zero_disables_aggregations() -> None:
    assert parse({"_facets": "product", "_facets_size": "0"}).aggregations == ()


def test_nested_aggregations() -> None:
    query = parse({"_aggs.product.version": ["platform", "_cardinality.uptime"]})
    product = next(a for a in query.aggregations if a.name == "product")
    (version,) = product.children
    assert [c.name for c in version.children] == ["platform", "cardinality_uptime"]


def test_histogram_intervals() -> None:
    query = parse(
        {
            "_histogram.date": "product",
            "_histogram_interval.date": "1w",
            "_facets": ["_histogram.uptime_ts"],
            "_histogram_interval.uptime_ts": "2.5",
        }
    )
    intervals = {a.name: a.interval for a in query.aggregations}
    assert intervals == {"histogram_date": "week", "histogram_uptime_ts": 2.5}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10000", 10_000),
        ("1e19", 10**19),
        # read as a double, as the cluster reads it: 2^63-1 is 2^63
        ("9223372036854775807", 2**63),
        ("18446744073709551616", 2**64),
        ("2.5", 2.5),
        ("0.000001", 1e-6),
    ],
)
def test_numeric_intervals_on_an_int_field(text: str, expected: int | float) -> None:
    params = {"_facets": ["_histogram.uptime"], "_histogram_interval.uptime": text}
    (histogram,) = parse(params).aggregations
    assert histogram.interval == expected
    assert type(histogram.interval) is type(expected)


def test_numeric_intervals_on_a_float_field_stay_floats() -> None:
    params = {"_facets": ["_histogram.uptime_ts"], "_histogram_interval.uptime_ts": "1e19"}
    (histogram,) = parse(params).aggregations
    assert histogram.interval == 1e19 and isinstance(histogram.interval, float)


@pytest.mark.parametrize("field", ["uptime", "uptime_ts"])
@pytest.mark.parametrize("text", ["1e-310", "5e-324", "1e-7", "0.0000009"])
def test_too_small_intervals_are_refused(field: str, text: str) -> None:
    parameter = f"_histogram_interval.{field}"
    with pytest.raises(BadArgumentError, match=r"at least 0\.000001") as caught:
        parse({"_facets": [f"_histogram.{field}"], parameter: text})
    assert caught.value.parameter == parameter
    assert str(caught.value).startswith(f"Bad value for parameter {parameter}: ")


@pytest.mark.parametrize(("text", "descending"), [("date", False), ("-date", True)])
def test_sort_direction(text: str, descending: bool) -> None:
    (key,) = parse({"_sort": text}).sort
    assert (key.field.name, key.descending) == ("date", descending)


@pytest.mark.parametrize("text", ["--date", "---date", "-", "--"])
def test_only_one_leading_dash_marks_descending(text: str) -> None:
    with pytest.raises(BadArgumentError, match=f"Unknown field '{text[1:]}'") as caught:
        parse({"_sort": text})
    assert caught.value.parameter == "_sort"


@pytest.mark.parametrize(
    "params,message",
    [
        ({"_columns": "nope"}, "Unknown field 'nope'"),
        ({"_results_number": "1001"}, "_results_number cannot be greater than 1,000"),
        ({"_results_offset": "-5"}, "_results_offset cannot be negative"),
        ({"date": "2026-01-01"}, "date must have a prefix operator"),
        ({"date": [">2025-01-01", "<2026-06-01"]}, "Date range is bigger than 365 days"),
        ({"build_id": "abc"}, "Bad value for parameter build_id: not a valid int"),
        ({"signature": "@a{3,1}"}, "not a valid regular expression"),
        ({"_facets": "date"}, "use _histogram.date"),
        ({"product": ["x"] * 1001}, "Too many values for parameter product"),
    ],
)
def test_errors(params, message) -> None:
    with pytest.raises(BadArgumentError, match=message):
        parse(params)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_params())
def test_valid_params_never_raise(params) -> None:
    query = parse(params)
    assert query.size <= 1000 and query.offset + query.size <= 10_000


@settings(max_examples=500, deadline=None)
@given(any_params)
def test_any_params_parse_or_give_a_bad_argument(params) -> None:
    try:
        parse(params)
    except BadArgumentError as exc:
        assert str(exc)
