"""The crash storage interface shared by every backend.

A crash is stored as objects under Socorro's ``v1/...`` keys (see :mod:`jansky.storage.keys`).
The raw crash is written last, so its presence means the crash is complete.
"""

from __future__ import annotations

import abc
import datetime
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any


class StorageError(Exception):
    """The storage backend failed; the operation may be retried."""


class SaveAbandoned(StorageError):
    """The caller gave up on a save before its raw crash was written."""


class CrashNotFound(StorageError):
    """No crash (or no processed crash) is stored under this id."""

    def __init__(self, crash_id: str, what: str = "raw crash") -> None:
        super().__init__(f"{crash_id}: no {what} in storage")
        self.crash_id = crash_id


class CrashStorage(abc.ABC):
    """Save and load raw crashes, their dumps and processed crashes.

    Every method validates the crash id (raising :class:`jansky.crashid.InvalidCrashId`) before
    touching the backend. Dump names are the names the client sent (``upload_file_minidump``
    for the main minidump); the backends map them to keys.
    """

    @abc.abstractmethod
    def save_raw_crash(
        self,
        crash_id: str,
        raw_crash: Mapping[str, Any],
        dumps: Mapping[str, bytes],
        cancel: threading.Event | None = None,
    ) -> None:
        """Store dump names, then each dump, then the raw crash (last).

        Once ``cancel`` is set (the caller gave up waiting) the raw crash is not written:
        :class:`SaveAbandoned` is raised instead, so an abandoned crash never looks complete.
        """

    @abc.abstractmethod
    def load_raw_crash(self, crash_id: str) -> dict[str, Any]:
        """The raw crash; :class:`CrashNotFound` if it is absent."""

    @abc.abstractmethod
    def load_dump_names(self, crash_id: str) -> list[str]:
        """The sorted dump names of a crash; :class:`CrashNotFound` if it is absent."""

    @abc.abstractmethod
    def load_dumps(self, crash_id: str) -> dict[str, bytes]:
        """Every dump of a crash by name."""

    def load_dump(self, crash_id: str, name: str) -> bytes:
        """One dump by name (``upload_file_minidump`` for the main minidump).

        :class:`CrashNotFound` if the crash or that dump is absent. Backends that can read one
        object override this to avoid loading the others.
        """
        dumps = self.load_dumps(crash_id)
        if name not in dumps:
            raise CrashNotFound(crash_id, f"dump {name!r}")
        return dumps[name]

    @abc.abstractmethod
    def load_dumps_as_files(self, crash_id: str, directory: Path) -> dict[str, Path]:
        """Write every dump into ``directory`` and return the paths by dump name."""

    @abc.abstractmethod
    def save_processed_crash(self, crash_id: str, processed_crash: Mapping[str, Any]) -> None:
        """Store (or overwrite) the processed crash."""

    @abc.abstractmethod
    def load_processed_crash(self, crash_id: str) -> dict[str, Any]:
        """The processed crash; :class:`CrashNotFound` if it is absent."""

    #: Leading hex digits of crash ids that split one date's listing into parts listed in
    #: parallel (``16 ** n`` parts): many small listings suit S3, few passes suit a folder.
    listing_prefix_digits: int = 1

    @abc.abstractmethod
    def list_crash_ids(self, date: datetime.date, prefix: str = "") -> Iterator[str]:
        """Ids of the complete raw crashes filed under ``date`` (the date in the id), only
        those starting with ``prefix`` when it is given."""

    def list_crash_dates(self) -> Iterator[datetime.date]:
        """The dates under which raw crashes are filed, oldest first (retention walks them)."""
        raise NotImplementedError(f"{type(self).__name__} cannot list the dates of its crashes")

    def prune_date(self, date: datetime.date) -> None:
        """Forget ``date`` once retention has deleted its crashes; a no-op where dates are
        only key prefixes, and while crashes are still filed under it."""
        return None

    def has_processed_crash(self, crash_id: str) -> bool:
        """Whether a processed crash is stored; backends answer without reading it."""
        try:
            self.load_processed_crash(crash_id)
        except CrashNotFound:
            return False
        return True

    @abc.abstractmethod
    def delete_crash(self, crash_id: str) -> None:
        """Remove every object of a crash; deleting an absent crash is not an error."""

    def delete_crashes(self, crash_ids: Sequence[str]) -> None:
        """:meth:`delete_crash` for each; backends that can delete in batches do."""
        for crash_id in crash_ids:
            self.delete_crash(crash_id)

    @abc.abstractmethod
    def check_health(self) -> None:
        """Raise :class:`StorageError` unless the backend can be written and read now."""
