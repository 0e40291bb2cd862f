"""Crash storage: raw crashes, dumps and processed crashes under Socorro's ``v1/...`` keys.

Backends are chosen by URL: ``file:///path`` (files, the embedded default) or
``s3://bucket[/prefix]`` (S3, MinIO).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from jansky.config import load_core_settings
from jansky.crashid import InvalidCrashId
from jansky.storage.base import CrashNotFound, CrashStorage, SaveAbandoned, StorageError
from jansky.storage.fs import FilesystemCrashStorage
from jansky.storage.keys import CrashDataError, InvalidDumpName

__all__ = [
    "CrashDataError",
    "CrashNotFound",
    "CrashStorage",
    "FilesystemCrashStorage",
    "InvalidCrashId",
    "InvalidDumpName",
    "SaveAbandoned",
    "StorageError",
    "UnsupportedStorageUrl",
    "open_storage",
    "open_storage_from_settings",
]

SUPPORTED_SCHEMES = ("file", "s3")
URL_EXAMPLES = "file:///srv/jansky/crashes, file://var/crashes or s3://bucket[/prefix]"


class UnsupportedStorageUrl(ValueError):
    """A ``STORAGE_URL`` that names no storage backend."""


def open_storage(url: str, env: Mapping[str, str] | None = None) -> CrashStorage:
    """The storage backend for ``url``; ``env`` overrides the environment for its options.

    ``file://`` is followed by the path itself, absolute (``file:///srv/crashes``) or relative
    to the working directory (``file://var/crashes``).
    """
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in SUPPORTED_SCHEMES:
        raise UnsupportedStorageUrl(
            f"unsupported storage URL {url!r}: the scheme must be one of "
            f"{', '.join(s + '://' for s in SUPPORTED_SCHEMES)} (e.g. {URL_EXAMPLES})"
        )
    if scheme == "file":
        if not rest:
            raise UnsupportedStorageUrl(f"storage URL {url!r} has no path (e.g. {URL_EXAMPLES})")
        return FilesystemCrashStorage(Path(rest))

    parts = urlsplit(url)
    if not parts.netloc or parts.query or parts.fragment:
        raise UnsupportedStorageUrl(
            f"storage URL {url!r} must be s3://bucket or s3://bucket/prefix, "
            "with no query or fragment"
        )
    from jansky.storage.s3 import S3CrashStorage  # boto3 is slow to import: only S3 users pay.

    return S3CrashStorage(parts.netloc, prefix=parts.path, env=env)


def open_storage_from_settings(env: Mapping[str, str] | None = None) -> CrashStorage:
    """The storage backend named by ``STORAGE_URL`` (files under ``DATA_DIR`` by default)."""
    return open_storage(load_core_settings(env).storage_url, env=env)
