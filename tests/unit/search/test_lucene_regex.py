"""The Lucene-syntax matcher: agrees with Python's re on the shared syntax, never blows up."""

from __future__ import annotations

import random
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jansky.search.lucene_regex import RegexError, compile_pattern


@pytest.mark.parametrize(
    "pattern,value,expected",
    [
        ("abc", "abc", True),
        ("abc", "abcd", False),
        ("a.c", "a\nc", True),
        ("(ab|cd){2}", "abcd", True),
        ("a{2,}", "a", False),
        ("[^a-c]+", "xyz", True),
        ('"a.b"+', "a.ba.b", True),
        ("\\d+\\.\\d", "12.5", True),
        ("^x$", "^x$", True),
        ("a<b>c&d~e#f@g", "a<b>c&d~e#f@g", True),
        ("", "", True),
        ("()", "", True),
        ("Ünï.*", "Ünïcødé", True),
    ],
)
def test_matches(pattern: str, value: str, expected: bool) -> None:
    assert compile_pattern(pattern).fullmatch(value) is expected


@pytest.mark.parametrize(
    "pattern", ["(", "a)", "a|", "|a", "[a", "a{2,1}", "a{x}", '"ab', "x" * 1001]
)
def test_malformed(pattern: str) -> None:
    with pytest.raises(RegexError):
        compile_pattern(pattern)


@pytest.mark.parametrize(
    "pattern,value",
    [("(a+)+b", "a" * 20_000), (".*.*.*.*.*.*x", "y" * 20_000), ("(a|aa)*c", "a" * 20_000)],
)
def test_no_catastrophic_backtracking(pattern: str, value: str) -> None:
    started = time.process_time()
    assert compile_pattern(pattern).fullmatch(value) is False
    assert time.process_time() - started < 5  # linear: well under a second in practice


def test_state_explosion_is_an_error() -> None:
    matcher = compile_pattern("(a|b)*a(a|b){14}")
    rng = random.Random(1)
    value = "".join(rng.choice("ab") for _ in range(200_000))
    with pytest.raises(RegexError, match="too complex"):
        matcher.fullmatch(value)


ATOMS = st.sampled_from(["a", "b", ".", "[ab]", "[^a]", "(a|b)", "(ab)", "\\d", "x"])
QUANTIFIERS = st.sampled_from(["", "", "*", "+", "?", "{2}", "{1,3}"])


@st.composite
def patterns(draw) -> str:
    parts = draw(st.lists(st.tuples(ATOMS, QUANTIFIERS).map("".join), min_size=1, max_size=5))
    return "".join(parts)


@settings(max_examples=300, deadline=None)
@given(patterns(), st.text(alphabet="abx1", max_size=8))
def test_agrees_with_python_re(pattern: str, value: str) -> None:
    expected = re.fullmatch(pattern, value, re.DOTALL) is not None
    assert compile_pattern(pattern).fullmatch(value) is expected
