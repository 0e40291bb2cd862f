"""Search descriptors: what Super Search needs to know about each searchable field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SearchField:
    """One Super Search field, read from a ``search:`` key of the processed-crash schema."""

    name: str  # public Super Search name
    path: str  # dotted path of the schema property that declares it
    source: str  # dotted path of the value to index (``path`` unless ``search.source`` says)
    query_type: str  # string | integer | float | bool | enum | date
    storage_type: str  # keyword | text | long | integer | short | double | boolean | date
    has_full_version: bool  # text fields also indexed whole as ``<name>.full``
    analyzer: str | None  # e.g. semicolon_keywords
    types: tuple[str, ...]  # JSON types of the property
    permissions: frozenset[str]  # what a user must hold to use the field
    description: str
