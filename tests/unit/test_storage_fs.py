"""Filesystem storage behaviour the contract suite cannot provoke: real faults on disk."""

from __future__ import annotations

import datetime
import errno
import os
from pathlib import Path

import pytest

from jansky.crashid import create_crash_id
from jansky.storage import CrashNotFound, StorageError
from jansky.storage.fs import TEMP_PREFIX, FilesystemCrashStorage

DAY = datetime.datetime(2024, 3, 9, tzinfo=datetime.UTC)
DUMPS = {"upload_file_minidump": b"MDMP", "memory_report": b"{}"}


@pytest.fixture
def storage(tmp_path: Path) -> FilesystemCrashStorage:
    return FilesystemCrashStorage(tmp_path / "crashes")


def all_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if not path.is_dir())


def test_a_dump_that_cannot_be_written_leaves_no_raw_crash(storage: FilesystemCrashStorage):
    crash_id = create_crash_id(DAY)
    blocker = storage.root / "v1" / "memory_report"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("a file where a directory should be")

    with pytest.raises(StorageError, match="cannot write v1/memory_report/"):
        storage.save_raw_crash(crash_id, {"a": "1"}, DUMPS)

    assert not (storage.root / "v1" / "raw_crash").exists()
    with pytest.raises(CrashNotFound):
        storage.load_raw_crash(crash_id)


def test_a_failed_rename_leaves_no_temporary_file(storage: FilesystemCrashStorage):
    crash_id = create_crash_id(DAY)
    (storage.root / "v1" / "dump" / crash_id).mkdir(parents=True)

    with pytest.raises(StorageError, match=f"cannot write v1/dump/{crash_id}"):
        storage.save_raw_crash(crash_id, {}, DUMPS)

    assert not any(path.name.startswith(TEMP_PREFIX) for path in storage.root.rglob("*"))


def test_a_symlink_out_of_the_root_is_refused(storage: FilesystemCrashStorage, tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (storage.root / "v1").mkdir(parents=True)
    (storage.root / "v1" / "dump").symlink_to(outside)

    with pytest.raises(StorageError, match="outside"):
        storage.save_raw_crash(create_crash_id(DAY), {}, DUMPS)
    assert list(outside.iterdir()) == []


def test_a_symlinked_object_is_not_followed(storage: FilesystemCrashStorage, tmp_path: Path):
    crash_id = create_crash_id(DAY)
    storage.save_raw_crash(crash_id, {"a": "1"}, DUMPS)
    secret = tmp_path / "secret.json"
    secret.write_text('{"secret": "outside"}')
    raw_crash = storage.root / "v1" / "raw_crash" / "20240309" / crash_id
    raw_crash.unlink()
    raw_crash.symlink_to(secret)

    with pytest.raises(StorageError, match="cannot read"):
        storage.load_raw_crash(crash_id)
    storage.save_raw_crash(crash_id, {"a": "2"}, DUMPS)  # replaces the link, not its target
    assert storage.load_raw_crash(crash_id)["a"] == "2"
    assert secret.read_text() == '{"secret": "outside"}'


@pytest.mark.parametrize("key", ["v1/..", "v1/dump/.", "..", "v1/x\0y"])
def test_keys_naming_no_object_are_refused(storage: FilesystemCrashStorage, key: str):
    with pytest.raises(StorageError):
        storage._put(key, b"x")


def test_dumps_are_linked_not_copied(storage: FilesystemCrashStorage, tmp_path: Path):
    crash_id = create_crash_id(DAY)
    storage.save_raw_crash(crash_id, {}, DUMPS)
    work = tmp_path / "work"
    work.mkdir()
    paths = storage.load_dumps_as_files(crash_id, work)
    stored = storage.root / "v1" / "dump" / crash_id
    assert paths["upload_file_minidump"].stat().st_ino == stored.stat().st_ino
    assert {name: path.read_bytes() for name, path in paths.items()} == DUMPS


def test_dumps_are_copied_where_links_fail(
    storage: FilesystemCrashStorage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    crash_id = create_crash_id(DAY)
    storage.save_raw_crash(crash_id, {}, DUMPS)
    work = tmp_path / "work"
    work.mkdir()
    (work / f"{crash_id}.upload_file_minidump.TEMPORARY.dump").write_bytes(b"leftover")

    def no_links(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_links)
    paths = storage.load_dumps_as_files(crash_id, work)
    assert {name: path.read_bytes() for name, path in paths.items()} == DUMPS
    stored = storage.root / "v1" / "dump" / crash_id
    assert paths["upload_file_minidump"].stat().st_ino != stored.stat().st_ino


def test_a_symlinked_dump_is_not_linked(storage: FilesystemCrashStorage, tmp_path: Path):
    crash_id = create_crash_id(DAY)
    storage.save_raw_crash(crash_id, {}, DUMPS)
    outside = tmp_path / "outside.dmp"
    outside.write_bytes(b"secret")
    stored = storage.root / "v1" / "dump" / crash_id
    stored.unlink()
    stored.symlink_to(outside)
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(StorageError, match="not a regular file"):
        storage.load_dumps_as_files(crash_id, work)


def test_listing_ignores_what_is_not_a_crash(storage: FilesystemCrashStorage):
    crash_id = create_crash_id(DAY)
    storage.save_raw_crash(crash_id, {}, {})
    folder = storage.root / "v1" / "raw_crash" / "20240309"
    (folder / f"{TEMP_PREFIX}abc").write_bytes(b"{")
    (folder / "README").write_text("stray")
    (folder / create_crash_id(DAY + datetime.timedelta(days=1))).write_text("{}")
    (folder / create_crash_id(DAY)).mkdir()

    assert list(storage.list_crash_ids(DAY.date())) == [crash_id]


def test_a_corrupt_stored_crash_is_a_storage_error(storage: FilesystemCrashStorage):
    crash_id = create_crash_id(DAY)
    storage.save_raw_crash(crash_id, {}, {"upload_file_minidump": b"x"})
    (storage.root / "v1" / "raw_crash" / "20240309" / crash_id).write_bytes(b"\xff{")
    (storage.root / "v1" / "dump_names" / crash_id).write_bytes(b'["../../etc/passwd"]')

    with pytest.raises(StorageError, match=f"{crash_id}: the stored raw crash is not UTF-8 JSON"):
        storage.load_raw_crash(crash_id)
    with pytest.raises(StorageError, match="stored dump names are unusable"):
        storage.load_dumps(crash_id)


def test_files_are_private_and_the_root_is_made_on_first_write(storage: FilesystemCrashStorage):
    assert not storage.root.exists()
    storage.check_health()
    crash_id = create_crash_id(DAY)
    storage.save_raw_crash(crash_id, {}, DUMPS)
    files = all_files(storage.root)
    assert len(files) == 4
    assert {path.stat().st_mode & 0o777 for path in files} == {0o600}


def test_describe_names_the_resolved_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    assert FilesystemCrashStorage(Path("var/crashes")).describe() == (
        f"file://{tmp_path.resolve()}/var/crashes"
    )


def test_a_crash_with_corrupt_dump_names_can_still_be_deleted(storage: FilesystemCrashStorage):
    crash_id = create_crash_id(DAY)
    storage.save_raw_crash(crash_id, {}, {"upload_file_minidump": b"x"})
    storage.save_processed_crash(crash_id, {})
    (storage.root / "v1" / "dump_names" / crash_id).write_bytes(b"garbage")

    storage.delete_crash(crash_id)

    assert all_files(storage.root) == []
