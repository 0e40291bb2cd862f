"""Permission-aware Super Search: what a caller may filter, aggregate, sort and see.

Before parsing, parameters that reference a field the caller may not use are dropped
silently (Socorro's behaviour: no error). Unlike Socorro, protected ``_columns`` are stripped
too; after the query, hits keep only the columns the caller may see.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jansky.search.fields import FieldRegistry

AGG_PREFIXES = ("_aggs.", "_histogram.", "_histogram_interval.")
LISTING_PARAMS = ("_facets", "_sort", "_columns")
VALUE_PREFIXES = ("_histogram.", "_cardinality.", "-")


def _field_of_value(value: str) -> str:
    for prefix in VALUE_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def sanitize_params(
    params: Mapping[str, list[str]], registry: FieldRegistry, permissions: frozenset[str]
) -> dict[str, list[str]]:
    """``params`` without anything referencing a field the caller may not use.

    Unknown field names are kept, so that the parser still reports them to everyone.
    """

    def forbidden(name: str) -> bool:
        field = registry.get(name)
        return field is not None and not field.visible_to(permissions)

    cleaned: dict[str, list[str]] = {}
    for key, values in params.items():
        if forbidden(key):
            continue
        if key.startswith(AGG_PREFIXES) and any(forbidden(n) for n in key.split(".")[1:]):
            continue
        if key in LISTING_PARAMS or key.startswith(AGG_PREFIXES[:2]):
            values = [value for value in values if not forbidden(_field_of_value(value))]
        cleaned[key] = values
    return cleaned


def redact_hit(
    hit: dict[str, Any], registry: FieldRegistry, permissions: frozenset[str]
) -> dict[str, Any]:
    """The hit without the columns the caller may not see (absent, not null)."""
    return {
        name: value
        for name, value in hit.items()
        if (field := registry.get(name)) is not None and field.visible_to(permissions)
    }
