"""Data-driven vectors for every normalization step, list behaviour, rule and worked example."""

from __future__ import annotations

import json
from typing import Any

import pytest

from processor.signature import SignatureGenerator, load_lists, normalize
from processor.signature.frames import FrameNormalizer, frame_list
from processor.signature.java import java_exception_signature, java_stack_trace_signature
from processor.signature.result import Result
from processor.signature.rules import default_ruleset
from processor.signature.siglists import SignatureLists
from processor.signature.walk import FrameWalker
from tests.unit.signature_support import (
    VECTORS,
    socorro_lists_dir,
    stackwalk_output,
    vector_id,
    vectors,
)

LINE_LISTS = SignatureLists.from_lines(line_numbers=["js_Interpret"])


@pytest.fixture(scope="module")
def socorro_generator() -> SignatureGenerator:
    return SignatureGenerator(load_lists(socorro_lists_dir()))


def _normalize_one(frame: dict[str, Any], os_name: str = "Linux") -> str:
    notes: list[str] = []
    frames = frame_list(
        {"frames": [frame]}, os_name == "Windows NT", FrameNormalizer(LINE_LISTS), notes
    )
    assert notes == []
    return frames[0]


@pytest.mark.parametrize("vector", vectors("cpp_functions.json"), ids=vector_id)
def test_cpp_function(vector: dict[str, Any]) -> None:
    frame = {"function": vector["function"], "line": vector.get("line")}
    assert _normalize_one(frame) == vector["expected"]


@pytest.mark.parametrize("vector", vectors("rust_functions.json"), ids=vector_id)
def test_rust_function(vector: dict[str, Any]) -> None:
    frame = {"function": vector["function"], "file": vector["file"], "line": vector.get("line")}
    assert _normalize_one(frame) == vector["expected"]


@pytest.mark.parametrize("vector", vectors("frames.json"), ids=lambda v: repr(v["frame"])[:60])
def test_frame(vector: dict[str, Any]) -> None:
    assert _normalize_one(vector["frame"], vector.get("os", "Linux")) == vector["expected"]


@pytest.mark.parametrize("vector", vectors("pieces.json"), ids=vector_id)
def test_normalization_piece(vector: dict[str, Any]) -> None:
    function = getattr(normalize, vector["function"])
    assert function(vector["input"]) == vector["expected"]


def test_explained_normalization_matches_cached_one() -> None:
    """--explain recomputes each step; it must land on the same strings as the fast path."""
    normalizer = FrameNormalizer(LINE_LISTS)
    for vector in vectors("cpp_functions.json") + vectors("rust_functions.json"):
        frame = {k: vector.get(k) for k in ("function", "file", "line")}
        fast = frame_list({"frames": [frame]}, False, normalizer, [])
        traces: list = []
        slow = frame_list({"frames": [frame]}, False, normalizer, [], traces)
        assert slow == fast
        assert traces[0].normalized == fast[0]


WALK = json.loads((VECTORS / "walk.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "vector", WALK["vectors"], ids=lambda v: " ".join(v["frames"])[:60] or "none"
)
def test_walk(vector: dict[str, Any]) -> None:
    lists = SignatureLists.from_lines(**WALK["lists"])
    notes: list[str] = []
    debug: list[str] = []
    thread = vector.get("crashed_thread", 0)
    signature = FrameWalker(lists).generate(list(vector["frames"]), thread, notes, debug)
    assert signature == vector["expected"]
    assert notes == vector.get("notes", [])
    if "debug" in vector:
        assert vector["debug"] in debug


def test_conditional_sentinel_applies_only_when_its_predicate_holds() -> None:
    lists = SignatureLists.from_lines(sentinels=[("s", lambda frames: "trigger" in frames)])
    walker = FrameWalker(lists)
    assert walker.generate(["a", "s", "trigger"], 0, [], []) == "s"
    assert walker.generate(["a", "s", "b"], 0, [], []) == "a"


@pytest.fixture(scope="module")
def socorro_rules(socorro_generator: SignatureGenerator) -> dict[str, Any]:
    return {rule.name: rule for rule in default_ruleset(socorro_generator.lists)}


@pytest.mark.parametrize("vector", vectors("rules.json"), ids=vector_id)
def test_rule(vector: dict[str, Any], socorro_rules: dict[str, Any]) -> None:
    rule = socorro_rules[vector["rule"]]
    result = Result(signature=vector["signature"])
    if rule.predicate(vector["data"], result):
        rule.action(vector["data"], result)
    assert result.signature == vector["expected"]
    if "notes" in vector:
        assert result.notes == vector["notes"]
    if result.signature != vector["signature"]:
        assert result.deciding_rule in (vector["rule"], "SignatureGenerationRule")


@pytest.mark.parametrize("vector", vectors("crashes.json"), ids=vector_id)
def test_crash(vector: dict[str, Any], socorro_generator: SignatureGenerator) -> None:
    result = socorro_generator.generate(vector["crash_data"])
    assert result.signature == vector["expected"]
    if "notes" in vector:
        assert result.notes == vector["notes"]
    if "proto_signature" in vector:
        assert result.proto_signature == vector["proto_signature"]


@pytest.mark.parametrize("vector", vectors("java.json", "java_stack_trace"), ids=vector_id)
def test_java_stack_trace(vector: dict[str, Any]) -> None:
    assert java_stack_trace_signature(vector["java_stack_trace"]) == (
        vector["expected"],
        vector["notes"],
    )


@pytest.mark.parametrize("vector", vectors("java.json", "java_exception"), ids=vector_id)
def test_java_exception(vector: dict[str, Any]) -> None:
    assert java_exception_signature(vector["java_exception"]) == (
        vector["expected"],
        vector["notes"],
    )


@pytest.mark.parametrize("vector", vectors("stackwalk.json"), ids=vector_id)
def test_stackwalker_output(vector: dict[str, Any], socorro_generator: SignatureGenerator) -> None:
    result = socorro_generator.generate({"json_dump": stackwalk_output(vector["file"])})
    assert result.signature == vector["expected"]
    if "proto_signature" in vector:
        assert result.proto_signature == vector["proto_signature"]
