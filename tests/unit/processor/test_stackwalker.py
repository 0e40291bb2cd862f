"""The pipeline around the real minidump-stackwalk, on rust-minidump's test dumps."""

from __future__ import annotations

import dataclasses
import json
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from jansky.schemas import Schema
from processor.pipeline import Pipeline
from processor.rules.stackwalker import MinidumpStackwalkRule
from processor.rulesets import build_rulesets
from processor.stackwalker import (
    VERSION_SIDECAR_SUFFIX,
    Stackwalker,
    StackwalkerUnavailable,
    interpret,
    read_build_sidecar,
)
from tests.unit.processor.conftest import CRASH_ID, raw_crash, read_snapshot


def process(
    schema: Schema, stackwalker: Stackwalker, dump: Path, tmp_path: Path, **annotations: Any
) -> dict[str, Any]:
    pipeline = Pipeline(build_rulesets(schema, MinidumpStackwalkRule(stackwalker)))
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    processed = pipeline.process(
        CRASH_ID, "default", raw_crash(**annotations), {"upload_file_minidump": dump}, {}, work
    )
    assert schema.validate(processed) == []
    return processed


def without_symbols(stackwalker: Stackwalker) -> Stackwalker:
    return Stackwalker(stackwalker.path, kill_timeout=stackwalker.kill_timeout)


def stack_modules(dump: dict[str, Any]) -> str:
    """modules_in_stack computed straight from stackwalker JSON."""
    thread = dump["threads"][dump["crash_info"]["crashing_thread"]]
    by_name = {module["filename"]: module for module in dump["modules"]}
    names = {
        f"{frame['module']}/{by_name[frame['module']]['debug_id']}"
        for frame in thread["frames"]
        if frame.get("module")
    }
    return ";".join(sorted(names))


def missing_modules(dump: dict[str, Any]) -> set[str]:
    return {module["filename"] for module in dump["modules"] if module["missing_symbols"]}


@pytest.mark.parametrize(
    ("dump_name", "symbols", "signature"),
    [
        ("test.dmp", True, "(anonymous namespace)::CrashFunction"),
        ("test.dmp", False, "test_app.exe"),
        ("linux-mini.dmp", False, "crash"),
        ("pipeline-inlines-macos-segv.dmp", True, "sadness_generator::raise_segfault"),
    ],
)
def test_signature_of_real_dumps(
    schema, stackwalker, rust_minidump, tmp_path, dump_name, symbols, signature
):
    walker = stackwalker if symbols else without_symbols(stackwalker)
    processed = process(schema, walker, rust_minidump / dump_name, tmp_path)
    assert processed["signature"] == signature
    assert processed["mdsw_status_string"] == "OK"
    assert processed["mdsw_return_code"] == 0
    assert processed["success"] is True
    assert processed["stackwalk_version"].startswith("minidump-stackwalk ")


@pytest.mark.parametrize(
    ("dump_name", "snapshot", "symbols"),
    [
        ("test.dmp", "json-pretty-symbols.snap", True),
        ("test.dmp", "json-pretty.snap", False),
        ("linux-mini.dmp", "linux_json_pretty.snap", False),
        ("pipeline-inlines-macos-segv.dmp", "macos_inlines_json_pretty.snap", True),
    ],
)
def test_fields_match_the_expected_stackwalker_json(
    schema, stackwalker, rust_minidump, tmp_path, dump_name, snapshot, symbols
):
    expected = read_snapshot(rust_minidump / "stackwalk-json" / snapshot)
    walker = stackwalker if symbols else without_symbols(stackwalker)
    processed = process(schema, walker, rust_minidump / dump_name, tmp_path)
    system, info = expected["system_info"], expected["crash_info"]
    assert processed["os_name"] == system["os"]
    assert processed["os_version"] == system["os_ver"]
    assert processed["cpu_arch"] == system["cpu_arch"]
    assert processed["cpu_count"] == system["cpu_count"]
    assert processed["reason"] == info["type"]
    assert processed["address"] == info["address"]
    assert processed["crashing_thread"] == info["crashing_thread"]
    assert processed["thread_count"] == expected["thread_count"]
    assert processed["modules_in_stack"] == stack_modules(expected)
    reported = {entry.split("/")[0] for entry in processed["missing_symbols"].split(";") if entry}
    assert reported == missing_modules(expected)
    assert processed["json_dump"]["crash_info"]["type"] == info["type"]


@pytest.mark.parametrize("dump_name", ["invalid-range.dmp", "invalid-record-count.dmp"])
def test_malformed_dump_status_comes_from_the_log(
    schema, stackwalker, rust_minidump, tmp_path, dump_name
):
    processed = process(schema, stackwalker, rust_minidump / dump_name, tmp_path)
    assert processed["mdsw_status_string"] == "MissingThreadList"
    assert processed["mdsw_return_code"] == 1
    assert processed["mdsw_stderr"].startswith("ERROR MissingThreadList")
    assert "stomped on mdsw_status_string" in processed["processor_notes"]
    assert "failed: 1: MissingThreadList" in processed["processor_notes"]
    assert processed["success"] is True  # the pipeline ran; the stack did not


def test_empty_dump_is_not_walked(schema, stackwalker, tmp_path):
    empty = tmp_path / "empty.dmp"
    empty.write_bytes(b"")
    processed = process(schema, stackwalker, empty, tmp_path)
    assert processed["mdsw_status_string"] == "EmptyMinidump"
    assert processed["mdsw_stderr"] == "Shortcut for 0-bytes minidump."
    assert "minidump is empty" in processed["processor_notes"]


def test_additional_minidumps_are_walked_separately(schema, stackwalker, rust_minidump, tmp_path):
    pipeline = Pipeline(build_rulesets(schema, MinidumpStackwalkRule(stackwalker)))
    dumps = {
        "upload_file_minidump": rust_minidump / "test.dmp",
        "upload_file_minidump_browser": rust_minidump / "linux-mini.dmp",
    }
    processed = pipeline.process(CRASH_ID, "default", raw_crash(), dumps, {}, tmp_path)
    assert processed["additional_minidumps"] == ["upload_file_minidump_browser"]
    browser = processed["upload_file_minidump_browser"]
    assert browser["mdsw_status_string"] == "OK"
    assert browser["json_dump"]["system_info"]["os"] == "Linux"
    assert processed["json_dump"]["system_info"]["os"] == "Windows NT"
    assert schema.validate(processed) == []


def test_evil_json_carries_the_raw_crash(stackwalker, rust_minidump):
    evil = (rust_minidump / "evil.json").read_bytes()
    result = stackwalker.run(rust_minidump / "test.dmp", "evil", evil_json=evil)
    assert result.status == "OK"
    assert result.json_dump["modules_contains_cert_info"] is True


def fake_stackwalker(tmp_path: Path, body: str) -> str:
    """A shell script standing in for minidump-stackwalk (for hangs and bad output)."""
    script = tmp_path / "fake-stackwalk"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_large_input_and_output_go_through_the_pipes(tmp_path):
    path = fake_stackwalker(
        tmp_path,
        # Writes all its output before reading its input: both pipes must be served at once.
        'printf \'{"status": "OK", "pad": "\'\n'
        "head -c 1000000 /dev/zero | tr '\\0' a\nprintf '\"}'\n"
        'wc -c > "$0.stdin-bytes"\necho "a log line" >&2',
    )
    dump = tmp_path / "x.dmp"
    dump.write_bytes(b"MDMP")
    result = Stackwalker(path).run(dump, "big", evil_json=b"x" * 3_000_000)
    assert result.status == "OK"
    assert len(result.json_dump["pad"]) == 1_000_000
    assert result.stderr == "a log line"
    assert int(Path(f"{path}.stdin-bytes").read_text()) == 3_000_000


def test_hanging_stackwalker_is_killed_at_the_timeout(schema, tmp_path):
    path = fake_stackwalker(
        tmp_path,
        'if [ "$1" = "--version" ]; then echo "fake 1"; exit 0; fi\nsleep 30 & wait',
    )
    walker = Stackwalker(path, kill_timeout=0.5)
    dump = tmp_path / "x.dmp"
    dump.write_bytes(b"MDMP")
    processed = process(schema, walker, dump, tmp_path)
    assert processed["mdsw_return_code"] == -9
    assert processed["mdsw_status_string"] == "unknown error"
    assert "timeout (SIGKILL)" in processed["processor_notes"]
    assert processed["signature"].startswith("EMPTY")


def test_non_json_output_is_noted():
    result = interpret(0, b"{not json", b"")
    assert result.status == "unknown error"
    assert result.json_dump == {}
    assert any("non-json output" in note for note in result.notes)


def test_json_that_is_not_an_object_is_noted():
    result = interpret(0, b"[1, 2]", b"")
    assert result.json_dump == {}
    assert any("not an object" in note for note in result.notes)


def test_long_log_keeps_its_tail():
    log = "".join(f"line {n}\n" for n in range(25)).encode()
    result = interpret(1, b"", log)
    assert result.stderr.splitlines() == ["...", *(f"line {n}" for n in range(15, 25))]


def test_missing_binary_is_reported(tmp_path):
    with pytest.raises(StackwalkerUnavailable, match="STACKWALKER_PATH"):
        Stackwalker(str(tmp_path / "nope")).version()


def test_command_has_the_socorro_flags(tmp_path):
    walker = Stackwalker(
        "/bin/mdsw",
        symbols_urls=["https://symbols.example.com/"],
        symbols_paths=["/syms"],
        symbols_cache_path=tmp_path / "c",
        symbols_tmp_path=tmp_path / "t",
    )
    args = walker.command(Path("/d.dmp"), evil_json=True)
    assert args[0] == "/bin/mdsw"
    assert args[1] == "--evil-json=/dev/stdin"
    assert f"--symbols-cache={tmp_path / 'c'}" in args
    assert f"--symbols-tmp={tmp_path / 't'}" in args
    for flag in ("--no-color", "--json", "--verbose=error"):
        assert flag in args
    assert not any(arg.startswith(("--output-file", "--log-file")) for arg in args)
    assert "--symbols-url=https://symbols.example.com/" in args
    assert "--symbols-path=/syms" in args
    assert args[-1] == "/d.dmp"


# ---- stackwalk_version and the build sidecar -----------------------------------------------------


def linked_stackwalker(stackwalker: Stackwalker, directory: Path, sidecar: Any) -> Stackwalker:
    """The real binary, linked into ``directory`` next to a ``.version.json`` sidecar."""
    directory.mkdir(exist_ok=True)
    link = directory / "minidump-stackwalk"
    link.symlink_to(stackwalker.path)
    if sidecar is not None:
        (directory / f"minidump-stackwalk{VERSION_SIDECAR_SUFFIX}").write_text(json.dumps(sidecar))
    return dataclasses.replace(stackwalker, path=str(link))


def test_version_without_sidecar_is_the_version_output(stackwalker, tmp_path):
    walker = linked_stackwalker(stackwalker, tmp_path / "bin", None)
    completed = subprocess.run([walker.path, "--version"], capture_output=True, text=True)
    assert walker.version() == completed.stdout.strip()
    assert completed.stdout.startswith("minidump-stackwalk ")


def test_sidecar_adds_date_and_short_sha(schema, stackwalker, rust_minidump, tmp_path):
    plain = stackwalker.version()
    sidecar = {"sha": "0123456789abcdef0123", "date": "2024-05-01T10:00:00Z"}
    walker = linked_stackwalker(stackwalker, tmp_path / "bin", sidecar)
    expected = f"{plain} (2024-05-01T10:00:00Z 01234567)"
    assert walker.version() == expected
    processed = process(schema, walker, rust_minidump / "test.dmp", tmp_path)
    assert processed["stackwalk_version"] == expected
    assert processed["mdsw_status_string"] == "OK"


def test_sidecar_is_found_next_to_a_binary_on_path(stackwalker, tmp_path, monkeypatch):
    linked_stackwalker(stackwalker, tmp_path / "bin", {"sha": "feedface" * 5, "date": "today"})
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert Stackwalker("minidump-stackwalk").version().endswith(" (today feedface)")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"sha": "abcdef0123456789", "date": "2024-01-02"}', "2024-01-02 abcdef01"),
        ('{"sha": "abc"}', "abc"),
        ('{"date": " 2024-01-02 "}', "2024-01-02"),
        ('{"sha": 12345678, "date": "d"}', "d"),
        ('{"sha": "", "date": ""}', ""),
        ('{"sha": null}', ""),
        ('["abcdef"]', ""),
        ("{not json", ""),
        ("", ""),
        ("[" * 100_000, ""),
    ],
)
def test_sidecar_vectors(tmp_path, content, expected):
    binary = tmp_path / "mdsw"
    (tmp_path / f"mdsw{VERSION_SIDECAR_SUFFIX}").write_text(content)
    assert read_build_sidecar(binary) == expected


def test_no_sidecar_and_a_directory_sidecar_add_nothing(tmp_path):
    assert read_build_sidecar(tmp_path / "mdsw") == ""
    (tmp_path / f"mdsw{VERSION_SIDECAR_SUFFIX}").mkdir()
    assert read_build_sidecar(tmp_path / "mdsw") == ""
