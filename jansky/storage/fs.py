"""Crash storage in a directory: the embedded default.

Each ``v1/...`` key is a file path under the root, so tools written for the S3 layout work on
it. Writes are atomic (a temporary file in the same directory, fsync, rename, fsync of the
directory), so a reader sees a whole object or none, even after a power cut. Objects written
together share the folder flushes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from jansky.fileio import fsync_directory, write_all
from jansky.storage import keys
from jansky.storage.base import CrashNotFound, StorageError
from jansky.storage.objects import ObjectCrashStorage

TEMP_PREFIX = ".tmp-"
MAX_CACHED_FOLDERS = 4096
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC


class FilesystemCrashStorage(ObjectCrashStorage):
    """Crashes stored as files under ``root`` (created on the first write).

    Files are readable by their owner only (crash data is sensitive): run every Jansky process
    that shares the root as the same user.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()
        # Folders already resolved inside the root: a crash's keys share a few folders, and
        # resolving costs a system call per path component.
        self._folders: dict[str, str] = {}

    def describe(self) -> str:
        return f"file://{self.root}"

    def _path(self, key: str) -> str:
        """The path of ``key``, refusing any key that would lead outside the root.

        Paths are strings: a crash costs a dozen of them, and pathlib's objects cost several
        times more to build and compare.
        """
        folder_key, _, name = key.rpartition("/")
        if name in (".", "..") or "\0" in key:
            raise StorageError(f"key {key!r} does not name an object under {self.root}")
        folder = self._folder(folder_key, key)
        if name:
            return os.path.join(folder, name)  # inside the folder, hence inside the root
        if folder == str(self.root):
            raise StorageError(f"key {key!r} resolves to {folder}, outside {self.root}")
        return folder

    def _folder(self, folder_key: str, key: str) -> str:
        """The resolved folder ``folder_key``, which must lie in the root (symlinks followed)."""
        cached = self._folders.get(folder_key)
        if cached is not None:
            return cached
        folder = (self.root / folder_key).resolve()
        if not folder.is_relative_to(self.root):
            raise StorageError(f"key {key!r} resolves to {folder}, outside {self.root}")
        text = str(folder)
        if folder.is_dir():  # a folder created later is resolved (and checked) again
            if len(self._folders) >= MAX_CACHED_FOLDERS:
                self._folders.clear()
            self._folders[folder_key] = text
        return text

    def _put(self, key: str, data: bytes) -> None:
        self._put_many([(key, data)])

    def _put_many(self, objects: Sequence[tuple[str, bytes]]) -> None:
        """Write and fsync every file, rename them all, then fsync each folder once.

        A crash's dump names and dumps share one pass: their files are flushed before any is
        renamed, and the folders holding them after every rename, so each object is whole and
        durable once this returns, with one folder flush per distinct folder.
        """
        staged: list[tuple[str, str, str]] = []  # (temporary path, final path, key)
        try:
            for key, data in objects:
                path = self._path(key)
                temp_name = self._write_temporary(key, os.path.dirname(path), data)
                staged.append((temp_name, path, key))
            folders: dict[str, str] = {}
            while staged:
                temp_name, path, key = staged[0]
                try:
                    os.replace(temp_name, path)
                except OSError as exc:
                    raise StorageError(f"{self.describe()}: cannot write {key}: {exc}") from exc
                staged.pop(0)
                folders.setdefault(os.path.dirname(path), key)
            for folder, key in folders.items():
                try:
                    fsync_directory(folder)
                except OSError as exc:
                    raise StorageError(f"{self.describe()}: cannot write {key}: {exc}") from exc
        finally:
            for temp_name, _path, _key in staged:
                with contextlib.suppress(OSError):
                    os.unlink(temp_name)

    def _write_temporary(self, key: str, folder: str, data: bytes) -> str:
        """A new owner-only file in ``folder`` holding ``data``, fsync'd; returns its name."""
        temp_name = os.path.join(folder, f"{TEMP_PREFIX}{secrets.token_hex(8)}")
        try:
            try:
                fd = os.open(temp_name, _CREATE_FLAGS, 0o600)
            except FileNotFoundError:
                _make_folders(Path(folder))
                fd = os.open(temp_name, _CREATE_FLAGS, 0o600)
        except OSError as exc:
            raise StorageError(f"{self.describe()}: cannot write {key}: {exc}") from exc
        try:
            try:
                write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
            raise StorageError(f"{self.describe()}: cannot write {key}: {exc}") from exc
        return temp_name

    def load_dumps_as_files(self, crash_id: str, directory: Path) -> dict[str, Path]:
        """Hard-link each stored dump into ``directory``: no copy of the bytes.

        Readers only read these files (a stored dump is never written in place: a new save
        renames a new file over it). Where a link cannot be made (another filesystem), the
        dump is copied as the other backends do.
        """
        paths = {}
        for name in self.load_dump_names(crash_id):
            key = keys.dump_key(crash_id, name)
            source = self._path(key)
            target = Path(directory) / keys.dump_file_name(crash_id, name)
            try:
                mode = os.lstat(source).st_mode
            except FileNotFoundError:
                raise CrashNotFound(crash_id, f"dump {name!r}") from None
            except OSError as exc:
                raise StorageError(f"{self.describe()}: cannot read {key}: {exc}") from exc
            if not stat.S_ISREG(mode):
                raise StorageError(f"{self.describe()}: {key} is not a regular file")
            try:
                os.link(source, target, follow_symlinks=False)
            except OSError:  # another filesystem, a leftover file, or the dump just went
                target.unlink(missing_ok=True)
                target.write_bytes(self._require(crash_id, key, f"dump {name!r}"))
            paths[name] = target
        return paths

    def _get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            # Not following a symlink keeps reads inside the root (folders were checked).
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise StorageError(f"{self.describe()}: cannot read {key}: {exc}") from exc
        try:
            with os.fdopen(fd, "rb") as stream:
                return stream.read()
        except OSError as exc:
            raise StorageError(f"{self.describe()}: cannot read {key}: {exc}") from exc

    def _delete(self, key: str) -> None:
        path = self._path(key)
        try:
            os.unlink(path)
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            raise StorageError(f"{self.describe()}: cannot delete {key}: {exc}") from exc

    def _list(self, prefix: str, name_prefix: str = "") -> Iterator[str]:
        yield from self._scan(prefix, lambda entry: entry.is_file(), name_prefix)

    def _list_folders(self, prefix: str) -> Iterator[str]:
        yield from self._scan(prefix, lambda entry: entry.is_dir(follow_symlinks=False))

    def _scan(
        self, prefix: str, wanted: Callable[[os.DirEntry], bool], name_prefix: str = ""
    ) -> Iterator[str]:
        """Names of the wanted entries of a folder (only those with ``name_prefix``), as the
        folder is read: a listing never holds a whole day of names."""
        directory = self._path(prefix)
        try:
            entries = os.scandir(directory)
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            raise StorageError(f"{self.describe()}: cannot list {prefix}: {exc}") from exc
        with entries:
            try:
                for entry in entries:
                    if entry.name.startswith(name_prefix) and wanted(entry):
                        yield entry.name
            except OSError as exc:
                raise StorageError(f"{self.describe()}: cannot list {prefix}: {exc}") from exc

    def _exists(self, key: str) -> bool:
        try:
            return stat.S_ISREG(os.lstat(self._path(key)).st_mode)
        except (FileNotFoundError, NotADirectoryError):
            return False
        except OSError as exc:
            raise StorageError(f"{self.describe()}: cannot read {key}: {exc}") from exc

    def _remove_folder(self, prefix: str) -> None:
        """Remove an empty folder (a date retention emptied); a folder still in use stays."""
        try:
            os.rmdir(self._path(prefix))
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            if exc.errno != errno.ENOTEMPTY:
                raise StorageError(f"{self.describe()}: cannot remove {prefix}: {exc}") from exc


def _make_folders(folder: Path) -> None:
    """Create ``folder`` and its missing parents, each durably recorded in its parent."""
    missing = []
    while not folder.is_dir():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for created in reversed(missing):
        created.mkdir(exist_ok=True)
        fsync_directory(created.parent)
