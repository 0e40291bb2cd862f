"""A parsed, validated Super Search query, independent of any backend.

``params.parse_params`` builds it; each backend translates it (cluster DSL, SQL) and both
produce the same response through ``results``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jansky.search.fields import Field

MATCH = ""  # the bare-value operator ("matches")


@dataclass(frozen=True)
class Condition:
    """One operator applied to one field.

    ``values`` holds converted values; only bare values of one field are folded into a single
    condition with several values (any of them matches).
    """

    field: Field
    operator: str  # MATCH, "=", "~", "^", "$", "@", ">", ">=", "<", "<=", "__null__", "__true__"
    values: tuple[Any, ...]
    negated: bool = False


@dataclass(frozen=True)
class FieldClause:
    """All conditions on one field: ranges ANDed, everything else ORed."""

    field: Field
    ranges: tuple[Condition, ...]
    alternatives: tuple[Condition, ...]


@dataclass(frozen=True)
class Aggregation:
    """A terms, histogram or cardinality aggregation, possibly with sub-aggregations."""

    kind: str  # "terms" | "histogram" | "cardinality"
    field: Field
    children: tuple[Aggregation, ...] = ()
    interval: str | int | float | None = None  # histograms only

    @property
    def name(self) -> str:
        if self.kind == "terms":
            return self.field.name
        return f"{self.kind}_{self.field.name}"


@dataclass(frozen=True)
class SortKey:
    field: Field
    descending: bool


@dataclass(frozen=True)
class SearchQuery:
    clauses: tuple[FieldClause, ...]
    date_from: datetime
    date_to: datetime
    columns: tuple[Field, ...]
    sort: tuple[SortKey, ...]
    size: int
    offset: int
    facets_size: int
    aggregations: tuple[Aggregation, ...] = field(default=())
    return_query: bool = False
    empty_date_range: bool = False  # the date bounds exclude every moment
