"""The JSON shape check that runs before annotations are parsed."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antenna.json_shape import JsonShapeError, check_json_shape

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='ab[]{},"\\:é', max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(alphabet='a[{,"', max_size=4), children, max_size=4)
    ),
    max_leaves=30,
)


def depth_of(value) -> int:
    if isinstance(value, list):
        return 1 + max((depth_of(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth_of(item) for item in value.values()), default=0)
    return 0


@given(json_values)
def test_depth_is_exact_whatever_the_strings_hold(value):
    data = json.dumps(value).encode()
    depth = depth_of(value)
    check_json_shape(data, max_depth=max(depth, 1), max_elements=10_000)
    if depth > 1:
        with pytest.raises(JsonShapeError) as caught:
            check_json_shape(data, max_depth=depth - 1, max_elements=10_000)
        assert caught.value.reason == "json_too_deep"


def test_elements_are_counted_outside_strings_only():
    many = json.dumps({"a": [0] * 1000}).encode()
    with pytest.raises(JsonShapeError) as caught:
        check_json_shape(many, max_depth=5, max_elements=500)
    assert caught.value.reason == "json_too_many_elements"
    in_a_string = json.dumps({"a": "[0," * 1000}).encode()
    check_json_shape(in_a_string, max_depth=5, max_elements=500)


def test_escaped_quotes_do_not_end_a_string():
    data = b'{"a": "\\"[[[[[[\\\\", "b": "x\\\\\\"]]]]"}'
    assert json.loads(data)
    check_json_shape(data, max_depth=1, max_elements=10)


def test_the_scan_stops_at_the_first_element_over_the_limit():
    data = b"[" + b"{}," * 10_000_000 + b"{}]"  # 30 MB: walking it all would take seconds
    with pytest.raises(JsonShapeError, match="more than 1000 elements"):
        check_json_shape(data, max_depth=5, max_elements=1000)
