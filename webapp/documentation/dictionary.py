"""The data dictionary: every field of the raw and processed crash schemas, one entry each.

Entries are generated from ``schemas/*.schema.yaml`` (the same files that drive redaction and
indexing), so the dictionary cannot drift from what the pipeline does. Paths use ``/`` between
levels, ``[]`` for array items and ``*`` for the values of a map (any key).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from jansky.schemas import ANONYMOUS, load_schema
from jansky.schemas import nodes as schema_nodes
from jansky.search import Field, get_registry

DATASETS = {"annotation": "raw_crash", "processed": "processed_crash"}
DATASET_TITLES = {"annotation": "Crash annotations (raw crash)", "processed": "Processed crash"}
MAX_DEPTH = 12


@dataclass(frozen=True)
class Entry:
    dataset: str  # "annotation" or "processed"
    path: str  # "json_dump/threads/[]/frames/[]/function"
    types: tuple[str, ...]
    description: str
    examples: tuple[Any, ...]
    protected: bool
    source_annotation: str = ""  # processed fields: the annotation copied into them
    data_reviews: tuple[str, ...] = ()
    search_fields: tuple[Field, ...] = field(default_factory=tuple)

    @property
    def depth(self) -> int:
        return self.path.count("/")


def _types(node: Mapping[str, Any], structure: Mapping[str, Any]) -> tuple[str, ...]:
    kind = node.get("type", structure.get("type", ()))
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    return tuple(str(item) for item in kinds)


Walked = tuple[str, str, Mapping[str, Any], frozenset[str]]


def _walk(root: Mapping[str, Any], defaults: frozenset[str]) -> Iterator[Walked]:
    """(path, dotted path, node, permissions needed) of every property reachable from the top,
    $refs followed; permissions accumulate down the path as redaction applies them."""

    def children(
        path: str, dotted: str, node: Mapping[str, Any], refs: frozenset[str], needed: frozenset
    ) -> list:
        ref = node.get("$ref")
        if ref in refs or path.count("/") >= MAX_DEPTH:
            return []
        refs = refs | {ref} if ref else refs
        structure = schema_nodes.resolve(root, node)
        found = []
        prefix = f"{path}/" if path else ""
        dotted_prefix = f"{dotted}." if dotted else ""

        def add(child_path: str, child_dotted: str, sub: Mapping[str, Any], kind: Any) -> None:
            own = schema_nodes.required_permissions(root, sub, kind, defaults)
            found.append((child_path, child_dotted, sub, refs, needed | own))

        for name, sub in (structure.get("properties") or {}).items():
            add(f"{prefix}{name}", f"{dotted_prefix}{name}", sub, "property")
        maps = list((structure.get("patternProperties") or {}).values())
        extra = structure.get("additionalProperties")
        if isinstance(extra, Mapping):
            maps.append(extra)
        for sub in maps:
            if isinstance(sub, Mapping):
                add(f"{prefix}*", f"{dotted_prefix}*", sub, "map")
        items = structure.get("items")
        if isinstance(items, Mapping) and schema_nodes.has_object_structure(root, items):
            add(f"{prefix}[]", dotted, items, None)
        return found

    stack = list(reversed(children("", "", root, frozenset(), frozenset())))
    while stack:
        path, dotted, node, refs, needed = stack.pop()
        if not path.endswith("[]"):
            yield path, dotted, node, needed
        stack.extend(reversed(children(path, dotted, node, refs, needed)))


@functools.cache
def entries(dataset: str) -> tuple[Entry, ...]:
    schema = load_schema(DATASETS[dataset])
    root = schema.document
    by_source: dict[str, list[Field]] = {}
    if dataset == "processed":
        for search_field in get_registry():
            by_source.setdefault(search_field.source, []).append(search_field)
    found = []
    for path, dotted, node, needed in _walk(root, schema.default_permissions):
        structure = schema_nodes.resolve(root, node)
        reviews = node.get("data_reviews") or structure.get("data_reviews") or ()
        found.append(
            Entry(
                dataset=dataset,
                path=path,
                types=_types(node, structure),
                description=str(node.get("description", structure.get("description", ""))),
                examples=tuple(node.get("examples") or structure.get("examples") or ()),
                protected=not needed <= ANONYMOUS,
                source_annotation=str(node.get("source_annotation", "")),
                data_reviews=tuple(str(review) for review in reviews),
                search_fields=tuple(by_source.get(dotted, ())),
            )
        )
    return tuple(found)


def find(dataset: str, path: str) -> Entry | None:
    if dataset not in DATASETS:
        return None
    return next((entry for entry in entries(dataset) if entry.path == path), None)


def fed_by(annotation: str) -> list[Entry]:
    """Processed fields the processor copies ``annotation`` into."""
    return [entry for entry in entries("processed") if entry.source_annotation == annotation]
