"""JSON answers shared by the API, the token middleware and pages' JSON views.

UTF-8 JSON with ``</`` written ``<\\/`` (crash data can hold ``</script>``), dates as ISO 8601
strings, keys in the order given (Super Search hits list their columns in request order).
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import orjson
from django.http import HttpResponse

JSON_CONTENT_TYPE = "application/json; charset=UTF-8"


def _default(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def encode(data: Any, pretty: bool = False) -> bytes:
    """``data`` as JSON bytes; orjson, or the standard library for what orjson refuses."""
    option = orjson.OPT_NON_STR_KEYS | (orjson.OPT_INDENT_2 if pretty else 0)
    try:
        encoded = orjson.dumps(data, default=_default, option=option)
    except (orjson.JSONEncodeError, TypeError):
        text = json.dumps(data, default=_default, ensure_ascii=False, indent=2 if pretty else None)
        encoded = text.encode("utf-8", "surrogatepass")
    return encoded.replace(b"</", b"<\\/")


def json_response(data: Any, status: int = 200, pretty: bool = False) -> HttpResponse:
    return HttpResponse(encode(data, pretty), status=status, content_type=JSON_CONTENT_TYPE)


def error_response(status: int, message: str, **extra: Any) -> HttpResponse:
    """``{"error": message, ...}`` with ``status``."""
    return json_response({"error": message, **extra}, status=status)
