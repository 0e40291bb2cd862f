"""The symbol store: Breakpad symbol files on the crash storage, read and written as streams.

Files live under ``symbols/<debug_file>/<debug_id>/<file>.sym`` of the crash storage: in the
folder ``<root>/symbols`` with files (which the stackwalker can read as a local symbols path)
or under ``<prefix>/symbols/`` in the S3 bucket. Symbol files run to gigabytes, so nothing here
holds one in memory: writes copy from a stream in chunks (S3 multipart uploads of 8 MiB parts),
reads hand out chunks. A write is atomic: readers see the old file or the whole new one.
"""

from __future__ import annotations

import abc
import contextlib
import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from jansky.fileio import fsync_directory
from jansky.storage import CrashStorage, FilesystemCrashStorage, StorageError, open_storage
from jansky.symbols.layout import SymbolKey

PREFIX = "symbols"
CHUNK_BYTES = 1 << 20
TEMP_PREFIX = ".tmp-"
# S3 uploads go in parts of this size, two at a time: what a write holds in memory is about
# two parts, whatever the file's size (10,000 parts make 80 GiB).
PART_BYTES = 8 << 20
PARTS_AT_ONCE = 2


@dataclass
class StoredSymbols:
    """An open symbol file: its size and its bytes in chunks; close it when done."""

    size: int
    stream: BinaryIO
    path: Path | None = None  # set for files, which can be served with sendfile

    def chunks(self, size: int = CHUNK_BYTES) -> Iterator[bytes]:
        while True:
            chunk = self.stream.read(size)
            if not chunk:
                return
            yield chunk

    def close(self) -> None:
        self.stream.close()


class SymbolStore(abc.ABC):
    """Symbol files by :class:`SymbolKey`."""

    @abc.abstractmethod
    def size(self, key: SymbolKey) -> int | None:
        """The file's size, or None when the store has no such file."""

    @abc.abstractmethod
    def open(self, key: SymbolKey) -> StoredSymbols | None:
        """The file opened for reading, or None when the store has none."""

    @abc.abstractmethod
    def put(self, key: SymbolKey, stream: BinaryIO) -> int:
        """Store everything ``stream`` holds as the file of ``key``, replacing any; the size."""

    @abc.abstractmethod
    def delete(self, key: SymbolKey) -> None:
        """Remove the file; an absent file is not an error."""

    @abc.abstractmethod
    def describe(self) -> str:
        """Where the files are, for messages."""

    def local_directory(self) -> Path | None:
        """The folder in the Breakpad layout when the store is local (a stackwalker symbols
        path), else None."""
        return None


class FileSymbolStore(SymbolStore):
    """Symbol files in ``root`` (``<crash storage root>/symbols``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def describe(self) -> str:
        return f"file://{self.root}"

    def local_directory(self) -> Path:
        return self.root

    def _path(self, key: SymbolKey) -> Path:
        # The key's parts are checked file names; resolving catches a symlinked folder.
        path = self.root / key.debug_file / key.debug_id / key.file_name
        if path.parent.exists() and not path.parent.resolve().is_relative_to(self.root):
            raise StorageError(f"{key.path} resolves outside {self.root}")
        return path

    def size(self, key: SymbolKey) -> int | None:
        try:
            return os.stat(self._path(key), follow_symlinks=False).st_size
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise StorageError(f"{self.describe()}: cannot read {key.path}: {exc}") from exc

    def open(self, key: SymbolKey) -> StoredSymbols | None:
        path = self._path(key)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise StorageError(f"{self.describe()}: cannot read {key.path}: {exc}") from exc
        stream = os.fdopen(fd, "rb")
        return StoredSymbols(os.fstat(fd).st_size, stream, path)

    def put(self, key: SymbolKey, stream: BinaryIO) -> int:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.parent / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
            size = 0
            try:
                with open(temp, "xb") as output:
                    while chunk := stream.read(CHUNK_BYTES):
                        output.write(chunk)
                        size += len(chunk)
                    output.flush()
                    os.fsync(output.fileno())
                os.replace(temp, path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    temp.unlink()
            fsync_directory(path.parent)
        except OSError as exc:
            raise StorageError(f"{self.describe()}: cannot write {key.path}: {exc}") from exc
        return size

    def delete(self, key: SymbolKey) -> None:
        try:
            self._path(key).unlink()
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            raise StorageError(f"{self.describe()}: cannot delete {key.path}: {exc}") from exc


class S3SymbolStore(SymbolStore):
    """Symbol files under ``<prefix>/symbols/`` in an S3 bucket, with the crash storage's
    client (its endpoint, credentials, timeouts and retries)."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/{PREFIX}" if prefix.strip("/") else PREFIX

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def _key(self, key: SymbolKey) -> str:
        return f"{self.prefix}/{key.path}"

    def _error(self, action: str, key: SymbolKey, exc: Exception) -> StorageError:
        return StorageError(f"s3://{self.bucket}/{self._key(key)}: {action} failed: {exc}")

    def _call(self, action: str, key: SymbolKey, call: Callable[..., Any]) -> Any:
        """``call(Bucket=, Key=)``; None when there is no such object, StorageError on failure."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return call(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if _missing(exc):
                return None
            raise self._error(action, key, exc) from exc
        except BotoCoreError as exc:
            raise self._error(action, key, exc) from exc

    def size(self, key: SymbolKey) -> int | None:
        head = self._call("head", key, self.client.head_object)
        return None if head is None else int(head["ContentLength"])

    def open(self, key: SymbolKey) -> StoredSymbols | None:
        answer = self._call("get", key, self.client.get_object)
        return (
            None if answer is None else StoredSymbols(int(answer["ContentLength"]), answer["Body"])
        )

    def put(self, key: SymbolKey, stream: BinaryIO) -> int:
        from boto3.s3.transfer import TransferConfig
        from botocore.exceptions import BotoCoreError, ClientError

        counted = _CountingReader(stream)
        config = TransferConfig(
            multipart_threshold=PART_BYTES,
            multipart_chunksize=PART_BYTES,
            max_concurrency=PARTS_AT_ONCE,
        )
        # Parts read ahead of the ones being sent (s3transfer's default is ten).
        config.max_in_memory_upload_chunks = PARTS_AT_ONCE
        try:
            self.client.upload_fileobj(
                counted,
                self.bucket,
                self._key(key),
                ExtraArgs={"ContentType": "text/plain"},
                Config=config,
            )
        except (BotoCoreError, ClientError) as exc:
            raise self._error("put", key, exc) from exc
        return counted.count

    def delete(self, key: SymbolKey) -> None:
        self._call("delete", key, self.client.delete_object)


def _missing(exc: Exception) -> bool:
    code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NotFound"}


class _CountingReader:
    """A readable stream that counts the bytes read through it."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.count += len(data)
        return data


def symbol_store_for(storage: CrashStorage) -> SymbolStore:
    """The symbol store on ``storage``'s files or bucket."""
    if isinstance(storage, FilesystemCrashStorage):
        return FileSymbolStore(storage.root / PREFIX)
    from jansky.storage.s3 import S3CrashStorage

    if isinstance(storage, S3CrashStorage):
        return S3SymbolStore(storage.client, storage.bucket, storage.prefix)
    raise ValueError(f"no symbol store on {storage!r}")


def open_symbol_store(storage_url: str, env: Mapping[str, str] | None = None) -> SymbolStore:
    """The symbol store on the crash storage named by ``storage_url``."""
    return symbol_store_for(open_storage(storage_url, env=env))
