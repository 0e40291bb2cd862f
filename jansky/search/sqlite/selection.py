"""The rows a query matches, found once and copied to a temporary table for its facets.

Every facet is its own ``GROUP BY``. Run against the crashes table, each one would find the
matching rows again: an index lookup per row into a table of a million wide rows, and Python
calls for the tests SQL cannot express. The copy holds only the columns the aggregations read,
lives in memory (``temp_store=MEMORY``) for the length of one query, and is private to the
connection, so the facets and the total read a few narrow rows instead.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from jansky.search.fields import Field
from jansky.search.query import Aggregation
from jansky.search.sqlite.schema import TABLE, column
from jansky.search.sqlite.translate import Sql

SELECTION = "temp.j_selection"


@dataclass(frozen=True)
class Source:
    """Where facets read rows: a table, its filter, and what identifies one crash in it."""

    table: str
    where: Sql
    row_id: str


def single_pass(aggregations: tuple[Aggregation, ...]) -> bool:
    """Whether one ``GROUP BY`` over the crashes table gives the facets and the total: one
    terms or histogram facet of a single-valued field, without sub-facets. Its groups, the
    empty one too, count every matching crash once; a copy would only add a pass."""
    if len(aggregations) != 1:
        return False
    agg = aggregations[0]
    return agg.kind != "cardinality" and not agg.children and not agg.field.is_list


def aggregated_fields(aggregations: tuple[Aggregation, ...]) -> list[Field]:
    """Every field the aggregations (and their sub-aggregations) read, each once, in order."""
    found: dict[str, Field] = {}

    def visit(items: tuple[Aggregation, ...]) -> None:
        for agg in items:
            found.setdefault(agg.field.name, agg.field)
            visit(agg.children)

    visit(aggregations)
    return list(found.values())


class Selection:
    """A context manager: on entry the matching rows' ``fields`` are copied, on exit dropped.

    ``total`` is the number of matching crashes; ``source`` is where facets read them.
    """

    def __init__(self, connection: sqlite3.Connection, where: Sql, fields: list[Field]) -> None:
        self.connection = connection
        self.where = where
        self.fields = fields
        self.total = 0
        self.source = Source(SELECTION, Sql("1"), "c.rowid")

    def __enter__(self) -> Selection:
        columns = ", ".join(column(field) for field in self.fields)
        # A copy left behind by a query interrupted at its deadline goes first.
        self.connection.execute(f"DROP TABLE IF EXISTS {SELECTION}")
        self.connection.execute(
            f"CREATE TABLE {SELECTION} AS SELECT {columns} FROM {TABLE} AS c "
            f"WHERE {self.where.text}",
            self.where.params,
        )
        self.total = self.connection.execute(f"SELECT COUNT(*) FROM {SELECTION}").fetchone()[0]
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.connection.execute(f"DROP TABLE IF EXISTS {SELECTION}")
