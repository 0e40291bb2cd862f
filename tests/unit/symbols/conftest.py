"""Fixtures of the symbol tests: the shared symbol files, small symbol files, zips."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from jansky.symbols.upload import UploadLimits
from tests.servers import shared_testdata

TEST_APP_ID = "5A9832E5287241C1838ED98914E9B7FF1"
TEST_APP_PATH = f"test_app.pdb/{TEST_APP_ID}/test_app.sym"
LINUX_ID = "ABCDEF0123456789ABCDEF01234567890"
GENEROUS = UploadLimits(
    max_upload_bytes=1 << 30,
    max_file_bytes=1 << 30,
    max_total_bytes=1 << 31,
    max_files=100,
    max_ratio=100,
)


def small_sym(debug_file: str = "libapp.so", debug_id: str = LINUX_ID, extra: str = "") -> bytes:
    """A tiny but real Breakpad symbol file."""
    return (
        f"MODULE Linux x86_64 {debug_id} {debug_file}\n"
        f"INFO CODE_ID 0123456789ABCDEF0123456789ABCDEF01234567\n"
        f"{extra}FILE 0 app.c\nFUNC 1000 10 0 main\n1000 10 3 0\n"
    ).encode()


def make_zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.fixture(scope="session")
def rust_minidump() -> Path:
    return shared_testdata("rust-minidump")


@pytest.fixture(scope="session")
def test_app_sym(rust_minidump: Path) -> Path:
    return rust_minidump / "symbols" / TEST_APP_PATH
