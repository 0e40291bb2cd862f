"""orjson with the standard library behind it: the same result whichever library wrote it."""

from __future__ import annotations

import datetime
import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jansky import fastjson

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=25,
)


def standard(data):
    """What the encoder promises, written by the standard library alone."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


@given(VALUES)
def test_encoding_reads_back_as_the_standard_library_writes_it(data):
    encoded = fastjson.encode_sorted(data)
    assert encoded.isascii()
    assert json.loads(encoded) == json.loads(standard(data))


@given(st.dictionaries(st.text(), VALUES, max_size=6))
def test_keys_are_sorted_at_every_level(data):
    def keys_sorted(value):
        if isinstance(value, dict):
            return list(value) == sorted(value) and all(map(keys_sorted, value.values()))
        if isinstance(value, list):
            return all(map(keys_sorted, value))
        return True

    assert keys_sorted(json.loads(fastjson.encode_sorted(data), object_pairs_hook=dict))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # orjson writes these itself.
        ({"b": [1, 2.5, None, True], "a": "x"}, b'{"a":"x","b":[1,2.5,null,true]}'),
        # Non-ASCII text, lone surrogates, integers beyond 64 bits and keys that are not strings
        # go through the standard library.
        ({"b": "\u00e9\u2603", "a": 1}, b'{"a":1,"b":"\\u00e9\\u2603"}'),
        ({"s": "\ud800"}, b'{"s":"\\ud800"}'),
        ({"n": 2**64}, b'{"n":18446744073709551616}'),
        ({2: "b", 1: "a"}, b'{"1":"a","2":"b"}'),
    ],
)
def test_encoding(data, expected):
    assert fastjson.encode_sorted(data) == expected


@pytest.mark.parametrize("text", ["plain", "caf\u00e9"])  # orjson, then the standard library
def test_floats_that_are_not_finite_become_null_either_way(text):
    data = {"nan": math.nan, "inf": [math.inf, -math.inf], "t": text}
    assert json.loads(fastjson.encode_sorted(data)) == {"inf": [None, None], "nan": None, "t": text}


@pytest.mark.parametrize("text", ["plain", "caf\u00e9"])
def test_default_converts_dates_either_way(text):
    when = datetime.datetime(2024, 5, 6, 7, 8, 9, 10, tzinfo=datetime.UTC)
    data = {"when": when, "day": when.date(), "t": text}
    decoded = json.loads(fastjson.encode_sorted(data, default=lambda value: value.isoformat()))
    assert decoded == {"day": "2024-05-06", "t": text, "when": "2024-05-06T07:08:09.000010+00:00"}


def test_what_json_cannot_hold_is_an_error():
    with pytest.raises(TypeError):
        fastjson.encode_sorted({"x": object()})
    with pytest.raises(TypeError):
        fastjson.encode_sorted({"when": datetime.date(2024, 1, 1)})  # no default given
    circular: list = []
    circular.append(circular)
    with pytest.raises(ValueError):
        fastjson.encode_sorted(circular)


@given(VALUES)
def test_decoding_matches_the_standard_library(data):
    text = json.dumps(data).encode()
    decoded = fastjson.decode(text)
    if any(isinstance(value, int) and not -(2**63) <= value < 2**64 for value in _leaves(data)):
        return  # documented: orjson reads integers past i64 and u64 as floats
    assert decoded == json.loads(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b'{"a": NaN}', "nan"),  # orjson refuses these; the standard library reads them
        (b'"\\ud800"', "\ud800"),
        (b"1e400", math.inf),
    ],
)
def test_decoding_what_orjson_refuses(text, expected):
    decoded = fastjson.decode(text)
    if expected == "nan":
        assert math.isnan(decoded["a"])
    else:
        assert decoded == expected


@pytest.mark.parametrize("text", [b"{", b"", b"\xff", b"[1,]"])
def test_bad_json_is_a_value_error(text):
    with pytest.raises(ValueError):
        fastjson.decode(text)


def _leaves(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value
