"""`jansky signature`: input forms, JSON output, --explain, --lists and errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from jansky import cli
from tests.unit.signature_support import socorro_lists_dir, stackwalk_output

CRASH = {
    "os": "Linux",
    "crashing_thread": 0,
    "threads": [
        {
            "frames": [
                {"function": "raise"},
                {"function": "void Foo::Bar<int>(int) const", "file": "/src/foo.cpp"},
            ]
        }
    ],
}


@pytest.fixture(autouse=True)
def signature_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lead wires the command into COMMANDS; until then tests add it themselves."""
    monkeypatch.setitem(cli.COMMANDS, "signature", "processor.signature.command")


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(["signature", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_single_crash_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "crash.json"
    path.write_text(json.dumps(CRASH))
    code, out, _ = _run([str(path)], capsys)
    assert code == 0
    result = json.loads(out)
    assert result["signature"] == "Foo::Bar<T>"
    assert result["proto_signature"] == "raise | Foo::Bar<T>"
    assert result["normalized_frames"] == ["raise", "Foo::Bar<T>"]
    assert "debug_log" not in result


def test_json_lines_on_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = "\n".join([json.dumps(CRASH), "", json.dumps({"mdsw_status_string": "EmptyMinidump"})])
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    code, out, _ = _run(["--debug"], capsys)
    assert code == 0
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["signature"] for r in results] == [
        "Foo::Bar<T>",
        "EMPTY: no frame data available; EmptyMinidump",
    ]
    assert any("change signature" in line for line in results[0]["debug_log"])


def test_json_list_and_processed_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    processed = {"json_dump": stackwalk_output("json-pretty-symbols.snap")}
    path = tmp_path / "many.json"
    path.write_text(json.dumps([processed, CRASH]))
    code, out, _ = _run([str(path), "--lists", str(socorro_lists_dir())], capsys)
    assert code == 0
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["signature"] == "(anonymous namespace)::CrashFunction"
    assert second["signature"] == "raise | Foo::Bar<T>"  # "raise" is a prefix in Socorro's lists


def test_explain_shows_each_step_list_and_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crash = dict(CRASH, oom_allocation_size=1_000_000)
    path = tmp_path / "crash.json"
    path.write_text(json.dumps(crash))
    code, out, _ = _run([str(path), "--explain"], capsys)
    assert code == 0
    assert "signature: OOM | large | Foo::Bar<T>" in out
    assert "decided by: OOMSignature" in out
    assert "walk: irrelevant (matches 'raise$'); skipped" in out
    assert (
        "drop trailing 'const': 'void Foo::Bar<int>(int) const' -> 'void Foo::Bar<int>(int)'" in out
    )
    assert "collapse template arguments: 'Foo::Bar<int>(int)' -> 'Foo::Bar<T>(int)'" in out
    assert "walk: not in any list; kept, and the walk stops here" in out
    assert "SignatureGenerationRule: '' -> 'Foo::Bar<T>'" in out


def test_explain_names_the_watchdog_thread(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crash = {
        "crashing_thread": 1,
        "threads": [
            {"frames": [{"function": "nsThread::Shutdown()"}]},
            {"frames": [{"function": "mozilla::(anonymous namespace)::RunWatchdog(void*)"}]},
        ],
    }
    path = tmp_path / "crash.json"
    path.write_text(json.dumps(crash))
    code, out, _ = _run([str(path), "--explain", "--lists", str(socorro_lists_dir())], capsys)
    assert code == 0
    assert "signature: shutdownhang | nsThread::Shutdown" in out
    assert "frames of thread 0 (SignatureRunWatchDog re-signed from thread 0)" in out


def test_bad_lists_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["--lists", str(tmp_path / "missing"), str(tmp_path)], capsys)
    assert code == 2
    assert "signature lists directory" in err


def test_invalid_json_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO('{"a": 1}\n{oops\n'))
    code, out, err = _run([], capsys)
    assert code == 1
    assert "line 2 is not valid JSON" in err
    assert out == ""


def test_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run([str(tmp_path / "nope.json")], capsys)
    assert code == 1
    assert "cannot read" in err


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["signature", "--help"])
    out = capsys.readouterr().out
    assert "jansky signature --explain" in out
