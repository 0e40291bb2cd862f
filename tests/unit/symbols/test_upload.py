"""Uploads checked before anything is written: layout, limits, zip bombs, MODULE lines."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import zipfile
from pathlib import Path

import pytest

from jansky.symbols.layout import symbol_key
from jansky.symbols.store import FileSymbolStore
from jansky.symbols.upload import UploadRejected, inspect_upload, store_upload
from tests.unit.symbols.conftest import (
    GENEROUS,
    LINUX_ID,
    TEST_APP_ID,
    TEST_APP_PATH,
    make_zip,
    small_sym,
)

LIBAPP = f"libapp.so/{LINUX_ID}/libapp.so.sym"


def files_under(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def test_a_zip_in_the_layout_is_inspected_whole(tmp_path, test_app_sym):
    upload = make_zip(
        tmp_path / "up.zip", {TEST_APP_PATH: test_app_sym.read_bytes(), LIBAPP: small_sym()}
    )
    inspected = inspect_upload(upload, GENEROUS)
    assert inspected.is_zip
    by_key = {item.key: item for item in inspected.files}
    app = by_key[symbol_key("test_app.pdb", TEST_APP_ID)]
    assert app.size == test_app_sym.stat().st_size
    assert app.member == TEST_APP_PATH
    assert app.sha256 == hashlib.sha256(test_app_sym.read_bytes()).hexdigest()
    assert by_key[symbol_key("libapp.so", LINUX_ID)].header.code_id


def test_a_single_sym_file_is_named_by_its_module_line(test_app_sym):
    inspected = inspect_upload(test_app_sym, GENEROUS, "test_app.sym")
    assert not inspected.is_zip
    assert [item.key for item in inspected.files] == [symbol_key("test_app.pdb", TEST_APP_ID)]


@pytest.mark.parametrize(
    ("member", "message"),
    [
        (f"../../{LIBAPP}", "not a plain relative path"),
        (f"libapp.so/../../../{LINUX_ID}/libapp.so.sym", "not a plain relative path"),
        (f"/{LIBAPP}", "absolute path"),
        (f"/etc/{LINUX_ID}/libapp.so.sym", "absolute path"),
        (f"C:/{LIBAPP}", "absolute path"),
        (f"libapp.so\\{LINUX_ID}\\libapp.so.sym", "not a plain relative path"),
        (f"symbols/{LIBAPP}", "layout"),
        ("libapp.so.sym", "layout"),
        (f"libapp.so/{LINUX_ID}/other.sym", "is named 'libapp.so.sym'"),
        (f"libapp.so/{LINUX_ID}/./libapp.so.sym", "not a plain relative path"),
    ],
)
def test_members_outside_the_layout_are_refused(tmp_path, member, message):
    upload = make_zip(tmp_path / "up.zip", {member: small_sym()})
    with pytest.raises(UploadRejected, match=message) as refused:
        inspect_upload(upload, GENEROUS)
    assert refused.value.status == 400


def test_a_module_line_that_is_not_the_path_is_refused(tmp_path, test_app_sym):
    # rust-minidump's own mismatch case: a 5A98 file under the 6A98 folder.
    wrong = f"test_app.pdb/6{TEST_APP_ID[1:]}/test_app.sym"
    upload = make_zip(tmp_path / "up.zip", {wrong: test_app_sym.read_bytes()})
    with pytest.raises(UploadRejected, match=r"its MODULE line names test_app\.pdb/5A98"):
        inspect_upload(upload, GENEROUS)
    other_file = f"other.pdb/{TEST_APP_ID}/other.sym"
    upload = make_zip(tmp_path / "up2.zip", {other_file: test_app_sym.read_bytes()})
    with pytest.raises(UploadRejected, match="MODULE line names"):
        inspect_upload(upload, GENEROUS)


def test_a_zip_bomb_is_refused_from_its_directory(tmp_path):
    bomb = small_sym() + b"\n" * (20 << 20)  # 20 MiB inflating about 1000 times
    upload = make_zip(tmp_path / "bomb.zip", {LIBAPP: bomb})
    assert upload.stat().st_size < 1 << 20
    with pytest.raises(UploadRejected, match="zip bomb") as refused:
        inspect_upload(upload, GENEROUS)
    assert refused.value.status == 413


def test_declared_sizes_over_the_limits_are_refused(tmp_path):
    upload = make_zip(tmp_path / "up.zip", {LIBAPP: small_sym() + b"x" * 5000})
    small_files = dataclasses.replace(GENEROUS, max_file_bytes=1000)
    with pytest.raises(UploadRejected, match="over the limit of 1,000 per file"):
        inspect_upload(upload, small_files)
    small_total = dataclasses.replace(GENEROUS, max_total_bytes=1000)
    with pytest.raises(UploadRejected, match="uncompressed, over the limit"):
        inspect_upload(upload, small_total)
    small_upload = dataclasses.replace(GENEROUS, max_upload_bytes=100)
    with pytest.raises(UploadRejected, match="over the limit of 100") as refused:
        inspect_upload(upload, small_upload)
    assert refused.value.status == 413


def test_a_member_lying_about_its_size_fails_its_crc(tmp_path):
    upload = make_zip(tmp_path / "up.zip", {LIBAPP: small_sym() + b"y" * 4000}, zipfile.ZIP_STORED)
    data = bytearray(upload.read_bytes())
    offset = data.index(b"y" * 4000)
    data[offset : offset + 4] = b"zzzz"  # the bytes change, the CRC in the directory does not
    upload.write_bytes(bytes(data))
    with pytest.raises(UploadRejected, match="cannot be read"):
        inspect_upload(upload, GENEROUS)


def test_too_many_files_and_duplicates_are_refused(tmp_path):
    members = {
        f"libapp{index}.so/{LINUX_ID}/libapp{index}.so.sym": small_sym(f"libapp{index}.so")
        for index in range(5)
    }
    upload = make_zip(tmp_path / "many.zip", members)
    with pytest.raises(UploadRejected, match="holds 5 files, over the limit of 4"):
        inspect_upload(upload, dataclasses.replace(GENEROUS, max_files=4))
    upload = make_zip(
        tmp_path / "twice.zip",
        {LIBAPP: small_sym(), f"libapp.so/{LINUX_ID.lower()}/libapp.so.sym": small_sym()},
    )
    with pytest.raises(UploadRejected, match="are the same symbol file"):
        inspect_upload(upload, GENEROUS)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x7fELF....", "neither a zip"),
        (b"", "neither a zip"),
        (b"MODULE nonsense\n", "is not 'MODULE <os>"),
    ],
)
def test_uploads_that_are_neither_are_refused(tmp_path, content, message):
    path = tmp_path / "upload"
    path.write_bytes(content)
    with pytest.raises(UploadRejected, match=message):
        inspect_upload(path, GENEROUS)


def test_zips_without_symbols_or_with_strange_members_are_refused(tmp_path):
    with pytest.raises(UploadRejected, match=r"holds no \.sym file"):
        inspect_upload(make_zip(tmp_path / "empty.zip", {}), GENEROUS)
    with pytest.raises(UploadRejected, match="does not start with a Breakpad MODULE line"):
        inspect_upload(make_zip(tmp_path / "not.zip", {LIBAPP: b"hello"}), GENEROUS)
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04" + os.urandom(200))
    with pytest.raises(UploadRejected, match="not a readable zip"):
        inspect_upload(broken, GENEROUS)


def test_stored_files_are_the_uploaded_bytes_and_nothing_else(tmp_path, test_app_sym):
    store = FileSymbolStore(tmp_path / "store")
    upload = make_zip(
        tmp_path / "up.zip", {TEST_APP_PATH: test_app_sym.read_bytes(), LIBAPP: small_sym()}
    )
    inspected = inspect_upload(upload, GENEROUS)
    store_upload(inspected, store, inspected.files, {item.key for item in inspected.files})
    assert files_under(tmp_path / "store") == {TEST_APP_PATH, LIBAPP}
    assert (tmp_path / "store" / TEST_APP_PATH).read_bytes() == test_app_sym.read_bytes()


def test_a_failed_write_removes_the_files_the_upload_added(tmp_path, test_app_sym):
    class FailingSecondWrite(FileSymbolStore):
        writes = 0

        def put(self, key, stream):
            self.writes += 1
            if self.writes == 2:
                raise OSError("disk full")
            return super().put(key, stream)

    store = FailingSecondWrite(tmp_path / "store")
    upload = make_zip(
        tmp_path / "up.zip", {TEST_APP_PATH: test_app_sym.read_bytes(), LIBAPP: small_sym()}
    )
    inspected = inspect_upload(upload, GENEROUS)
    with pytest.raises(OSError, match="disk full"):
        store_upload(inspected, store, inspected.files, {item.key for item in inspected.files})
    assert files_under(tmp_path / "store") == set()
