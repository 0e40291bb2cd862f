"""Human sizes in settings: ``40gb``, ``512mb``, bytes."""

from __future__ import annotations

import re

_UNITS = {"": 0, "b": 0, "k": 1, "m": 2, "g": 3, "t": 4}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes in a human size: ``40gb``, ``4 GiB``, ``512m``, ``1.5t``, ``1000`` (units of 1024)."""
    match = _SIZE.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a size such as 40gb, 512mb or 1000000 (bytes)")
    number, unit = match.groups()
    return int(float(number) * 1024 ** _UNITS[unit.lower()])
