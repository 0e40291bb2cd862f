"""The memory report rules: reading the gzipped dump and extracting ``memory_measures``."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processor.pipeline import Pipeline
from processor.rules import mozilla as moz
from processor.rules.base import CrashContext, Rule
from processor.rules.stackwalker import MinidumpStackwalkRule
from processor.rulesets import build_rulesets
from tests.unit.processor.conftest import CRASH_ID, raw_crash

PID = 4242
HEAP, NONHEAP, OTHER = moz.KIND_HEAP, moz.KIND_NONHEAP, 2
BYTES, COUNT = moz.UNITS_BYTES, 1


def entry(
    path: str, amount: int, kind: int = OTHER, units: int = BYTES, pid: int = PID
) -> dict[str, Any]:
    return {
        "process": f"Web Content (pid {pid})",
        "path": path,
        "kind": kind,
        "units": units,
        "amount": amount,
        "description": "d",
    }


def report(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "hasMozMallocUsableSize": True, "reports": list(entries)}


def gzipped(tmp_path: Path, data: bytes, name: str = "memory_report") -> Path:
    path = tmp_path / name
    path.write_bytes(gzip.compress(data))
    return path


# A report of the crashing process, with every kind of entry the extraction reads, plus entries
# of other processes (pid 424 and 42420 must not be taken for 4242).
GOOD_REPORT = report(
    entry("explicit/heap-overhead/bin-unused", 10, HEAP),
    entry("explicit/images/content/raster/used", 20, NONHEAP),
    entry("explicit/images/chrome", 5, HEAP),
    entry("explicit/window-objects/top(none)/detached/window(about:blank)", 7, HEAP),
    entry("explicit/dom/other", 100, HEAP),
    entry("explicit/js-non-window/zones", 30, NONHEAP),
    entry("js-main-runtime/zones", 40),
    entry("js-main-runtime/realms", 2),
    entry("heap-allocated", 500),
    entry("gfx-textures", 11),
    entry("ghost-windows", 3, units=COUNT),
    entry("ghost-windows", 1, units=COUNT),
    entry("host-object-urls", 2, units=COUNT),
    entry("private", 1000),
    entry("resident", 2000),
    entry("resident-unique", 1500),
    entry("system-heap-allocated", 50),
    entry("vsize", 9000),
    entry("vsize-max-contiguous", 800),
    entry("redundant/page-faults", 999),
    entry("explicit/dom/other", 10**6, HEAP, pid=424),
    entry("heap-allocated", 10**6, pid=42420),
)
GOOD_MEASURES = {
    "explicit": 500 + 20 + 30,  # heap-allocated + explicit non-heap
    "gfx_textures": 11,
    "ghost_windows": 4,
    "heap_allocated": 500,
    "heap_overhead": 10,
    "heap_unclassified": 500 - (10 + 5 + 7 + 100),  # heap-allocated - explicit heap
    "host_object_urls": 2,
    "images": 25,
    "js_main_runtime": 42,
    "private": 1000,
    "resident": 2000,
    "resident_unique": 1500,
    "system_heap_allocated": 50,
    "top_none_detached": 7,
    "vsize": 9000,
    "vsize_max_contiguous": 800,
}


def test_measures_of_the_crashing_process():
    assert moz.memory_measures(GOOD_REPORT, PID) == GOOD_MEASURES


def test_measures_are_the_schema_properties(schema):
    assert sorted(schema.document["$defs"]["memory_measures"]["properties"]) == moz.MEMORY_MEASURES


def test_hand_checked_types_are_the_schema_types(schema):
    definition = schema.document["$defs"]["memory_report"]["properties"]
    names = {name: type_ for type_, name in moz.JSON_TYPE_NAMES.items()}
    top = {key: names[value["type"]] for key, value in definition.items()}
    items = definition["reports"]["items"]["properties"]
    assert top == moz.REPORT_FIELD_TYPES
    assert {key: names[value["type"]] for key, value in items.items()} == moz.ENTRY_FIELD_TYPES


def test_heap_unclassified_may_be_negative():
    measures = moz.memory_measures(
        report(entry("heap-allocated", 5), entry("explicit/a", 8, HEAP)), PID
    )
    assert measures["heap_unclassified"] == -3
    assert measures["explicit"] == 5


BAD_FIELD = "an entry lacks a string path or integer kind/units/amount"
NO_PROCESS = "an entry is not an object with a process name"
TOO_BIG = "a total does not fit in a signed 64-bit integer"


def with_field(key: str, value: Any) -> dict[str, Any]:
    return report({**entry("resident", 1), key: value})


@pytest.mark.parametrize(
    ("data", "note"),
    [
        ({"version": 1}, "reports is not a list"),
        (report(entry("resident", 1, pid=1)), f"no entries for the crashing process (pid {PID})"),
        (report(entry("explicit/a", 1, HEAP, COUNT)), "an explicit/ entry has units 1, not bytes"),
        (report(entry("explicit/a", 1, OTHER)), "an explicit/ entry has kind 2"),
        (report("not an entry"), NO_PROCESS),
        (with_field("process", 7), NO_PROCESS),
        (with_field("amount", "1"), BAD_FIELD),
        (with_field("amount", 1.5), BAD_FIELD),
        (with_field("amount", True), BAD_FIELD),
        (with_field("kind", None), BAD_FIELD),
        (with_field("path", None), BAD_FIELD),
        (report(entry("resident", 2**63)), TOO_BIG),
        (report(entry("resident", 2**62), entry("resident", 2**62)), TOO_BIG),
        (report(entry("heap-allocated", -(2**63)), entry("explicit/a", 1, HEAP)), TOO_BIG),
    ],
)
def test_invalid_reports_say_why(data, note):
    with pytest.raises(moz.MemoryReportInvalid) as info:
        moz.memory_measures(data, PID)
    assert str(info.value) == note


# ---- reading the dump --------------------------------------------------------------------------


def test_read_good_report(tmp_path):
    path = gzipped(tmp_path, json.dumps(GOOD_REPORT).encode())
    assert moz.read_memory_report(path) == GOOD_REPORT


def corrupt_deflate() -> bytes:
    """A gzip header followed by a deflate block of the reserved type 3."""
    return gzip.compress(b"")[:10] + b"\xff" * 20


HOSTILE_DUMPS = {
    "not gzip": (b"PK\x03\x04 a zip file", "memory_report: BadGzipFile"),
    "empty file": (b"", "memory_report: JSONDecodeError"),
    "truncated gzip": (gzip.compress(b'{"reports": []}')[:-10], "memory_report: EOFError"),
    "corrupt deflate": (corrupt_deflate(), "memory_report: error"),
    "gzip of garbage": (gzip.compress(b"\xff\xfe not json"), "memory_report: UnicodeDecodeError"),
    "not JSON": (gzip.compress(b"{reports: []}"), "memory_report: JSONDecodeError"),
    "NaN": (gzip.compress(b'{"version": NaN}'), "memory_report: ValueError"),
    "deep nesting": (gzip.compress(b"[" * 100_000), "memory_report: RecursionError"),
    "array": (gzip.compress(b"[1, 2]"), "memory_report: a JSON list, not an object"),
    "reports not a list": (
        gzip.compress(b'{"reports": {"a": 1}}'),
        "memory_report: reports is a dict, not array",
    ),
    "entry not an object": (
        gzip.compress(b'{"reports": [7]}'),
        "memory_report: reports[0] is not an object",
    ),
    "string amount": (
        gzip.compress(json.dumps(report({**entry("vsize", 1), "amount": "1"})).encode()),
        "memory_report: reports[0]: amount is a str, not integer",
    ),
    "boolean kind": (
        gzip.compress(json.dumps(report({**entry("vsize", 1), "kind": True})).encode()),
        "memory_report: reports[0]: kind is a bool, not integer",
    ),
    "null version": (
        gzip.compress(b'{"version": null, "reports": []}'),
        "memory_report: version is a NoneType, not integer",
    ),
    "huge": (
        gzip.compress(b" " * (moz.MEMORY_REPORT_MAX_BYTES + 1)),
        "memory_report: ValueError: larger than 20971520 bytes uncompressed",
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_DUMPS))
def test_hostile_dumps_become_memory_report_error(tmp_path, name):
    content, error = HOSTILE_DUMPS[name]
    path = tmp_path / "memory_report"
    path.write_bytes(content)
    stale = {"memory_report": {"version": 0}}
    crash = CrashContext(CRASH_ID, {}, {"memory_report": path}, stale, tmp_path)
    rule = moz.OutOfMemoryBinaryRule()
    assert rule.predicate(crash)
    rule.action(crash)
    assert crash.processed_crash["memory_report_error"].startswith(error)
    assert "memory_report" not in crash.processed_crash
    assert crash.notes == ["memory_report could not be read"]


def test_corrupt_deflate_really_is_a_zlib_error(tmp_path):
    path = tmp_path / "dump"
    path.write_bytes(corrupt_deflate())
    with pytest.raises(zlib.error), gzip.open(path) as stream:
        stream.read()


def test_good_report_replaces_an_old_error(tmp_path):
    path = gzipped(tmp_path, json.dumps(GOOD_REPORT).encode())
    crash = CrashContext(
        CRASH_ID, {}, {"memory_report": path}, {"memory_report_error": "old"}, tmp_path
    )
    moz.OutOfMemoryBinaryRule().action(crash)
    assert crash.processed_crash == {"memory_report": GOOD_REPORT}
    assert crash.notes == []


# ---- the extraction rule -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "processed",
    [
        {},
        {"memory_report": GOOD_REPORT},
        {"memory_report": GOOD_REPORT, "json_dump": {}},
        {"memory_report": GOOD_REPORT, "json_dump": {"pid": "4242"}},
        {"memory_report": GOOD_REPORT, "json_dump": {"pid": True}},
        {"memory_report": GOOD_REPORT, "json_dump": None},
        {"memory_report": {}, "json_dump": {"pid": PID}},
        {"memory_report": [1], "json_dump": {"pid": PID}},
        {"memory_report_error": "x", "json_dump": {"pid": PID}},
    ],
)
def test_extraction_needs_a_report_and_an_integer_pid(processed):
    crash = CrashContext(CRASH_ID, {}, {}, processed, Path("/tmp"))
    assert not moz.MemoryReportExtractionRule().predicate(crash)


def test_extraction_rule_sets_measures_or_notes(tmp_path):
    rule = moz.MemoryReportExtractionRule()
    processed = {"memory_report": GOOD_REPORT, "json_dump": {"pid": PID}}
    crash = CrashContext(CRASH_ID, {}, {}, processed, tmp_path)
    assert rule.predicate(crash)
    rule.action(crash)
    assert crash.processed_crash["memory_measures"] == GOOD_MEASURES
    assert crash.notes == []

    other = CrashContext(CRASH_ID, {}, {}, {**processed, "json_dump": {"pid": 1}}, tmp_path)
    other.processed_crash["memory_measures"] = GOOD_MEASURES
    rule.action(other)
    assert "memory_measures" not in other.processed_crash
    assert other.notes == ["memory_report_extraction: no entries for the crashing process (pid 1)"]


# ---- in the pipeline ---------------------------------------------------------------------------


class FakeStackwalk(Rule):
    """Stands in for the stackwalker rule: a json_dump with the crashing pid."""

    def action(self, crash: CrashContext) -> None:
        crash.processed_crash["json_dump"] = {"pid": PID}


def mozilla_pipeline(schema, stackwalk_rule: Rule) -> Pipeline:
    return Pipeline(build_rulesets(schema, stackwalk_rule, mozilla=True))


def rule_failures(processed: dict[str, Any]) -> list[str]:
    return [note for note in processed["processor_notes"].splitlines() if " failed: " in note]


def test_pipeline_fills_memory_measures(schema, tmp_path):
    dumps = {"memory_report": gzipped(tmp_path, json.dumps(GOOD_REPORT).encode())}
    processed = mozilla_pipeline(schema, FakeStackwalk()).process(
        CRASH_ID, "default", raw_crash(), dumps, {}, tmp_path
    )
    assert processed["memory_measures"] == GOOD_MEASURES
    assert processed["memory_report"] == GOOD_REPORT
    assert rule_failures(processed) == []
    assert schema.validate(processed) == []


@pytest.mark.parametrize("name", sorted(HOSTILE_DUMPS))
def test_pipeline_survives_hostile_dumps(schema, tmp_path, name):
    path = tmp_path / "memory_report"
    path.write_bytes(HOSTILE_DUMPS[name][0])
    processed = mozilla_pipeline(schema, FakeStackwalk()).process(
        CRASH_ID, "default", raw_crash(), {"memory_report": path}, {}, tmp_path
    )
    assert processed["success"] is True
    assert "memory_report_error" in processed
    assert "memory_measures" not in processed
    assert rule_failures(processed) == []
    assert schema.validate(processed) == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["process", "path", "kind", "amount"]), children, max_size=4
        )
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "process": st.sampled_from([f"Main (pid {PID})", "Other (pid 1)"]) | json_values,
                "path": st.sampled_from(["explicit/a", "heap-allocated", "js-main-runtime/x"])
                | json_values,
                "kind": st.integers(-1, 3) | json_values,
                "units": st.integers(-1, 3) | json_values,
                "amount": st.integers() | json_values,
            }
        )
        | json_values,
        max_size=8,
    )
)
def test_extraction_raises_only_memory_report_invalid(entries):
    try:
        measures = moz.memory_measures({"reports": entries}, PID)
    except moz.MemoryReportInvalid:
        return
    assert sorted(measures) == moz.MEMORY_MEASURES
    assert all(moz.INT64_MIN <= value <= moz.INT64_MAX for value in measures.values())


def test_real_stackwalker_pid_selects_the_process(schema, stackwalker, rust_minidump, tmp_path):
    """The pid comes from the real stackwalker's json_dump for rust-minidump's test.dmp."""
    pipeline = mozilla_pipeline(schema, MinidumpStackwalkRule(stackwalker))
    minidump = {"upload_file_minidump": rust_minidump / "test.dmp"}
    probe = pipeline.process(CRASH_ID, "default", raw_crash(), minidump, {}, tmp_path)
    pid = probe["json_dump"]["pid"]
    data = report(
        entry("heap-allocated", 64, pid=pid),
        entry("explicit/a", 16, HEAP, pid=pid),
        entry("heap-allocated", 10**6, pid=pid + 1),
    )
    dumps = {**minidump, "memory_report": gzipped(tmp_path, json.dumps(data).encode())}
    processed = pipeline.process(CRASH_ID, "default", raw_crash(), dumps, {}, tmp_path)
    assert processed["memory_measures"]["heap_allocated"] == 64
    assert processed["memory_measures"]["heap_unclassified"] == 48
    assert rule_failures(processed) == []
    assert schema.validate(processed) == []


json_bytes = json_values.map(lambda value: json.dumps(value).encode())


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200) | json_bytes, st.booleans())
def test_reading_random_bytes_raises_only_memory_report_unreadable(tmp_path_factory, data, zipped):
    path = tmp_path_factory.mktemp("fuzz") / "memory_report"
    path.write_bytes(gzip.compress(data) if zipped else data)
    try:
        result = moz.read_memory_report(path)
    except moz.MemoryReportUnreadable:
        return
    assert isinstance(result, dict)
