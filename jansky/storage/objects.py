"""Crash storage over a flat store of objects by key, shared by the file and S3 backends.

The crash logic (validation, key layout, JSON, write and delete order) lives here once; a
backend supplies five primitives on keys: put, get, delete, list and a description for messages.
"""

from __future__ import annotations

import abc
import datetime
import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from jansky.storage import keys
from jansky.storage.base import CrashNotFound, CrashStorage, SaveAbandoned, StorageError

logger = logging.getLogger(__name__)

HEALTH_PREFIX = "test/"


class ObjectCrashStorage(CrashStorage):
    """A :class:`CrashStorage` whose backend only stores bytes under ``v1/...`` keys."""

    @abc.abstractmethod
    def _put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` durably, replacing any previous object atomically."""

    def _put_many(self, objects: Sequence[tuple[str, bytes]]) -> None:
        """Store every object durably before returning; any failure raises.

        The objects have no order among themselves: a backend may write them concurrently or
        share one flush between them. The default stores them one by one.
        """
        for key, data in objects:
            self._put(key, data)

    @abc.abstractmethod
    def _get(self, key: str) -> bytes | None:
        """The object under ``key``, or None if there is none."""

    @abc.abstractmethod
    def _delete(self, key: str) -> None:
        """Remove the object under ``key``; an absent object is not an error."""

    def _delete_many(self, keys_to_delete: Sequence[str]) -> None:
        """Remove the objects, in no particular order; the default removes them one by one."""
        for key in keys_to_delete:
            self._delete(key)

    @abc.abstractmethod
    def _list(self, prefix: str, name_prefix: str = "") -> Iterator[str]:
        """Names of the objects directly under ``prefix`` (a key ending with ``/``), only
        those starting with ``name_prefix`` when it is given."""

    @abc.abstractmethod
    def _list_folders(self, prefix: str) -> Iterator[str]:
        """Names of the folders (key prefixes ending with ``/``) directly under ``prefix``."""

    def _exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``; backends check without reading it."""
        return self._get(key) is not None

    def _remove_folder(self, prefix: str) -> None:
        """Remove the folder ``prefix`` if it is empty; nothing where folders are not real."""

    @abc.abstractmethod
    def describe(self) -> str:
        """Where the crashes are, for messages (``file:///srv/crashes``, ``s3://bucket``)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"

    def save_raw_crash(
        self,
        crash_id: str,
        raw_crash: Mapping[str, Any],
        dumps: Mapping[str, bytes],
        cancel: threading.Event | None = None,
    ) -> None:
        keys.check_crash_id(crash_id)
        # Encode and check everything before the first write, so bad input writes nothing.
        dump_names = keys.normalize_dump_names(dumps)
        objects = [(keys.dump_names_key(crash_id), keys.encode_dump_names(dump_names))]
        for name, data in dumps.items():
            if not isinstance(data, bytes | bytearray | memoryview):
                raise TypeError(f"{crash_id}: dump {name!r} must be bytes, not {type(data)}")
            objects.append((keys.dump_key(crash_id, name), bytes(data)))
        raw_crash_object = (keys.raw_crash_key(crash_id), keys.encode_raw_crash(raw_crash))
        # Dump names and dumps together, then the raw crash alone once they are durable: its
        # presence is what says the crash is complete.
        try:
            self._put_many(objects)
            if cancel is not None and cancel.is_set():
                raise SaveAbandoned(f"{crash_id}: abandoned before the raw crash was written")
        except BaseException:
            self._discard(crash_id, [key for key, _ in objects])
            raise
        self._put_many([raw_crash_object])
        logger.debug(
            "saved raw crash crash_id=%s dumps=%s storage=%s",
            crash_id,
            ",".join(dump_names) or "-",
            self.describe(),
        )

    def _discard(self, crash_id: str, keys_written: list[str]) -> None:
        """Best effort: delete the objects of a save that will not be completed.

        Without a raw crash they are orphans that retention (which walks raw crashes by date)
        would never find. A crash saved before under the same id keeps them: they are its own.
        """
        try:
            if self._exists(keys.raw_crash_key(crash_id)):
                return
            for key in keys_written:
                self._delete(key)
        except Exception as exc:
            logger.warning("crash_id=%s event=orphan_objects_kept error=%r", crash_id, exc)

    def load_raw_crash(self, crash_id: str) -> dict[str, Any]:
        data = self._require(crash_id, keys.raw_crash_key(crash_id), "raw crash")
        return self._decode(crash_id, keys.decode_raw_crash, data)

    def load_dump_names(self, crash_id: str) -> list[str]:
        data = self._require(crash_id, keys.dump_names_key(crash_id), "dump names")
        return self._decode(crash_id, keys.decode_dump_names, data)

    def load_dumps(self, crash_id: str) -> dict[str, bytes]:
        return {
            name: self._require(crash_id, keys.dump_key(crash_id, name), f"dump {name!r}")
            for name in self.load_dump_names(crash_id)
        }

    def load_dump(self, crash_id: str, name: str) -> bytes:
        key = keys.dump_key(crash_id, name)
        return self._require(crash_id, key, f"dump {keys.normalize_dump_name(name)!r}")

    def load_dumps_as_files(self, crash_id: str, directory: Path) -> dict[str, Path]:
        paths = {}
        for name, data in self.load_dumps(crash_id).items():
            path = Path(directory) / keys.dump_file_name(crash_id, name)
            path.write_bytes(data)
            paths[name] = path
        return paths

    def save_processed_crash(self, crash_id: str, processed_crash: Mapping[str, Any]) -> None:
        keys.check_crash_id(crash_id)
        data = keys.encode_processed_crash(processed_crash)
        self._put(keys.processed_crash_key(crash_id), data)
        logger.debug("saved processed crash crash_id=%s storage=%s", crash_id, self.describe())

    def load_processed_crash(self, crash_id: str) -> dict[str, Any]:
        data = self._require(crash_id, keys.processed_crash_key(crash_id), "processed crash")
        return self._decode(crash_id, keys.decode_processed_crash, data)

    def list_crash_ids(self, date: datetime.date, prefix: str = "") -> Iterator[str]:
        folder = keys.raw_crash_prefix(date)
        # Anything else in the folder (temporary files, stray objects) is not a crash.
        for name in self._list(folder, keys.check_id_prefix(prefix)):
            if keys.is_storable_crash_id(name) and keys.raw_crash_key(name) == folder + name:
                yield name

    def list_crash_dates(self) -> Iterator[datetime.date]:
        found = (keys.parse_date_segment(name) for name in self._list_folders(keys.RAW_CRASHES))
        yield from sorted(date for date in found if date is not None)

    def prune_date(self, date: datetime.date) -> None:
        self._remove_folder(keys.raw_crash_prefix(date))

    def has_processed_crash(self, crash_id: str) -> bool:
        return self._exists(keys.processed_crash_key(crash_id))

    def delete_crash(self, crash_id: str) -> None:
        self.delete_crashes([crash_id])

    def delete_crashes(self, crash_ids: Sequence[str]) -> None:
        """Every raw crash goes first, in one batch, so that a crash half deleted no longer
        looks complete; then every other object, in another."""
        raw_crashes: list[str] = []
        others: list[str] = []
        for crash_id in crash_ids:
            raw_crash, *rest = keys.crash_keys(crash_id, self._dump_names_to_delete(crash_id))
            raw_crashes.append(raw_crash)
            others += rest
        self._delete_many(raw_crashes)
        self._delete_many(others)
        for crash_id in crash_ids:
            logger.info("deleted crash crash_id=%s storage=%s", crash_id, self.describe())

    def _dump_names_to_delete(self, crash_id: str) -> list[str]:
        data = self._get(keys.dump_names_key(crash_id))
        try:
            return keys.decode_dump_names(data) if data is not None else []
        except keys.CrashDataError as exc:
            # Still delete what can be found, so retention is not blocked by one bad object.
            logger.warning("deleting crash with bad dump names crash_id=%s: %s", crash_id, exc)
            return [keys.MAIN_DUMP_NAME]

    def check_health(self) -> None:
        key = f"{HEALTH_PREFIX}health-{uuid.uuid4()}"
        payload = b"jansky health check"
        self._put(key, payload)
        try:
            if self._get(key) != payload:
                raise StorageError(f"{self.describe()}: health object {key} read back differently")
        finally:
            self._delete(key)

    def _require(self, crash_id: str, key: str, what: str) -> bytes:
        data = self._get(key)
        if data is None:
            raise CrashNotFound(crash_id, what)
        return data

    def _decode(self, crash_id: str, decode: Callable[[bytes], Any], data: bytes) -> Any:
        try:
            return decode(data)
        except keys.CrashDataError as exc:
            raise StorageError(f"{crash_id}: {exc} ({self.describe()})") from exc
