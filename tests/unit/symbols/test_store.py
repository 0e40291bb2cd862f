"""The symbol store on files: streamed, atomic writes inside its folder only."""

from __future__ import annotations

import io
import os

import pytest

from jansky.storage import FilesystemCrashStorage, StorageError
from jansky.symbols.layout import symbol_key
from jansky.symbols.store import FileSymbolStore, symbol_store_for
from tests.unit.symbols.conftest import LINUX_ID, small_sym

KEY = symbol_key("libapp.so", LINUX_ID)


def test_files_are_written_read_and_deleted_in_the_layout(tmp_path):
    store = symbol_store_for(FilesystemCrashStorage(tmp_path / "crashes"))
    assert store.local_directory() == (tmp_path / "crashes" / "symbols").resolve()
    assert store.size(KEY) is None and store.open(KEY) is None
    data = small_sym() * 3000  # several chunks
    assert store.put(KEY, io.BytesIO(data)) == len(data)
    path = tmp_path / "crashes" / "symbols" / "libapp.so" / LINUX_ID / "libapp.so.sym"
    assert path.read_bytes() == data
    assert store.size(KEY) == len(data)
    opened = store.open(KEY)
    try:
        assert opened.size == len(data)
        assert b"".join(opened.chunks(1000)) == data
    finally:
        opened.close()
    assert store.put(KEY, io.BytesIO(b"new")) == 3  # replaced whole
    assert path.read_bytes() == b"new"
    assert [name for name in os.listdir(path.parent)] == ["libapp.so.sym"]  # no leftovers
    store.delete(KEY)
    store.delete(KEY)
    assert store.size(KEY) is None


def test_a_symlinked_folder_leading_out_of_the_store_is_refused(tmp_path):
    store = FileSymbolStore(tmp_path / "store")
    (tmp_path / "store").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "store" / "libapp.so").symlink_to(tmp_path / "outside")
    (tmp_path / "outside" / LINUX_ID).mkdir()
    with pytest.raises(StorageError, match="outside"):
        store.put(KEY, io.BytesIO(b"x"))
    assert list((tmp_path / "outside" / LINUX_ID).iterdir()) == []


def test_a_failed_copy_leaves_the_old_file(tmp_path):
    store = FileSymbolStore(tmp_path / "store")
    store.put(KEY, io.BytesIO(b"old"))

    class Broken(io.RawIOBase):
        def read(self, size=-1):
            raise OSError("connection reset")

    with pytest.raises(StorageError, match="connection reset"):
        store.put(KEY, Broken())
    assert store.open(KEY).stream.read() == b"old"
    folder = tmp_path / "store" / "libapp.so" / LINUX_ID
    assert sorted(os.listdir(folder)) == ["libapp.so.sym"]
