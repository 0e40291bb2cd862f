"""Hostile input never breaks processing: fuzzed minidumps and annotations through the pipeline."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jansky.schemas import load_schema
from processor.pipeline import Pipeline
from processor.rules.stackwalker import MinidumpStackwalkRule
from processor.rulesets import build_rulesets
from processor.stackwalker import Stackwalker
from tests.unit.processor.conftest import CRASH_ID, raw_crash

# JANSKY_FUZZ_EXAMPLES raises the number of examples for a longer hunt.
FUZZ = settings(
    max_examples=int(os.environ.get("JANSKY_FUZZ_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
SCHEMA = load_schema("processed_crash")
ANNOTATION_NAMES = [
    *sorted(SCHEMA.source_annotations().values()),
    "CrashTime",
    "InstallTime",
    "Add-ons",
    "Breadcrumbs",
    "JavaStackTrace",
    "ProcessType",
    "PHCKind",
    "PHCBaseAddress",
    "MozCrashReason",
    "ModuleSignatureInfo",
    "submitted_timestamp",
    "metadata",
]
hostile_text = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["\0", "1e999", "-0", "9" * 5000, "{" * 2000, '{"a": NaN}', "[]", "null"]),
)
hostile_value = st.one_of(
    hostile_text, st.integers(), st.floats(), st.none(), st.booleans(), st.lists(st.integers())
)


def pipeline_for(stackwalker: Stackwalker) -> Pipeline:
    return Pipeline(build_rulesets(SCHEMA, MinidumpStackwalkRule(stackwalker), mozilla=True))


def check(processed: dict) -> None:
    assert processed["success"] is True
    json.dumps(processed, allow_nan=False)
    assert SCHEMA.validate(processed) == []


@pytest.fixture
def pipeline(stackwalker) -> Pipeline:
    return pipeline_for(stackwalker)


def walk(pipeline: Pipeline, dump: bytes, raw: dict | None = None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dump"
        path.write_bytes(dump)
        return pipeline.process(
            CRASH_ID, "default", raw or raw_crash(), {"upload_file_minidump": path}, {}, Path(tmp)
        )


@FUZZ
@given(data=st.data())
def test_truncated_and_bit_flipped_minidumps(pipeline, rust_minidump, data):
    original_dump = (rust_minidump / "test.dmp").read_bytes()
    dump = bytearray(original_dump[: data.draw(st.integers(0, len(original_dump)))])
    for position in data.draw(st.lists(st.integers(0, max(0, len(dump) - 1)), max_size=20)):
        if dump:
            dump[position] ^= 1 << data.draw(st.integers(0, 7))
    check(walk(pipeline, bytes(dump)))


@FUZZ
@given(dump=st.one_of(st.binary(max_size=4096), st.binary(max_size=64).map(lambda b: b"MDMP" + b)))
def test_random_minidumps(pipeline, dump):
    check(walk(pipeline, dump))


@FUZZ
@given(
    annotations=st.dictionaries(
        st.sampled_from(ANNOTATION_NAMES) | st.text(max_size=30), hostile_value
    )
)
def test_hostile_annotations(pipeline, rust_minidump, annotations):
    dump = (rust_minidump / "test.dmp").read_bytes()
    check(walk(pipeline, dump, {**raw_crash(), **annotations}))
