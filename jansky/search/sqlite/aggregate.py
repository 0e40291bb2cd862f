"""Facets on SQLite: terms, histograms and cardinality, nested, via GROUP BY.

Each aggregation level is one query grouped by the keys of its parent levels and its own key,
restricted to the parent buckets that were kept; buckets are then ordered and cut in Python
exactly as the cluster orders them (count descending, then term ascending; histograms by key).
The rows come from a :class:`~jansky.search.sqlite.selection.Source`: the query's matching rows
copied once, so no level filters the crashes table again.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from jansky.search.dates import format_bucket, from_micros
from jansky.search.errors import BadArgumentError
from jansky.search.query import Aggregation
from jansky.search.results import MAX_BUCKETS, TOO_MANY_BUCKETS, term_value
from jansky.search.sqlite.schema import column
from jansky.search.sqlite.selection import Source

INT64_MAX = 2**63 - 1
# Sibling terms facets share one GROUP BY when their combinations of terms are this few.
COMBINED_GROUPS = 10_000
MICROS_PER_DAY = 86_400_000_000
# unit -> (size in microseconds, offset aligning buckets); weeks start on Monday, and
# 1970-01-01 was a Thursday, three days after one.
FIXED_UNITS = {
    "minute": (60_000_000, 0),
    "hour": (3_600_000_000, 0),
    "day": (MICROS_PER_DAY, 0),
    "week": (7 * MICROS_PER_DAY, 3 * MICROS_PER_DAY),
}


@dataclass(frozen=True)
class Level:
    expr: str
    join: str


def _level(agg: Aggregation, depth: int) -> Level:
    field = agg.field
    value = column(field)
    join = ""
    if field.is_list:
        join = f"JOIN json_each({value}) AS j{depth}"
        value = f"j{depth}.value"
    if agg.kind == "histogram":
        value = _bucket_expr(agg, value)
    return Level(value, join)


def _counts_buckets(agg: Aggregation) -> bool:
    """Whether the SQL of ``agg`` yields bucket numbers (``floor(value / interval)``), not keys."""
    return agg.field.validation_type == "int" and isinstance(agg.interval, int)


def _bucket_expr(agg: Aggregation, value: str) -> str:
    """SQL for a histogram bucket; integer arithmetic where it is exact, Python otherwise.

    The interval comes from the parser (a known unit or a positive number) and the field name
    from the registry (checked by :func:`column`), never from raw user text, so both can be
    written into the SQL.
    """
    interval = agg.interval
    if agg.field.validation_type == "datetime":
        if interval in FIXED_UNITS:
            size, offset = FIXED_UNITS[interval]
            return f"({value} - (({value} + {offset}) % {size}))"
        return f"j_datebucket({value}, '{interval}')"
    if _counts_buckets(agg):
        return _bucket_number(value, interval)
    return f"j_numbucket({value}, {interval!r}, '{agg.field.name}')"


def _bucket_number(value: str, interval: int) -> str:
    """SQL for ``floor(value / interval)`` of a 64-bit integer, which cannot overflow.

    SQLite divides toward zero, so one is taken off when the remainder is negative; the key
    (number times interval, possibly beyond 64 bits) is made in Python. An interval beyond 64
    bits exceeds every value: bucket 0, or -1 below zero.
    """
    if interval > INT64_MAX:
        return f"(-({value} < 0))"
    return f"(({value} / {interval}) - (({value} % {interval}) < 0))"


class Aggregator:
    """Computes the facets of one query over a connection."""

    def __init__(self, connection: Any, source: Source, facets_size: int) -> None:
        self.connection = connection
        self.source = source
        self.size = facets_size
        self.buckets = 0
        # Crashes counted by the last top-level terms or histogram facet of a single-valued
        # field, empty group included: every matching crash once (see ``single_pass``).
        self.counted: int | None = None

    def facets(self, aggregations: tuple[Aggregation, ...]) -> dict[str, Any]:
        return self._compute(aggregations, [], [()], [])[()]

    def _rows(
        self,
        levels: list[Level],
        select: str,
        allowed: list[tuple],
        cut: list[bool],
        limit: int | None = None,
    ) -> list[tuple]:
        """Rows of (parent keys..., ``select``...) grouped by the parent levels.

        Parent levels whose buckets were cut to the facet size are restricted to the kept
        terms in SQL; every row is still checked against ``allowed`` by the caller.
        """
        parents = levels[:-1]
        joins = " ".join(level.join for level in levels if level.join)
        params = list(self.source.where.params)
        restrictions = ""
        for depth, level in enumerate(parents):
            if cut[depth]:
                values = sorted({key[depth] for key in allowed}, key=repr)
                restrictions += f" AND {level.expr} IN (SELECT value FROM json_each(?))"
                params.append(json.dumps(values))
        selected = ", ".join([*(level.expr for level in parents), select])
        sql = (
            f"SELECT {selected} FROM {self.source.table} AS c {joins} "
            f"WHERE ({self.source.where.text}){restrictions}"
        )
        if parents:
            sql += " GROUP BY " + ", ".join(str(index + 1) for index in range(len(parents)))
        if limit is not None:
            sql += f" LIMIT {limit:d}"
        return self.connection.execute(sql, params).fetchall()

    def _combined_terms(
        self,
        aggregations: tuple[Aggregation, ...],
        parents: list[Level],
        allowed: list[tuple],
        cut: list[bool],
    ) -> dict[int, list[tuple]]:
        """The rows of sibling terms facets (by position) from one ``GROUP BY`` of them all.

        Each facet's counts are sums over the combinations of the other facets' terms, the
        same as its own ``GROUP BY`` would count, as long as every level holds one value per
        crash (no list fields). When the combinations exceed :data:`COMBINED_GROUPS`, the
        facets are left to their own queries (empty answer).
        """
        positions = [
            position
            for position, agg in enumerate(aggregations)
            if agg.kind == "terms" and not agg.field.is_list
        ]
        if len(positions) < 2 or any(level.join for level in parents):
            return {}
        depth = len(parents)
        levels = [*parents, *(_level(aggregations[p], depth) for p in positions), Level("", "")]
        flags = [*cut, *(False for _ in positions), False]
        rows = self._rows(levels, "COUNT(*)", allowed, flags, limit=COMBINED_GROUPS + 1)
        if len(rows) > COMBINED_GROUPS:
            return {}
        combined: dict[int, list[tuple]] = {}
        for offset, position in enumerate(positions):
            counts: dict[tuple, int] = defaultdict(int)
            for row in rows:
                counts[(*row[:depth], row[depth + offset])] += row[-1]
            combined[position] = [(*key, count) for key, count in counts.items()]
        return combined

    def _compute(
        self,
        aggregations: tuple[Aggregation, ...],
        parents: list[Level],
        allowed: list[tuple],
        cut: list[bool],
    ) -> dict[tuple, dict[str, Any]]:
        out: dict[tuple, dict[str, Any]] = {key: {} for key in allowed}
        allowed_set = set(allowed)
        depth = len(parents)
        combined = self._combined_terms(aggregations, parents, allowed, cut)
        for position, agg in enumerate(aggregations):
            level = _level(agg, depth)
            levels = [*parents, level]
            joined = any(lv.join for lv in levels)
            counted = f"COUNT(DISTINCT {self.source.row_id})" if joined else "COUNT(*)"
            if agg.kind == "cardinality":
                rows = self._rows(levels, f"COUNT(DISTINCT {level.expr})", allowed, cut)
                for row in rows:
                    if tuple(row[:-1]) in allowed_set:
                        out[tuple(row[:-1])][agg.name] = {"value": row[-1]}
                for key in allowed:
                    out[key].setdefault(agg.name, {"value": 0})
                continue
            rows = combined.get(position)
            if rows is None:
                rows = self._rows([*levels, Level("", "")], counted, allowed, [*cut, False])
            if not parents and not joined:
                self.counted = sum(row[-1] for row in rows)
            per_parent: dict[tuple, list[tuple[Any, int]]] = defaultdict(list)
            for row in rows:
                parent, term, count = tuple(row[:-2]), row[-2], row[-1]
                if term is not None and parent in allowed_set:
                    per_parent[parent].append((term, count))
            kept: dict[tuple, list[tuple[Any, int]]] = {}
            was_cut = False
            for parent in allowed:
                buckets = per_parent.get(parent, [])
                was_cut = was_cut or (agg.kind == "terms" and len(buckets) > self.size)
                if agg.kind == "terms":
                    buckets = sorted(buckets, key=lambda item: (-item[1], item[0]))[: self.size]
                else:
                    buckets = sorted(buckets)
                self.buckets += len(buckets)
                if self.buckets > MAX_BUCKETS:
                    raise BadArgumentError(TOO_MANY_BUCKETS)
                kept[parent] = buckets
            children: dict[tuple, dict[str, Any]] = {}
            if agg.children:
                child_allowed = [
                    (*parent, term) for parent, items in kept.items() for term, _ in items
                ]
                if child_allowed:
                    children = self._compute(agg.children, levels, child_allowed, [*cut, was_cut])
            for parent, items in kept.items():
                out[parent][agg.name] = [
                    self._bucket(agg, parent, term, count, children) for term, count in items
                ]
        return out

    def _bucket(
        self,
        agg: Aggregation,
        parent: tuple,
        term: Any,
        count: int,
        children: dict[tuple, dict[str, Any]],
    ) -> dict[str, Any]:
        if agg.kind == "histogram":
            if agg.field.validation_type == "datetime":
                shown = format_bucket(from_micros(term))
            elif _counts_buckets(agg):
                shown = term * agg.interval
            else:
                shown = term
        else:
            shown = term_value(agg, term)
        bucket: dict[str, Any] = {"term": shown, "count": count}
        if agg.children:
            bucket["facets"] = children.get((*parent, term), {})
        return bucket
