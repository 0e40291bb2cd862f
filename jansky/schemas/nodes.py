"""Walking a schema document: $ref resolution, child lookup and the permissions each node needs.

Named properties need their declared ``permissions`` (or the schema's defaults). Array items, map
values (``additionalProperties`` / ``patternProperties``) and ``$ref`` targets belong to the
property that holds them, so they add a requirement only when they declare their own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Literal

Node = Mapping[str, Any]
ChildKind = Literal["property", "map"]

PUBLIC = "public"
PROTECTED = "protected"
PERMISSIONS = frozenset({PUBLIC, PROTECTED})
DEFS_PREFIX = "#/$defs/"
EMPTY: Node = {}


def resolve(root: Node, node: Node) -> Node:
    """The node that holds the structure of ``node``: its ``$ref`` target, followed to the end."""
    seen: set[str] = set()
    while "$ref" in node:
        ref = node["$ref"]
        if ref in seen:
            raise ValueError(f"$ref cycle through {ref}")
        seen.add(ref)
        node = root["$defs"][ref.removeprefix(DEFS_PREFIX)]
    return node


def declared_permissions(root: Node, node: Node) -> frozenset[str] | None:
    """Permissions declared on ``node`` or, failing that, on its ``$ref`` target."""
    seen: set[str] = set()
    while True:
        if "permissions" in node:
            return frozenset(node["permissions"])
        ref = node.get("$ref")
        if ref is None or ref in seen:
            return None
        seen.add(ref)
        node = root["$defs"][ref.removeprefix(DEFS_PREFIX)]


def required_permissions(
    root: Node, node: Node, kind: ChildKind | None, defaults: frozenset[str]
) -> frozenset[str]:
    """What a user must hold to see ``node``; only named properties fall back to ``defaults``."""
    declared = declared_permissions(root, node)
    if declared is not None:
        return declared
    return defaults if kind == "property" else frozenset()


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def child(root: Node, node: Node, key: str) -> tuple[Node, ChildKind] | None:
    """The subschema describing ``key`` inside an object ``node``, or None if it is not listed."""
    structure = resolve(root, node)
    properties = structure.get("properties") or EMPTY
    if key in properties:
        return properties[key], "property"
    for pattern, sub in (structure.get("patternProperties") or EMPTY).items():
        if sub is not False and _compiled(pattern).search(key):
            return (sub if isinstance(sub, Mapping) else EMPTY), "map"
    extra = structure.get("additionalProperties")
    if extra is True:
        return EMPTY, "map"
    if isinstance(extra, Mapping):
        return extra, "map"
    return None


def items(root: Node, node: Node) -> Node | None:
    """The subschema of the elements of an array ``node``, or None if it has none."""
    structure = resolve(root, node)
    sub = structure.get("items")
    if sub is True:
        return EMPTY
    return sub if isinstance(sub, Mapping) else None


def has_object_structure(root: Node, node: Node) -> bool:
    """True when ``node`` lists object keys (properties or maps)."""
    structure = resolve(root, node)
    return any(
        key in structure for key in ("properties", "patternProperties", "additionalProperties")
    )
