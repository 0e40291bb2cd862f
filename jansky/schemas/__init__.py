"""Crash schemas: field types, permissions, annotation sources and search descriptors.

``schemas/raw_crash.schema.yaml`` and ``schemas/processed_crash.schema.yaml`` are the single
source for which annotation feeds each processed field, who may see each field, and how Super
Search indexes it (docs/schemas.md). Typical use::

    schema = load_schema("processed_crash")
    problems = schema.validate(processed_crash)
    shown = schema.redact(processed_crash, ANONYMOUS)
"""

from __future__ import annotations

from collections.abc import Iterable

from jansky.schemas.check import SchemaError
from jansky.schemas.loader import (
    SCHEMA_DIR,
    available_schemas,
    clear_cache,
    load_schema,
    read_schema_file,
)
from jansky.schemas.nodes import PERMISSIONS, PROTECTED, PUBLIC
from jansky.schemas.schema import Schema, ValidationProblem
from jansky.schemas.search import SearchField

# What a user holds: anonymous users see public fields; the webapp's view_pii adds protected ones.
ANONYMOUS = frozenset({PUBLIC})
VIEW_PII = frozenset({PUBLIC, PROTECTED})


def user_permissions(has_view_pii: bool) -> frozenset[str]:
    """Schema permissions of a user, from whether they hold the webapp's view_pii."""
    return VIEW_PII if has_view_pii else ANONYMOUS


def can_see(schema_name: str, path: str, permissions: Iterable[str]) -> bool:
    """Shortcut for ``load_schema(schema_name).can_see(path, permissions)``."""
    return load_schema(schema_name).can_see(path, permissions)


__all__ = [
    "ANONYMOUS",
    "PERMISSIONS",
    "PROTECTED",
    "PUBLIC",
    "SCHEMA_DIR",
    "VIEW_PII",
    "Schema",
    "SchemaError",
    "SearchField",
    "ValidationProblem",
    "available_schemas",
    "can_see",
    "clear_cache",
    "load_schema",
    "read_schema_file",
    "user_permissions",
]
