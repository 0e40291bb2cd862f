"""Bound a JSON document's nesting and element count before it is turned into Python objects.

``json.loads`` of 100 KB of gzipped ``[{},{},...]`` makes millions of dicts (gigabytes), so the
collector looks at the text first. Counting structural characters is a C-speed upper bound that
settles ordinary annotations at once; only when it is over a limit are the tokens walked one by
one (strings skipped whole by the regex engine), stopping as soon as a limit is passed. Either
way the cost is linear in the text and bounded by the element limit.
"""

from __future__ import annotations

import re

# A whole string (escapes included) or one structural character.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{},]', re.DOTALL)
_OPENERS = frozenset(b"[{")
_CLOSERS = frozenset(b"]}")


class JsonShapeError(ValueError):
    """The document nests deeper or holds more elements than allowed; ``reason`` says which."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def check_json_shape(data: bytes, max_depth: int, max_elements: int) -> None:
    """Raise :class:`JsonShapeError` if ``data`` is deeper or larger than allowed.

    Elements are values inside arrays and objects (a member counts once). Malformed JSON is
    not reported here; the JSON parser that follows does that.
    """
    openers = data.count(b"[") + data.count(b"{")
    if openers <= max_depth and openers + data.count(b",") < max_elements:
        return  # even if every bracket nested and every comma separated, it fits
    depth = 0
    elements = 0
    for match in _TOKENS.finditer(data):
        first = match.group()[0]
        if first in _OPENERS:
            depth += 1
            elements += 1
            if depth > max_depth:
                raise JsonShapeError("json_too_deep", f"nested deeper than {max_depth} levels")
        elif first in _CLOSERS:
            depth -= 1
        elif first == 0x2C:  # a comma: one more element in the current container
            elements += 1
        if elements > max_elements:
            raise JsonShapeError("json_too_many_elements", f"more than {max_elements} elements")
