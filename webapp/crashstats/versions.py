"""Ordering version strings the way people read them: 134.0 > 134.0rc1 > 134.0b5 > 134.0a1.

A version starts with dot-separated numbers; what follows is a pre-release tag (``a1``,
``b5``, ``rc2``, ``-beta.3``) that sorts below the plain release, or ``esr`` (a channel
marker, not a pre-release). Anything not starting with a number is not a version.
"""

from __future__ import annotations

import re

_VERSION = re.compile(r"^(\d{1,9}(?:\.\d{1,9}){0,5})([A-Za-z0-9.+-]*)$")
_TAG = re.compile(r"^([a-z]*(?:[.-][a-z]+)*)[.-]?(\d{0,9})$")
PARTS = 6

VersionKey = tuple[tuple[int, ...], int, str, int, str]


def version_key(version: str) -> VersionKey | None:
    """A sort key (higher sorts later), or None for a string that is not a version."""
    match = _VERSION.match(version.strip())
    if not match:
        return None
    numbers = tuple(int(part) for part in match.group(1).split("."))
    numbers += (0,) * (PARTS - len(numbers))
    rest = match.group(2).lower()
    rest = rest.removesuffix("esr").lstrip(".-+")
    if not rest:
        return (numbers, 1, "", 0, "")
    tag = _TAG.match(rest)
    if tag:
        return (numbers, 0, tag.group(1), int(tag.group(2) or 0), "")
    return (numbers, 0, "", 0, rest)


def major_version(version: str) -> int | None:
    """The first number of a version (``134`` for ``134.0b5``), None for a non-version."""
    key = version_key(version)
    return key[0][0] if key else None


def newest_first(versions: list[str]) -> list[str]:
    """Versions sorted newest first; strings that are not versions are left out."""
    keyed = [(key, version) for version in versions if (key := version_key(version))]
    return [version for _, version in sorted(keyed, reverse=True)]
