"""Hostile crash data: every input gives a signature (and notes), never an exception."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processor.signature import SignatureGenerator, load_lists
from processor.signature.explain import explain
from processor.signature.frames import MAX_FIELD_LENGTH


@pytest.fixture(scope="module")
def generator() -> SignatureGenerator:
    return SignatureGenerator(load_lists())


def _check(result: Any) -> None:
    # An empty string is possible, as in Socorro: a thread whose only frames carry no data
    # falls back to its first (empty) frame.
    assert isinstance(result.signature, str)
    assert len(result.signature) <= 255
    assert all(" " <= char <= "~" for char in result.signature)


def _thread(*frames: Any) -> dict[str, Any]:
    return {"crashing_thread": 0, "threads": [{"frames": list(frames)}]}


HOSTILE = {
    "not a dict": ["threads"],
    "none": None,
    "threads is a dict": {"threads": {"0": {"frames": []}}},
    "thread is a string": {"threads": ["frames"]},
    "frames is a dict": {"threads": [{"frames": {"function": "f"}}]},
    "frames are not objects": _thread(1, None, "foo", ["x"], {"function": "real"}),
    "function is a number": _thread({"function": 12, "module": "m.dll"}),
    "function is a dict": _thread({"function": {"a": 1}}, {"function": "ok"}),
    "file is a list": _thread({"function": "f", "file": ["a.rs"]}),
    "module is a number": _thread({"module": 5, "offset": "0x10"}),
    "line is an object": _thread({"file": "a.cpp", "line": {"n": 1}}),
    "offset is a list": _thread({"offset": [1, 2]}),
    "unloaded modules of numbers": _thread({"unloaded_modules": [1, 2]}),
    "unloaded modules is a string": _thread({"unloaded_modules": "many.dll"}),
    "inlines is a dict": _thread({"function": "f", "inlines": {"function": "g"}}),
    "inlines of numbers": _thread({"function": "f", "inlines": [1, None]}),
    "crashing thread is text": {
        "crashing_thread": "x",
        "threads": [{"frames": [{"function": "a"}]}],
    },
    "crashing thread is huge": {"crashing_thread": 10**30, "threads": []},
    "crashing thread is infinite": {"crashing_thread": float("inf"), "threads": []},
    "crashing thread is negative": {"crashing_thread": -1, "threads": [{"frames": []}]},
    "oom size is text": {"oom_allocation_size": "lots"},
    "oom size is a dict": {"oom_allocation_size": {"n": 1}},
    "abort message is a number": {"abort_message": 12},
    "shutdown timeout is a dict": {"async_shutdown_timeout": {"phase": "x"}},
    "shutdown timeout is a JSON list": {"async_shutdown_timeout": "[1, 2]"},
    "shutdown conditions is a number": {"async_shutdown_timeout": '{"conditions": 5}'},
    "ipc channel error is a number": {"ipc_channel_error": 7},
    "additional minidumps is a number": {"ipc_channel_error": "x", "additional_minidumps": 3},
    "reason is a list": {"reason": ["EXCEPTION_STACK_OVERFLOW"]},
    "java stack trace is a dict": {"java_stack_trace": {"a": 1}},
    "java exception is a list": {"java_exception": [1]},
    "java exception values is a dict": {"java_exception": {"exception": {"values": {"0": 1}}}},
    "last error value is a dict": {"threads": [{"frames": [], "last_error_value": {}}]},
    "hang is a dict": {"hang": {"a": 1}},
    "deep template nesting": _thread({"function": "<" * 50000 + ">" * 50000}),
    "deep ParamTraits nesting": _thread({"function": "IPC::ParamTraits<" * 5000 + "x"}),
    "deep parentheses": _thread({"function": "f" + "(" * 50000}),
    "huge function": _thread({"function": "a" * (MAX_FIELD_LENGTH * 20)}),
    "huge module": _thread({"module": "m" * (MAX_FIELD_LENGTH * 20) + ".dll"}),
    "huge offset": _thread({"offset": "z" * (MAX_FIELD_LENGTH * 20)}),
    "huge abort message": {"abort_message": "###!!! ABORT: " + "x" * 5_000_000},
    "control characters": _thread({"function": "a\x00b\x1b[31mc\r\n"}),
}


@pytest.mark.parametrize("data", HOSTILE.values(), ids=list(HOSTILE))
def test_hostile_input_gives_a_signature_without_failing_rules(
    generator: SignatureGenerator, data: Any
) -> None:
    result = generator.generate(data)
    _check(result)
    assert not [note for note in result.notes if "Rule failed" in note]


def test_wrong_types_are_noted(generator: SignatureGenerator) -> None:
    result = generator.generate(_thread(1, {"function": 12}, {"function": "ok"}))
    assert result.signature == "ok"
    assert "SignatureGenerationRule: frame 0 is int, not an object; ignored" in result.notes
    assert (
        "SignatureGenerationRule: frame 1: function is int, not a string; ignored" in result.notes
    )


def test_huge_strings_are_cut(generator: SignatureGenerator) -> None:
    result = generator.generate(_thread({"function": "x" * 10_000_000}))
    assert any("was cut" in note for note in result.notes)
    assert result.signature == "x" * 252 + "..."


def test_a_rule_that_raises_is_reported_and_skipped(generator: SignatureGenerator) -> None:
    """Nested values whose repr recurses too deep fail one rule; the others still run."""
    nested: Any = []
    for _ in range(100000):
        nested = [nested]
    reported = []
    result = generator.generate(
        {"hang": nested, "reason": "EXCEPTION_STACK_OVERFLOW"},
        error_handler=lambda data, exc_info, extra: reported.append(extra["rule"]),
    )
    assert reported == ["HungProcess"]
    assert result.signature == "stackoverflow | EMPTY: no frame data available"
    assert any(note.startswith("HungProcess: Rule failed:") for note in result.notes)


JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
FRAME_KEYS = ["function", "file", "line", "module", "offset", "inlines", "unloaded_modules"]
FRAMES = st.lists(
    st.dictionaries(st.sampled_from(FRAME_KEYS), JSON_VALUES | st.text(max_size=40), max_size=6)
    | JSON_VALUES,
    max_size=8,
)
CRASH_KEYS = [
    "hang",
    "oom_allocation_size",
    "js_large_allocation_failure",
    "abort_message",
    "mdsw_status_string",
    "async_shutdown_timeout",
    "ipc_channel_error",
    "ipc_message_name",
    "additional_minidumps",
    "crashing_thread",
    "reason",
    "os",
    "java_exception",
    "java_stack_trace",
]
CRASHES = st.fixed_dictionaries(
    {"threads": st.lists(st.fixed_dictionaries({"frames": FRAMES}) | JSON_VALUES, max_size=3)},
    optional={key: JSON_VALUES for key in CRASH_KEYS},
)


@settings(max_examples=300, deadline=None)
@given(data=CRASHES)
def test_fuzzed_crash_data_never_escapes_the_generator(data: dict[str, Any]) -> None:
    generator = SignatureGenerator(load_lists())
    result = generator.generate(data)
    _check(result)
    explained = generator.generate(data, explain=True)
    assert explained.signature == result.signature
    assert explain(explained, "lists").startswith(f"signature: {result.signature}")
