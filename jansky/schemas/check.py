"""Checks that a schema file is usable: the JSON Schema metaschema plus Jansky's own keys.

A mistake in a schema silently changes who sees what or what is searchable, so every problem is
reported at load time, with the path of the node and what to write instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema

from jansky.schemas.nodes import DEFS_PREFIX, PERMISSIONS, Node, resolve

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

JSON_TYPES = frozenset({"string", "integer", "number", "boolean", "object", "array", "null"})

QUERY_STORAGE = {
    "string": frozenset({"keyword", "text"}),
    "enum": frozenset({"keyword", "text"}),
    "integer": frozenset({"long", "integer", "short"}),
    "float": frozenset({"double"}),
    "bool": frozenset({"boolean"}),
    "date": frozenset({"date"}),
}
QUERY_TYPES = frozenset(QUERY_STORAGE)
STORAGE_TYPES = frozenset().union(*QUERY_STORAGE.values())
ANALYZERS = frozenset({"semicolon_keywords"})
SEARCH_KEYS = frozenset(
    {"name", "query_type", "storage_type", "has_full_version", "analyzer", "source"}
)
SEARCH_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

# JSON Schema keywords the permission walker understands, plus validation-only ones. Combinators
# (anyOf, oneOf, allOf, if/then/else) are refused: the walker could not tell which branch's
# permissions apply.
SCHEMA_KEYS = frozenset(
    {
        "$schema", "$id", "$ref", "$defs", "$comment", "title", "description", "type", "enum",
        "const", "default", "examples", "format", "deprecated", "properties",
        "patternProperties", "additionalProperties", "items", "required", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength",
        "pattern", "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties",
    }
)  # fmt: skip
JANSKY_KEYS = frozenset({"permissions", "source_annotation", "search"})
ROOT_ONLY_KEYS = frozenset({"default_permissions"})


class SchemaError(Exception):
    """A schema file cannot be used: unreadable, not JSON Schema, or bad Jansky keys."""

    def __init__(self, origin: str, problems: list[str]) -> None:
        self.origin = origin
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(
            f"{origin} is not a valid Jansky schema; fix these and reload "
            f"(docs/schemas.md describes the format):\n{listing}"
        )


def check_document(document: Any, origin: str) -> None:
    """Raise SchemaError listing every problem of ``document``; return None when it is usable."""
    if not isinstance(document, Mapping):
        raise SchemaError(origin, [f"the top level must be a mapping, not {_kind(document)}"])
    problems = list(_root_problems(document))
    try:
        jsonschema.Draft202012Validator.check_schema(document)
    except jsonschema.SchemaError as exc:
        where = _dotted(exc.absolute_path) or "(top level)"
        problems.append(f"{where}: not valid JSON Schema draft 2020-12: {exc.message}")
    for location, node in iter_nodes(document):
        problems.extend(_node_problems(document, location, node))
    if problems:
        raise SchemaError(origin, problems)


def iter_nodes(document: Node) -> Iterator[tuple[str, Node]]:
    """Every subschema with a dotted location, in document order (``$defs`` last)."""
    stack: list[tuple[str, Any]] = [("", document)]
    defs = document.get("$defs")
    if isinstance(defs, Mapping):
        stack.extend((f"$defs.{name}", sub) for name, sub in reversed(defs.items()))
    stack.reverse()
    while stack:
        location, node = stack.pop()
        if not isinstance(node, Mapping):
            continue
        yield location, node
        children: list[tuple[str, Any]] = []
        for key in ("properties", "patternProperties"):
            mapping = node.get(key)
            if isinstance(mapping, Mapping):
                children.extend((_join(location, str(name)), sub) for name, sub in mapping.items())
        for key in ("additionalProperties", "items"):
            if isinstance(node.get(key), Mapping):
                children.append((_join(location, f"<{key}>"), node[key]))
        stack.extend(reversed(children))


def _root_problems(document: Node) -> Iterator[str]:
    if document.get("$schema") != DRAFT_2020_12:
        yield f"$schema must be {DRAFT_2020_12!r}, not {document.get('$schema')!r}"
    yield from _permission_list_problems("default_permissions", document.get("default_permissions"))
    if not isinstance(document.get("properties"), Mapping):
        yield "properties: the top level must list its properties in a mapping"
    if document.get("type") != "object":
        yield "type: the top level must be of type 'object'"


def _node_problems(document: Node, location: str, node: Node) -> Iterator[str]:
    where = location or "(top level)"
    allowed = SCHEMA_KEYS | JANSKY_KEYS | (ROOT_ONLY_KEYS if location == "" else frozenset())
    for key in node:
        if key not in allowed:
            yield (
                f"{where}: unknown key {key!r}; Jansky keys are permissions, source_annotation "
                f"and search, and combinators (anyOf, oneOf, allOf, if) are not supported"
            )
    if "permissions" in node:
        yield from _permission_list_problems(f"{where}.permissions", node["permissions"])
    if "type" in node:
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        for value in types:
            if value not in JSON_TYPES:
                yield (
                    f'{where}.type: unknown type {value!r} (quote "null" in YAML); '
                    f"use one of {sorted(JSON_TYPES)}"
                )
    if "description" in node and not isinstance(node["description"], str):
        yield f"{where}.description: must be text"
    if "source_annotation" in node:
        annotation = node["source_annotation"]
        if not isinstance(annotation, str) or not annotation:
            yield f"{where}.source_annotation: must be the name of a raw-crash annotation"
    if "$ref" in node:
        yield from _ref_problems(document, where, node["$ref"])
    if "search" in node:
        yield from _search_problems(f"{where}.search", node["search"])


def _permission_list_problems(where: str, value: Any) -> Iterator[str]:
    if not isinstance(value, list) or not value:
        yield f"{where}: must be a non-empty list of {sorted(PERMISSIONS)}"
        return
    for permission in value:
        if permission not in PERMISSIONS:
            yield f"{where}: unknown permission {permission!r}; use one of {sorted(PERMISSIONS)}"
    if len(set(map(str, value))) != len(value):
        yield f"{where}: lists a permission twice"


def _ref_problems(document: Node, where: str, ref: Any) -> Iterator[str]:
    if not isinstance(ref, str) or not ref.startswith(DEFS_PREFIX):
        yield f"{where}.$ref: only local references of the form '{DEFS_PREFIX}<name>' are supported"
        return
    defs = document.get("$defs")
    if not isinstance(defs, Mapping) or ref.removeprefix(DEFS_PREFIX) not in defs:
        yield f"{where}.$ref: {ref!r} names no entry of $defs"
        return
    try:
        resolve(document, {"$ref": ref})
    except ValueError as exc:
        yield f"{where}.$ref: {exc}; a $defs entry must not be only a reference to itself"
    except (KeyError, TypeError):
        pass  # a broken link further along the chain is reported where it is written


def _search_problems(where: str, search: Any) -> Iterator[str]:
    if not isinstance(search, Mapping):
        yield f"{where}: must be a mapping with query_type and storage_type"
        return
    for key in search:
        if key not in SEARCH_KEYS:
            yield f"{where}: unknown key {key!r}; use {sorted(SEARCH_KEYS)}"
    query_type = search.get("query_type")
    storage_type = search.get("storage_type")
    if query_type not in QUERY_TYPES:
        yield f"{where}.query_type: unknown {query_type!r}; use one of {sorted(QUERY_TYPES)}"
    if storage_type not in STORAGE_TYPES:
        yield f"{where}.storage_type: unknown {storage_type!r}; use one of {sorted(STORAGE_TYPES)}"
    elif query_type in QUERY_TYPES and storage_type not in QUERY_STORAGE[query_type]:
        yield (
            f"{where}: query_type {query_type!r} cannot use storage_type {storage_type!r}; "
            f"use one of {sorted(QUERY_STORAGE[query_type])}"
        )
    name = search.get("name")
    if name is not None and (not isinstance(name, str) or not SEARCH_NAME.match(name)):
        yield f"{where}.name: {name!r} must be lower-case letters, digits and underscores"
    full = search.get("has_full_version", False)
    if not isinstance(full, bool):
        yield f"{where}.has_full_version: must be true or false"
    elif full and storage_type != "text":
        yield f"{where}.has_full_version: only text fields have a .full version"
    analyzer = search.get("analyzer")
    if analyzer is not None:
        if analyzer not in ANALYZERS:
            yield f"{where}.analyzer: unknown {analyzer!r}; use one of {sorted(ANALYZERS)}"
        elif storage_type != "text":
            yield f"{where}.analyzer: only text fields are analyzed"
    source = search.get("source")
    if source is not None and (not isinstance(source, str) or not source):
        yield f"{where}.source: must be a dotted path such as json_dump.system_info.cpu_count"


def _join(location: str, name: str) -> str:
    return f"{location}.{name}" if location else name


def _dotted(path: Any) -> str:
    return ".".join(str(part) for part in path)


def _kind(value: Any) -> str:
    return type(value).__name__
