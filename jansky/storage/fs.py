"""Crash storage in a directory: the embedded default.

Each ``v1/...`` key is a file path under the root, so tools written for the S3 layout work on
it. Writes are atomic (a temporary file in the same directory, fsync, rename, fsync of the
directory), so a reader sees a whole object or none, even after a power cut.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from jansky.storage.base import StorageError
from jansky.storage.objects import ObjectCrashStorage

TEMP_PREFIX = ".tmp-"


class FilesystemCrashStorage(ObjectCrashStorage):
    """Crashes stored as files under ``root`` (created on the first write).

    Files are readable by their owner only (crash data is sensitive): run every Jansky process
    that shares the root as the same user.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()

    def describe(self) -> str:
        return f"file://{self.root}"

    def _path(self, key: str) -> Path:
        """The path of ``key``, refusing any key that would lead outside the root."""
        path = (self.root / key).resolve()
        if path == self.root or not path.is_relative_to(self.root):
            raise StorageError(f"key {key!r} resolves to {path}, outside {self.root}")
        return path

    def _put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
        except OSError as exc:
            raise StorageError(f"{self.describe()}: cannot write {key}: {exc}") from exc
        try:
            with os.fdopen(fd, "wb") as temp:
                temp.write(data)
                temp.flush()
                os.fsync(temp.fileno())
            os.replace(temp_name, path)
            _fsync_directory(path.parent)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
            raise StorageError(f"{self.describe()}: cannot write {key}: {exc}") from exc

    def _get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise StorageError(f"{self.describe()}: cannot read {key}: {exc}") from exc

    def _delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except NotADirectoryError:
            return
        except OSError as exc:
            raise StorageError(f"{self.describe()}: cannot delete {key}: {exc}") from exc

    def _list(self, prefix: str) -> Iterator[str]:
        directory = self._path(prefix)
        try:
            names = sorted(entry.name for entry in os.scandir(directory) if entry.is_file())
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            raise StorageError(f"{self.describe()}: cannot list {prefix}: {exc}") from exc
        yield from names


def _fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
