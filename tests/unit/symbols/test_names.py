"""Names in the store's layout and what a symbol file says about itself."""

from __future__ import annotations

import pytest

from jansky.symbols.layout import (
    InvalidSymbolName,
    code_lookup_file_name,
    parse_symbol_path,
    sym_file_name,
    symbol_key,
)
from jansky.symbols.symfile import InvalidSymbolFile, parse_header
from tests.unit.symbols.conftest import LINUX_ID, TEST_APP_ID, small_sym


@pytest.mark.parametrize(
    ("debug_file", "expected"),
    [
        ("test_app.pdb", "test_app.sym"),
        ("XUL.PDB", "XUL.sym"),
        ("libxul.so", "libxul.so.sym"),
        ("crash-client", "crash-client.sym"),
        ("pdb", "pdb.sym"),
        ("Google Chrome Framework", "Google Chrome Framework.sym"),
    ],
)
def test_symbol_file_names_follow_breakpad(debug_file, expected):
    assert sym_file_name(debug_file) == expected


def test_code_lookups_name_files_as_minidump_stackwalk_asks():
    assert code_lookup_file_name("xul.dll") == "xul.sym"
    assert code_lookup_file_name("test_app.exe") == "test_app.exe.sym"


def test_a_valid_path_gives_an_upper_case_key():
    key = parse_symbol_path("test_app.pdb", TEST_APP_ID.lower(), "test_app.sym")
    assert (key.debug_file, key.debug_id) == ("test_app.pdb", TEST_APP_ID)
    assert key.path == f"test_app.pdb/{TEST_APP_ID}/test_app.sym"


@pytest.mark.parametrize(
    ("debug_file", "debug_id", "name"),
    [
        ("..", TEST_APP_ID, "...sym"),
        (".", TEST_APP_ID, "..sym"),
        ("a/b.pdb", TEST_APP_ID, "b.sym"),
        ("a\\b.pdb", TEST_APP_ID, "a\\b.sym"),
        ("C:x.pdb", TEST_APP_ID, "C:x.sym"),
        ("x\x00.pdb", TEST_APP_ID, "x\x00.sym"),
        ("test_app.pdb", "not-hex", "test_app.sym"),
        ("test_app.pdb", "5A98", "test_app.sym"),
        ("test_app.pdb", "0" * 33, "test_app.sym"),
        ("test_app.pdb", TEST_APP_ID, "other.sym"),
        ("test_app.pdb", TEST_APP_ID, "../test_app.sym"),
        (" test_app.pdb", TEST_APP_ID, " test_app.sym"),
        ("x" * 300, TEST_APP_ID, "x" * 300 + ".sym"),
    ],
)
def test_paths_that_could_leave_the_layout_are_refused(debug_file, debug_id, name):
    with pytest.raises(InvalidSymbolName):
        parse_symbol_path(debug_file, debug_id, name)


def test_the_module_line_and_code_id_are_read(test_app_sym):
    header = parse_header(test_app_sym.read_bytes()[:4096])
    assert header.key == symbol_key("test_app.pdb", TEST_APP_ID)
    assert (header.os, header.arch) == ("windows", "x86")
    assert (header.code_file, header.code_id) == ("", "")  # a PDB names no binary
    linux = parse_header(small_sym())
    assert linux.key == symbol_key("libapp.so", LINUX_ID)
    assert (linux.code_file, linux.code_id) == (
        "libapp.so",
        "0123456789ABCDEF0123456789ABCDEF01234567",
    )


def test_a_code_file_given_as_a_path_is_reduced_to_its_name():
    text = (
        f"MODULE windows x86_64 {TEST_APP_ID} app.pdb\n"
        "INFO CODE_ID 5F0a1b2c3000 C:\\build\\app.exe\n"
    )
    header = parse_header(text.encode())
    assert (header.code_file, header.code_id) == ("app.exe", "5F0A1B2C3000")


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"PK\x03\x04...",
        b"FILE 0 a.c\n",
        b"MODULE Linux x86_64\n",
        f"MODULE Linux x86_64 {LINUX_ID} ../../etc/passwd\n".encode(),
        b"MODULE Linux x86_64 xyz libapp.so\n",
        b"MODULE " + b"x" * 5000,
        f"MODULE Linux x86_64 {LINUX_ID} app\nINFO CODE_ID zz app\n".encode(),
    ],
)
def test_files_that_are_not_breakpad_symbols_are_refused(head):
    with pytest.raises(InvalidSymbolFile):
        parse_header(head)
