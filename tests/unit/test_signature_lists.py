"""Loading signature lists: the option, Jansky's own lists, and clear load-time errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from processor.signature import SignatureGenerator, load_configured_lists, load_lists
from processor.signature.siglists import (
    DEFAULT_LISTS_DIR,
    LIST_NAMES,
    BadRegularExpressionLineError,
    SignatureListError,
)
from tests.unit.signature_support import socorro_lists_dir


def _write_lists(folder: Path, **contents: str) -> Path:
    for name in LIST_NAMES:
        (folder / f"{name}.txt").write_text(contents.get(name, ""), encoding="utf-8")
    return folder


def test_comments_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    _write_lists(
        tmp_path,
        irrelevant_signature_re="# comment\n\n  skip_me  \n",
        signature_sentinels="#x\nstart\n",
    )
    lists = load_lists(tmp_path)
    assert lists.irrelevant.lines == ("skip_me",)
    assert lists.sentinels == ("start",)
    assert lists.source == str(tmp_path)


def test_regexes_are_anchored_at_the_start_only(tmp_path: Path) -> None:
    _write_lists(tmp_path, prefix_signature_re="abc\nexact$\n")
    prefix = load_lists(tmp_path).prefix
    assert prefix.match("abcdef")
    assert not prefix.match("xabc")
    assert prefix.match("exact")
    assert not prefix.match("exactly")
    assert prefix.first_matching_line("exact") == "exact$"


def test_empty_regex_list_matches_nothing(tmp_path: Path) -> None:
    lists = load_lists(_write_lists(tmp_path))
    assert not lists.irrelevant.match("")
    assert not lists.prefix.match("anything")


def test_invalid_regex_is_a_load_time_error_naming_the_line(tmp_path: Path) -> None:
    _write_lists(tmp_path, irrelevant_signature_re="fine\n# c\nbad(\n")
    with pytest.raises(BadRegularExpressionLineError, match=r"entry 2 'bad\(' is not a valid"):
        load_lists(tmp_path)


def test_regexes_that_only_fail_when_joined_are_reported(tmp_path: Path) -> None:
    _write_lists(tmp_path, prefix_signature_re="a\n(?i)b\n")
    with pytest.raises(BadRegularExpressionLineError, match="not joined"):
        load_lists(tmp_path)


def test_missing_file_and_directory_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(SignatureListError, match="does not exist"):
        load_lists(tmp_path / "nowhere")
    _write_lists(tmp_path)
    (tmp_path / "prefix_signature_re.txt").unlink()
    with pytest.raises(SignatureListError, match=r"prefix_signature_re\.txt does not exist"):
        load_lists(tmp_path)


def test_invalid_utf8_is_a_clear_error(tmp_path: Path) -> None:
    _write_lists(tmp_path)
    (tmp_path / "signature_sentinels.txt").write_bytes(b"\xff\xfe")
    with pytest.raises(SignatureListError, match="not valid UTF-8"):
        load_lists(tmp_path)


def test_option_selects_the_lists(tmp_path: Path) -> None:
    _write_lists(tmp_path, prefix_signature_re="mine\n")
    assert load_configured_lists({"SIGNATURE_LISTS_DIR": str(tmp_path)}).prefix.lines == ("mine",)
    assert load_configured_lists({}).source == str(DEFAULT_LISTS_DIR)


def test_socorro_lists_load_through_the_same_option() -> None:
    lists = load_configured_lists({"SIGNATURE_LISTS_DIR": str(socorro_lists_dir())})
    assert len(lists.sentinels) == 20
    assert len(lists.irrelevant.lines) == 306
    assert len(lists.prefix.lines) == 265
    assert lists.line_numbers.lines == ("js_Interpret",)


# Jansky's own lists: each case is a realistic stack and the signature the lists should give.
DEFAULT_LIST_CASES = [
    (["raise", "abort", "__libc_message", "MyApp::Crash()"], "MyApp::Crash"),
    (["NtWaitForSingleObject", "WaitForSingleObjectEx", "App::Wait()"], "App::Wait"),
    (
        ["RtlpLowFragHeapFree", "RtlFreeHeap", "free", "App::Release()"],
        "RtlpLowFragHeapFree | RtlFreeHeap | free | App::Release",
    ),
    (["__memcpy_avx_unaligned", "App::Copy(char*)"], "__memcpy_avx_unaligned | App::Copy"),
    (
        [
            "je_malloc",
            "operator new(unsigned long)",
            "std::vector<int>::reserve(unsigned long)",
            "App::Grow()",
        ],
        "je_malloc | new | std::vector<T>::reserve | App::Grow",
    ),
    (
        ["google_breakpad::ExceptionHandler::SignalHandler(int)", "__restore_rt", "App::Crash()"],
        "App::Crash",
    ),
    (["_purecall", "App::Call()"], "_purecall | App::Call"),
    (
        [
            "__pthread_kill_implementation",
            "raise",
            "abort",
            "__assert_fail_base",
            "__assert_fail",
            "App::Check()",
        ],
        "__assert_fail | App::Check",
    ),
    (["KiFastSystemCallRet", "ntdll.dll", "ntdll.dll", "app.exe"], "app.exe"),
    (["libc.so.6", "libpthread.so.0", "App::Run()"], "App::Run"),
]
RUST_DEFAULT_CASE = (
    [
        "std::panicking::rust_panic_with_hook",
        "std::panicking::begin_panic_handler::{{closure}}",
        "std::sys_common::backtrace::__rust_end_short_backtrace",
        "rust_begin_unwind",
        "core::panicking::panic_fmt",
        "core::result::unwrap_failed",
        "core::result::Result<T,E>::unwrap",
        "myapp::config::load::h0123456789abcdef",
    ],
    "core::result::Result<T>::unwrap",
)


@pytest.mark.parametrize(("functions", "expected"), DEFAULT_LIST_CASES)
def test_jansky_default_lists(functions: list[str], expected: str) -> None:
    generator = SignatureGenerator(load_lists())
    frames = [{"function": name} for name in functions]
    assert generator.generate({"threads": [{"frames": frames}]}).signature == expected


def test_jansky_default_lists_rust_panic() -> None:
    functions, expected = RUST_DEFAULT_CASE
    frames = [{"function": name, "file": "/rustc/abc/library/core/src/x.rs"} for name in functions]
    generator = SignatureGenerator(load_lists())
    assert generator.generate({"threads": [{"frames": frames}]}).signature == expected


def test_jansky_default_lists_are_not_socorro_copies() -> None:
    """Jansky ships lists written for it; Socorro's stay outside the project."""
    ours = load_lists(DEFAULT_LISTS_DIR)
    theirs = load_lists(socorro_lists_dir())
    shared = set(ours.irrelevant.lines + ours.prefix.lines) & set(
        theirs.irrelevant.lines + theirs.prefix.lines
    )
    assert len(shared) < 0.25 * len(ours.irrelevant.lines + ours.prefix.lines)
