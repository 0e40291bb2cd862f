"""JSON on the processor's hot path: orjson, with the standard library where orjson refuses.

orjson encodes and decodes several times faster than :mod:`json`, which shows when every crash
carries tens or hundreds of kilobytes of stackwalker output. It refuses some inputs the
standard library takes (integers beyond 64 bits, lone surrogates, keys that are not strings,
nesting deeper than 254, ``NaN`` tokens) and writes UTF-8. Each function here tries orjson and
falls back to :mod:`json`, so its result is the same whichever library produced it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import orjson

_SORTED = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def encode_sorted(data: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    """Compact ASCII JSON with sorted keys (other characters as ``\\u`` escapes).

    ``default`` turns values JSON has no type for (dates and datetimes included) into ones it
    has, or raises TypeError. Floats that are not finite are written as ``null``. Raises
    TypeError or ValueError (e.g. for a circular structure) when ``data`` cannot be JSON.
    """
    try:
        encoded = orjson.dumps(data, default=default, option=_SORTED)
    except orjson.JSONEncodeError:
        encoded = None
    if encoded is not None and encoded.isascii():
        return encoded
    try:
        text = json.dumps(
            _finite(data), sort_keys=True, separators=(",", ":"), allow_nan=False, default=default
        )
    except RecursionError as exc:
        raise ValueError("nested too deeply or circular") from exc
    return text.encode("ascii")


def decode(data: bytes) -> Any:
    """The value of JSON ``data``, as :func:`json.loads` reads it, with one difference: an
    integer outside -2**63 .. 2**64 - 1 comes back as a float. Meant for output of programs
    that never write such integers (the stackwalker's). Raises ValueError (or RecursionError)
    for bad JSON.
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def _finite(value: Any) -> Any:
    """``value`` with every float that is not finite replaced by None (copies only containers)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value
