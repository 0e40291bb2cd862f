"""The Super Search field registry, generated from the processed-crash schema.

Every searchable field comes from a ``search:`` descriptor in
``schemas/processed_crash.schema.yaml``; this module adds what Super Search derives from it
(validation type, the operators the field accepts, where the cluster stores it) and the
``SuperSearchFields`` API shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jansky.schemas import PROTECTED, SearchField, load_schema

# query_type -> Socorro's data_validation_type, which decides operators and value conversion.
VALIDATION_TYPES = {
    "string": "str",
    "integer": "int",
    "float": "float",
    "bool": "bool",
    "enum": "enum",
    "date": "datetime",
}

# Operators recognised per validation type, longest first; "" is the bare value ("matches").
OPERATORS = {
    "str": ("__null__", "=", "~", "^", "$", "@", ""),
    "int": ("__null__", ">=", "<=", ">", "<", ""),
    "float": ("__null__", ">=", "<=", ">", "<", ""),
    "datetime": ("__null__", ">=", "<=", ">", "<"),
    "bool": ("__null__", "__true__", ""),
    "enum": ("__null__", ""),
}
RANGE_OPERATORS = (">=", "<=", ">", "<")
WHOLE_VALUE_OPERATORS = ("__null__", "__true__")
VIEW_PII = "crashstats.view_pii"


@dataclass(frozen=True)
class Field:
    """One Super Search field with everything the parser and the backends need."""

    name: str
    source: str  # dotted path in the processed crash
    query_type: str
    validation_type: str
    storage_type: str
    has_full_version: bool
    analyzer: str | None
    is_list: bool  # the processed crash holds a list of values
    permissions: frozenset[str]
    description: str

    @property
    def operators(self) -> tuple[str, ...]:
        return OPERATORS[self.validation_type]

    @property
    def is_text(self) -> bool:
        """Analyzed: bare values match words, not the whole value."""
        return self.storage_type == "text"

    @property
    def is_tokenized_only(self) -> bool:
        """Text without a whole-value (``.full``) version: every operator works on words."""
        return self.is_text and not self.has_full_version

    @property
    def aggregatable(self) -> bool:
        """Facets, sorting and cardinality need whole values."""
        return not self.is_tokenized_only

    @property
    def histogrammable(self) -> bool:
        return self.validation_type in {"datetime", "int", "float"}

    @property
    def is_protected(self) -> bool:
        return PROTECTED in self.permissions

    def visible_to(self, user_permissions: frozenset[str] | set[str]) -> bool:
        return self.permissions <= frozenset(user_permissions)

    def describe(self) -> dict[str, Any]:
        """The field as ``SuperSearchFields`` returns it (Socorro's keys)."""
        storage: dict[str, Any] = {"type": self.storage_type}
        if self.analyzer:
            storage["analyzer"] = self.analyzer
        if self.has_full_version:
            storage["fields"] = {"full": {"type": "keyword"}}
        in_database_name = self.source.rsplit(".", 1)[-1]
        return {
            "name": self.name,
            "namespace": "processed_crash",
            "in_database_name": in_database_name,
            "source_key": f"processed_crash.{self.source}",
            "destination_keys": [f"processed_crash.{self.source}"],
            "query_type": self.query_type,
            "data_validation_type": self.validation_type,
            "form_field_choices": [],
            "has_full_version": self.has_full_version,
            "is_exposed": True,
            "is_returned": True,
            "storage_mapping": storage,
            "permissions_needed": [VIEW_PII] if self.is_protected else [],
            "description": self.description,
        }


def _field(descriptor: SearchField) -> Field:
    return Field(
        name=descriptor.name,
        source=descriptor.source,
        query_type=descriptor.query_type,
        validation_type=VALIDATION_TYPES[descriptor.query_type],
        storage_type=descriptor.storage_type,
        has_full_version=descriptor.has_full_version,
        analyzer=descriptor.analyzer,
        is_list="array" in descriptor.types,
        permissions=descriptor.permissions,
        description=descriptor.description,
    )


class FieldRegistry:
    """Super Search fields by public name, in schema order."""

    def __init__(self, fields: list[Field]) -> None:
        self._fields = {field.name: field for field in fields}
        self._paths = [(field, tuple(field.source.split("."))) for field in fields]

    def __contains__(self, name: object) -> bool:
        return name in self._fields

    def __iter__(self) -> Iterator[Field]:
        return iter(self._fields.values())

    def __len__(self) -> int:
        return len(self._fields)

    def get(self, name: str) -> Field | None:
        return self._fields.get(name)

    def source_paths(self) -> list[tuple[Field, tuple[str, ...]]]:
        """Each field with its source path split on dots (indexing walks these)."""
        return self._paths

    def super_search_fields(self) -> dict[str, dict[str, Any]]:
        """What the ``SuperSearchFields`` API returns: every field, keyed by name."""
        return {field.name: field.describe() for field in self}


@lru_cache(maxsize=1)
def get_registry() -> FieldRegistry:
    """The registry of the installed processed-crash schema (built once per process)."""
    schema = load_schema("processed_crash")
    return FieldRegistry([_field(descriptor) for descriptor in schema.search_fields()])
