"""Redaction: a copy of a crash document holding only what the schema lists and the user may see."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jansky.schemas import nodes
from jansky.schemas.nodes import Node


def reduce(
    root: Node, node: Node, value: Any, user: frozenset[str], defaults: frozenset[str]
) -> Any:
    """Copy ``value`` keeping only keys ``node`` lists whose permissions ``user`` holds."""
    if isinstance(value, Mapping):
        kept = {}
        for key, sub_value in value.items():
            found = nodes.child(root, node, key) if isinstance(key, str) else None
            if found is None:
                continue
            sub, kind = found
            if nodes.required_permissions(root, sub, kind, defaults) <= user:
                kept[key] = reduce(root, sub, sub_value, user, defaults)
        return kept
    if isinstance(value, (list, tuple)):
        element = nodes.items(root, node)
        if element is None:
            element = nodes.EMPTY
        if not nodes.required_permissions(root, element, None, defaults) <= user:
            return []
        return [reduce(root, element, item, user, defaults) for item in value]
    return value
