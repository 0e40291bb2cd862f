"""Cluster documents and bulk indexing with the bad-field retry.

A document the cluster rejects because of one field (an immense term, a number it cannot
parse, an object where a value was expected) is indexed again without that field; the
field's name is appended to the document's ``removed_fields``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from jansky.search.analysis import tokens
from jansky.search.cluster.mapping import HISTOGRAM_ROOT, ROOT, WORDS_ROOT
from jansky.search.documents import crash_key
from jansky.search.fields import FieldRegistry

REJECTED_DOCUMENT = {"document_parsing_exception", "mapper_parsing_exception"}
_FIELD_PATTERNS = (
    re.compile(r"field=\"([^\"]+)\""),
    re.compile(r"field \[([^\]]+)\]"),
    re.compile(r"\[([a-z_][\w.]*)\]"),
)


def cluster_document(
    registry: FieldRegistry, crash_id: str, document: Mapping[str, Any]
) -> dict[str, Any]:
    """The fixed-up document (field name -> value) in Socorro's nested layout."""
    nested: dict[str, Any] = {}
    words: dict[str, Any] = {}
    dates: dict[str, Any] = {}
    for field, parts in registry.source_paths():
        value = document.get(field.name)
        if value is None:
            continue
        node = nested
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
        if field.is_text:
            texts = value if isinstance(value, list) else [value]
            joined = [" ".join(tokens(text, field.analyzer)) for text in texts]
            words[field.name] = joined if field.is_list else joined[0]
        if field.storage_type == "date":
            dates[field.name] = value
    return {
        "crash_id": crash_id,
        "crash_key": crash_key(crash_id),
        ROOT: nested,
        WORDS_ROOT: words,
        HISTOGRAM_ROOT: dates,
    }


def rejected_field(reason: str) -> str | None:
    """The field an indexing error names, without a ``.full`` suffix, if it names one."""
    for pattern in _FIELD_PATTERNS:
        match = pattern.search(reason)
        if match and match.group(1).startswith((f"{ROOT}.", f"{WORDS_ROOT}.")):
            name = match.group(1)
            return name[: -len(".full")] if name.endswith(".full") else name
    return None


def remove_field(document: dict[str, Any], dotted: str) -> bool:
    """Delete ``dotted`` from ``document`` and record it; False if it was not there."""
    parts = dotted.split(".")
    node: Any = document
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict) or parts[-1] not in node:
        return False
    del node[parts[-1]]
    removed = document.get("removed_fields", "")
    document["removed_fields"] = f"{removed} {dotted}".strip()
    return True


def flatten(registry: FieldRegistry, source: Mapping[str, Any]) -> dict[str, Any]:
    """A hit's ``_source`` back to field name -> value."""
    document: dict[str, Any] = {}
    root = source.get(ROOT, {})
    for field in registry:
        node: Any = root
        for part in field.source.split("."):
            node = node.get(part) if isinstance(node, dict) else None
            if node is None:
                break
        if node is not None:
            document[field.name] = node
    return document
