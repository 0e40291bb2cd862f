"""Processed crash -> the document both backends index: searchable fields, fixed up.

Values are fixed up by storage type before indexing (the cluster's rules, applied the same
for SQLite so both answer alike): long strings are truncated, numbers outside the type's range
and unparsable values are dropped, booleans are normalized, dates become UTC ISO strings.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import Any

from jansky.search.dates import format_date, parse_date
from jansky.search.fields import Field, FieldRegistry

KEYWORD_MAX_CHARS = 10_000
MAX_TERM_BYTES = 32_766
BAD_DATA = "BAD DATA"
INT_RANGES = {
    "short": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
}


def crash_key(crash_id: str) -> int:
    """A 60-bit number derived from the crash id: the final, cheap tiebreak of every sort.

    Clusters sort on numbers far faster than on keywords, so both backends break ties on
    this instead of on the crash id itself.
    """
    digest = hashlib.blake2b(crash_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 4


def truncate_bytes(text: str, limit: int = MAX_TERM_BYTES) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes on a character boundary."""
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", "ignore")


def fix_value(field: Field, value: Any) -> Any:
    """The value as indexed, or ``None`` when it must not be indexed."""
    storage = field.storage_type
    if value is None:
        return None
    if storage == "keyword":
        if not isinstance(value, str):
            return BAD_DATA
        return truncate_bytes(value[:KEYWORD_MAX_CHARS])
    if storage == "text":
        return truncate_bytes(value) if isinstance(value, str) else None
    if storage in INT_RANGES:
        number = _as_int(value)
        low, high = INT_RANGES[storage]
        return number if number is not None and low <= number <= high else None
    if storage == "double":
        number = _as_float(value)
        return number if number is not None and math.isfinite(number) else None
    if storage == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return value == 1
        return isinstance(value, str) and value in ("1", "true")
    if storage == "date":
        try:
            return format_date(parse_date(value)) if isinstance(value, str) else None
        except ValueError:
            return None
    return None


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in "+-":
            sign, text = text[0], text[1:]
        else:
            sign = ""
        if text.isascii() and text.isdigit() and len(text) <= 20:
            return int(sign + text)
    return None


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def build_document(registry: FieldRegistry, processed_crash: Mapping[str, Any]) -> dict[str, Any]:
    """Field name -> fixed-up value for every searchable field the crash has.

    List fields hold a list of fixed-up values (empty lists are left out); a list where a
    single value is expected is bad data.
    """
    if not isinstance(processed_crash, dict):
        processed_crash = dict(processed_crash)
    document: dict[str, Any] = {}
    for field, parts in registry.source_paths():
        raw: Any = processed_crash
        for part in parts:
            raw = raw.get(part) if isinstance(raw, dict) else None
            if raw is None:
                break
        if raw is None:
            continue
        if field.is_list:
            items = raw if isinstance(raw, list) else [raw]
            fixed = [fix_value(field, item) for item in items]
            fixed = [item for item in fixed if item is not None]
            if fixed:
                document[field.name] = fixed
            continue
        if isinstance(raw, list | dict):
            value = BAD_DATA if field.storage_type == "keyword" else None
        else:
            value = fix_value(field, raw)
        if value is not None:
            document[field.name] = value
    return document
