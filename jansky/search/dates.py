"""Date parsing and formatting shared by the parser, the documents and both backends.

Dates are kept to the microsecond in UTC; every backend stores and compares them at that
precision so that range edges behave the same everywhere.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$", re.IGNORECASE
)
_BEYOND_MICROSECONDS = re.compile(r"(\.\d{6})\d+")


def parse_date(text: str) -> datetime:
    """``YYYY-MM-DD`` or ISO 8601 with ``T`` or a space; no offset means UTC.

    Raises ValueError for anything else, including dates outside 1970-2262 (what the cluster's
    nanosecond dates can hold).
    """
    text = text.strip()
    if _DATE_ONLY.match(text):
        value = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    elif _ISO.match(text):
        normalized = _BEYOND_MICROSECONDS.sub(r"\1", text.replace(" ", "T", 1))
        if normalized[-1] in "zZ":
            normalized = normalized[:-1] + "+00:00"
        value = datetime.fromisoformat(normalized)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
    else:
        raise ValueError(f"not a date: {text[:40]!r}")
    if not 1970 <= value.year <= 2261:
        raise ValueError("date out of range 1970-2261")
    return value


def to_micros(value: datetime) -> int:
    delta = value.astimezone(UTC) - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def format_date(value: datetime) -> str:
    """ISO 8601 in UTC with microseconds when present: ``2024-10-01T12:00:00.123456+00:00``."""
    return value.astimezone(UTC).isoformat()


def format_bucket(value: datetime) -> str:
    """A histogram bucket's lower bound: ``2024-10-01T00:00:00+00:00``."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat()
