"""A loaded crash schema: validation, permissions, redaction and search descriptors."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema

from jansky.schemas import nodes
from jansky.schemas.check import SchemaError, check_document
from jansky.schemas.nodes import PERMISSIONS, PUBLIC, Node
from jansky.schemas.redact import reduce
from jansky.schemas.search import SearchField

MAX_MESSAGE = 300


@dataclass(frozen=True)
class ValidationProblem:
    """One way a document does not match its schema."""

    path: str  # dotted, list indexes as numbers; "" for the document itself
    message: str


class Schema:
    """One schema file (``raw_crash`` or ``processed_crash``), checked when built."""

    def __init__(self, name: str, document: Mapping[str, Any], origin: str) -> None:
        check_document(document, origin)
        self.name = name
        self.origin = origin
        self.document: Node = document
        self.default_permissions = frozenset(document["default_permissions"])
        self._validator = jsonschema.Draft202012Validator(document)
        self._search_fields = self._collect_search_fields()

    def __repr__(self) -> str:
        return f"Schema({self.name!r}, {self.origin!r})"

    # ---- validation ----------------------------------------------------------------------------

    def validate(self, document: Any) -> list[ValidationProblem]:
        """Every problem of ``document``, sorted by path; never raises for a bad document."""
        try:
            problems = [
                ValidationProblem(_dotted(error.absolute_path), _shorten(error.message))
                for error in self._validator.iter_errors(document)
            ]
        except (TypeError, ValueError, RecursionError) as exc:
            return [ValidationProblem("", f"could not be validated: {type(exc).__name__}")]
        return sorted(problems, key=lambda problem: (problem.path, problem.message))

    # ---- permissions ---------------------------------------------------------------------------

    def permissions_of(self, path: str) -> frozenset[str]:
        """Permissions needed to see the value at dotted ``path`` (and everything above it).

        Array indexes and ``[]`` may appear in the path or be left out. A path the schema does
        not describe needs the default permissions, except below a map, which decides for
        everything under it.
        """
        return self._walk(path)[0]

    def can_see(self, path: str, user_permissions: Iterable[str]) -> bool:
        """True when a user holding ``user_permissions`` may see the value at ``path``."""
        return self.permissions_of(path) <= frozenset(user_permissions)

    def redact(self, document: Mapping[str, Any], user_permissions: Iterable[str]) -> dict:
        """A copy of ``document`` with only what the schema lists and the user may see.

        Users holding every permission get the whole document, keys the schema does not list
        included.
        """
        if not isinstance(document, Mapping):
            return {}
        user = frozenset(user_permissions)
        if user >= PERMISSIONS:
            return copy.deepcopy(dict(document))
        return reduce(self.document, self.document, dict(document), user, self.default_permissions)

    def public_fields(self) -> list[str]:
        """Top-level properties anonymous users may see."""
        return [name for name in self.properties if self._top_level_public(name)]

    def protected_fields(self) -> list[str]:
        """Top-level properties that need more than the public permission."""
        return [name for name in self.properties if not self._top_level_public(name)]

    # ---- what other components read -------------------------------------------------------------

    @property
    def properties(self) -> list[str]:
        """Names of the top-level properties, in schema order."""
        return list(self.document["properties"])

    def source_annotations(self) -> dict[str, str]:
        """Top-level property name -> raw annotation copied into it, for the processor."""
        return {
            name: sub["source_annotation"]
            for name, sub in self.document["properties"].items()
            if "source_annotation" in sub
        }

    def search_fields(self) -> list[SearchField]:
        """Every search descriptor, in schema order."""
        return list(self._search_fields)

    # ---- internals -----------------------------------------------------------------------------

    def _top_level_public(self, name: str) -> bool:
        sub = self.document["properties"][name]
        needed = nodes.required_permissions(
            self.document, sub, "property", self.default_permissions
        )
        return needed <= {PUBLIC}

    def _walk(self, path: str) -> tuple[frozenset[str], Node | None]:
        """Permissions needed along ``path`` and the node it ends on (None if not described)."""
        root = self.document
        segments = [part for part in path.replace("[]", "").split(".") if part]
        needed: set[str] = set()
        node: Node = root
        under_map = False
        index = 0
        while index < len(segments):
            element = nodes.items(root, node)
            if element is not None and not nodes.has_object_structure(root, node):
                needed |= nodes.required_permissions(root, element, None, self.default_permissions)
                node = element
                if segments[index].isdigit():
                    index += 1
                continue
            found = nodes.child(root, node, segments[index])
            if found is None:
                if under_map:
                    return frozenset(needed), None
                return frozenset(needed | self.default_permissions), None
            node, kind = found
            needed |= nodes.required_permissions(root, node, kind, self.default_permissions)
            under_map = kind == "map"
            index += 1
        return frozenset(needed), node

    def _collect_search_fields(self) -> tuple[SearchField, ...]:
        fields: list[SearchField] = []
        declared_at: dict[str, str] = {}
        problems: list[str] = []
        for path, node in self._iter_reachable():
            search = node.get("search")
            if search is None:
                continue
            name = search.get("name", path.rsplit(".", 1)[-1])
            source = search.get("source", path)
            if "*" in path.split("."):
                problems.append(f"{path}: search descriptors cannot sit below a map")
                continue
            if name in declared_at:
                problems.append(
                    f"{path}: search name {name!r} is already declared at {declared_at[name]}"
                    " (a $defs entry used twice cannot carry search descriptors)"
                )
                continue
            if self._walk(source)[1] is None:
                problems.append(f"{path}.search.source: {source!r} is not a path in this schema")
                continue
            declared_at[name] = path
            structure = nodes.resolve(self.document, node)
            types = node.get("type", structure.get("type", ()))
            fields.append(
                SearchField(
                    name=name,
                    path=path,
                    source=source,
                    query_type=search["query_type"],
                    storage_type=search["storage_type"],
                    has_full_version=search.get("has_full_version", False),
                    analyzer=search.get("analyzer"),
                    types=tuple(types) if isinstance(types, list) else (types,),
                    permissions=self.permissions_of(path) | self.permissions_of(source),
                    description=node.get("description", structure.get("description", "")),
                )
            )
        if problems:
            raise SchemaError(self.origin, problems)
        return tuple(fields)

    def _iter_reachable(self) -> Iterator[tuple[str, Node]]:
        """Property nodes reachable from the top, following $refs; map values appear as ``*``."""
        root = self.document
        stack: list[tuple[str, Node, frozenset[str]]] = [("", root, frozenset())]
        while stack:
            path, node, refs = stack.pop()
            if path:
                yield path, node
            ref = node.get("$ref")
            if ref in refs:
                continue
            if ref is not None:
                refs = refs | {ref}
            structure = nodes.resolve(root, node)
            children: list[tuple[str, Node, frozenset[str]]] = []
            for name, sub in (structure.get("properties") or {}).items():
                children.append((_join(path, name), sub, refs))
            for sub in (structure.get("patternProperties") or {}).values():
                if isinstance(sub, Mapping):
                    children.append((_join(path, "*"), sub, refs))
            extra = structure.get("additionalProperties")
            if isinstance(extra, Mapping):
                children.append((_join(path, "*"), extra, refs))
            element = structure.get("items")
            if isinstance(element, Mapping):
                children.append((path, element, refs))
            stack.extend(reversed(children))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _dotted(path: Iterable[Any]) -> str:
    return ".".join(str(part) for part in path)


def _shorten(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."
