"""Socorro's crash storage key layout, dump-name rules and JSON formats, as pure functions.

Every backend stores the same keys (the filesystem backend as paths under its root), so the
same tools work on any of them:

- ``v1/raw_crash/<YYYYMMDD>/<id>``: the raw crash (annotations) JSON, written last;
- ``v1/dump_names/<id>``: the sorted JSON list of dump names, ``[]`` when there are none;
- ``v1/dump/<id>``: the main minidump (``upload_file_minidump``);
- ``v1/<dump name>/<id>``: any other dump;
- ``v1/processed_crash/<id>``: the processed crash JSON.

A crash id or dump name becomes part of a key and of a path, so both are validated here
before any key is built.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from jansky import fastjson
from jansky.crashid import InvalidCrashId, is_valid_crash_id, validate_crash_id

MAIN_DUMP_NAME = "upload_file_minidump"
MAIN_DUMP_KEY_NAME = "dump"
VERSION_PREFIX = "v1"
RAW_CRASH = "raw_crash"
DUMP_NAMES = "dump_names"
PROCESSED_CRASH = "processed_crash"

# Names a dump may not take because their keys hold something else (``dump`` is where the
# main minidump lives, so a dump named ``dump`` would overwrite it).
RESERVED_DUMP_NAMES = frozenset({RAW_CRASH, DUMP_NAMES, PROCESSED_CRASH, MAIN_DUMP_KEY_NAME})
MAX_DUMP_NAME_LENGTH = 128
CRASH_ID_LENGTH = 36

RAW_CRASHES = f"{VERSION_PREFIX}/{RAW_CRASH}/"
MAX_ID_PREFIX_LENGTH = 8

_DUMP_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_ID_PREFIX = re.compile(rf"[0-9a-f]{{0,{MAX_ID_PREFIX_LENGTH}}}")
_DATE_SEGMENT = re.compile(r"\d{8}")


class InvalidDumpName(ValueError):
    """A dump name that cannot be used in a storage key."""

    def __init__(self, name: object, reason: str) -> None:
        shown = repr(name)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        super().__init__(f"invalid dump name {shown}: {reason}")
        self.name = name


class CrashDataError(ValueError):
    """Crash data that cannot be stored as JSON (or stored JSON that is not a crash)."""


def normalize_dump_name(name: str | None) -> str:
    """The client-facing dump name: ``None`` and ``""`` mean the main minidump."""
    if name is None or name == "":
        return MAIN_DUMP_NAME
    return validate_dump_name(name)


def normalize_dump_names(names: Iterable[str | None]) -> list[str]:
    """Normalized, sorted dump names; two names for the same dump are an error."""
    normalized: dict[str, str | None] = {}
    for name in names:
        key = normalize_dump_name(name)
        if key in normalized:
            raise InvalidDumpName(name, f"it names the same dump as {normalized[key]!r}")
        normalized[key] = name
    return sorted(normalized)


def validate_dump_name(name: object) -> str:
    """Return ``name`` unchanged if it is safe as a key part, else raise InvalidDumpName."""
    if not isinstance(name, str):
        raise InvalidDumpName(name, f"expected a string, got {type(name).__name__}")
    if not name:
        raise InvalidDumpName(name, "it is empty")
    if len(name) > MAX_DUMP_NAME_LENGTH:
        raise InvalidDumpName(name, f"longer than {MAX_DUMP_NAME_LENGTH} characters")
    if not _DUMP_NAME.fullmatch(name):
        raise InvalidDumpName(name, "only letters, digits, '_', '.' and '-' are allowed")
    if name.startswith("."):
        raise InvalidDumpName(name, "it must not start with '.'")
    if ".." in name:
        raise InvalidDumpName(name, "it must not contain '..'")
    if name in RESERVED_DUMP_NAMES:
        raise InvalidDumpName(name, f"{name!r} is reserved for another object of the crash")
    return name


def check_crash_id(crash_id: object) -> str:
    """Validate a crash id for use in a key: the crash id shape and exactly 36 characters.

    The length check also refuses a trailing newline, which the crash id pattern lets through.
    """
    valid = validate_crash_id(crash_id)
    if len(valid) != CRASH_ID_LENGTH:
        raise InvalidCrashId(crash_id, f"expected exactly {CRASH_ID_LENGTH} characters")
    return valid


def is_storable_crash_id(name: str) -> bool:
    """Whether a listed object name is a crash id that :func:`check_crash_id` accepts."""
    return len(name) == CRASH_ID_LENGTH and is_valid_crash_id(name, strict=False)


def date_segment(crash_id: str) -> str:
    """The ``YYYYMMDD`` directory of a crash: ``20`` + the last six characters of its id."""
    return "20" + check_crash_id(crash_id)[-6:]


def raw_crash_prefix(date: datetime.date) -> str:
    """The key prefix under which the raw crashes of ``date`` are listed (ends with ``/``)."""
    return f"{RAW_CRASHES}{date:%Y%m%d}/"


def parse_date_segment(name: str) -> datetime.date | None:
    """The date of a ``YYYYMMDD`` folder name under ``v1/raw_crash/``; None for anything else."""
    if not _DATE_SEGMENT.fullmatch(name):
        return None
    try:
        return datetime.datetime.strptime(name, "%Y%m%d").date()
    except ValueError:
        return None


def check_id_prefix(prefix: object) -> str:
    """A crash id prefix to list by: up to 8 lowercase hex digits (the id's first group)."""
    if not isinstance(prefix, str) or not _ID_PREFIX.fullmatch(prefix):
        raise ValueError(
            f"invalid crash id prefix {prefix!r}: expected 0 to {MAX_ID_PREFIX_LENGTH} "
            "lowercase hex digits"
        )
    return prefix


def raw_crash_key(crash_id: str) -> str:
    return f"{VERSION_PREFIX}/{RAW_CRASH}/{date_segment(crash_id)}/{crash_id}"


def dump_names_key(crash_id: str) -> str:
    return f"{VERSION_PREFIX}/{DUMP_NAMES}/{check_crash_id(crash_id)}"


def processed_crash_key(crash_id: str) -> str:
    return f"{VERSION_PREFIX}/{PROCESSED_CRASH}/{check_crash_id(crash_id)}"


def dump_key(crash_id: str, dump_name: str | None) -> str:
    """The key of a dump; the main minidump is stored as ``dump``."""
    name = normalize_dump_name(dump_name)
    key_name = MAIN_DUMP_KEY_NAME if name == MAIN_DUMP_NAME else name
    return f"{VERSION_PREFIX}/{key_name}/{check_crash_id(crash_id)}"


def dump_file_name(crash_id: str, dump_name: str | None) -> str:
    """The file name a dump gets when loaded into a directory for the stackwalker."""
    return f"{check_crash_id(crash_id)}.{normalize_dump_name(dump_name)}.TEMPORARY.dump"


def crash_keys(crash_id: str, dump_names: Iterable[str]) -> list[str]:
    """Every key of a crash with these dumps, raw crash first (the order to delete in)."""
    keys = [raw_crash_key(crash_id)]
    keys += [dump_key(crash_id, name) for name in dump_names]
    keys += [dump_names_key(crash_id), processed_crash_key(crash_id)]
    return keys


def _stored_dump_name(name: Any) -> str:
    return MAIN_DUMP_NAME if name == MAIN_DUMP_KEY_NAME else normalize_dump_name(name)


def _default(value: Any) -> str:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _encode(data: Any, what: str) -> bytes:
    """Antenna's format: sorted keys, default separators, ASCII only."""
    try:
        text = json.dumps(data, sort_keys=True, ensure_ascii=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise CrashDataError(f"the {what} cannot be stored as JSON: {exc}") from exc
    return text.encode("utf-8")


def _decode(data: bytes, what: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CrashDataError(f"the stored {what} is not UTF-8 JSON: {exc}") from exc


def _require_object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise CrashDataError(f"the {what} must be a JSON object, got {type(data).__name__}")
    return data


def encode_raw_crash(raw_crash: Mapping[str, Any]) -> bytes:
    """Raw crash JSON as the collector writes it: sorted keys, ASCII only, UTF-8 bytes."""
    return _encode(_require_object(dict(raw_crash), "raw crash"), "raw crash")


def decode_raw_crash(data: bytes) -> dict[str, Any]:
    return _require_object(_decode(data, "raw crash"), "raw crash")


def encode_processed_crash(processed_crash: Mapping[str, Any]) -> bytes:
    """Processed crash JSON: compact, sorted keys, ASCII only, datetimes and dates as ISO 8601
    strings, floats that are not finite as ``null``.

    Socorro writes it with ``json.dumps``; any JSON reader reads both. This one is encoded with
    orjson (:mod:`jansky.fastjson`): the stackwalker output it carries makes it the largest
    JSON a crash costs.
    """
    data = _require_object(dict(processed_crash), "processed crash")
    try:
        return fastjson.encode_sorted(data, default=_default)
    except (TypeError, ValueError) as exc:
        raise CrashDataError(f"the processed crash cannot be stored as JSON: {exc}") from exc


def decode_processed_crash(data: bytes) -> dict[str, Any]:
    return _require_object(_decode(data, "processed crash"), "processed crash")


def encode_dump_names(dump_names: Iterable[str | None]) -> bytes:
    """The sorted JSON list of (normalized) dump names; ``[]`` when there are none."""
    return _encode(normalize_dump_names(dump_names), "dump names")


def decode_dump_names(data: bytes) -> list[str]:
    """Stored dump names, normalized (``dump`` and ``""`` read as ``upload_file_minidump``)."""
    names = _decode(data, "dump names")
    if not isinstance(names, list):
        raise CrashDataError(f"the stored dump names must be a JSON list, got {names!r:.80}")
    try:
        return sorted({_stored_dump_name(name) for name in names})
    except InvalidDumpName as exc:
        raise CrashDataError(f"the stored dump names are unusable: {exc}") from exc
