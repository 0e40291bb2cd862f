"""The Super Search response shape, shared by every backend."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jansky.search.errors import BadArgumentError
from jansky.search.query import Aggregation, SearchQuery

MAX_BUCKETS = 65_536
TOO_MANY_BUCKETS = (
    "Too many buckets (more than 65,536): narrow the filters, use a larger "
    "_histogram_interval or a smaller _facets_size"
)


def interval_too_small(field_name: str) -> BadArgumentError:
    """The error for a histogram interval that some stored value divided by it overflows."""
    parameter = f"_histogram_interval.{field_name}"
    return BadArgumentError(
        f"Bad value for parameter {parameter}: too small for the values of {field_name} "
        "(a value divided by it is beyond the largest number)",
        parameter,
    )


def shape_hit(query: SearchQuery, document: Mapping[str, Any]) -> dict[str, Any]:
    """Requested columns in order; missing -> None, [] -> None, [x] -> x."""
    hit: dict[str, Any] = {}
    for field in query.columns:
        value = document.get(field.name)
        if isinstance(value, list):
            value = None if not value else value[0] if len(value) == 1 else value
        hit[field.name] = value
    return hit


def term_value(agg: Aggregation, key: Any) -> Any:
    """A terms bucket's ``term``: booleans as "T"/"F", the rest as stored."""
    if agg.field.validation_type == "bool":
        return "T" if key in (True, 1, "true", "T") else "F"
    return key


def empty_facets(aggregations: tuple[Aggregation, ...]) -> dict[str, Any]:
    """Facets as they are when nothing matched (for queries over no existing index)."""
    return {agg.name: {"value": 0} if agg.kind == "cardinality" else [] for agg in aggregations}


def response(
    hits: list[dict[str, Any]],
    total: int,
    facets: dict[str, Any],
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {"hits": hits, "total": total, "facets": facets, "errors": errors or []}
