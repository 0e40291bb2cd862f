"""Parsed query -> SQL over the ``crashes`` table, with bound parameters only.

Semantics mirror the cluster translation (``cluster.dsl``): a negated condition also matches
crashes without the field; list fields match when any of their values does; text fields
without a whole-value version apply every operator to their words.
"""

from __future__ import annotations

from typing import Any

from jansky.search.analysis import tokens
from jansky.search.dates import to_micros
from jansky.search.fields import Field
from jansky.search.query import MATCH, Condition, FieldClause, SearchQuery, SortKey
from jansky.search.sqlite.schema import column, distinct_values, is_enumerable


class Sql:
    """A SQL fragment and its parameters, combined without string interpolation of values."""

    def __init__(self, text: str, params: list[Any] | None = None) -> None:
        self.text = text
        self.params = params or []

    @staticmethod
    def join(parts: list[Sql], separator: str) -> Sql:
        return Sql(
            separator.join(f"({part.text})" for part in parts),
            [param for part in parts for param in part.params],
        )


def _bind(field: Field, value: Any) -> Any:
    if field.storage_type == "date":
        return to_micros(value)
    if field.storage_type == "boolean":
        return int(bool(value))
    return value


def _value_test(field: Field, condition: Condition, value_expr: str) -> Sql:
    """The test of one value (a column or one list element) against ``condition``."""
    operator = condition.operator
    values = [_bind(field, value) for value in condition.values]
    analyzer = field.analyzer
    if operator == MATCH:
        if field.is_text:
            return Sql.join([_phrase_test(value_expr, value, analyzer) for value in values], " OR ")
        marks = ", ".join("?" for _ in values)
        return Sql(f"{value_expr} IN ({marks})", values)
    if operator == "__true__":
        return Sql(f"{value_expr} = 1")
    if operator in (">", ">=", "<", "<="):
        return Sql(f"{value_expr} {operator} ?", values)
    operand = values[0]
    if field.is_tokenized_only:
        return Sql(f"j_token({value_expr}, ?, ?, ?)", [operator, operand, analyzer])
    if operator == "=":
        return Sql(f"{value_expr} = ?", [operand])
    if operator == "~":
        return Sql(f"instr({value_expr}, ?) > 0", [operand])
    if operator == "^":
        return Sql(f"substr({value_expr}, 1, ?) = ?", [len(operand), operand])
    if operator == "$":
        if not operand:
            return Sql(f"{value_expr} IS NOT NULL")
        return Sql(f"substr({value_expr}, ?) = ?", [-len(operand), operand])
    return Sql(f"j_regexp({value_expr}, ?)", [operand])


def _phrase_test(value_expr: str, phrase: Any, analyzer: str | None) -> Sql:
    """A phrase match; a value equal to a phrase that has words matches without Python."""
    test = Sql(f"j_phrase({value_expr}, ?, ?)", [phrase, analyzer])
    if isinstance(phrase, str) and tokens(phrase, analyzer):
        return Sql(f"{value_expr} = ? OR {test.text}", [phrase, *test.params])
    return test


def _calls_python(field: Field, condition: Condition) -> bool:
    """Whether the test of a value runs a Python function (words or regular expressions)."""
    if condition.operator == MATCH:
        return field.is_text
    if condition.operator in ("__true__", ">", ">=", "<", "<="):
        return False
    return field.is_tokenized_only or condition.operator == "@"


def condition_sql(condition: Condition, table_order: bool = False) -> Sql:
    """SQL of one condition; ``table_order`` as in :func:`where_sql`."""
    field = condition.field
    col = column(field)
    if condition.operator == "__null__":
        test = Sql(f"{col} IS NULL")
    elif field.is_list:
        inner = _value_test(field, condition, "e.value")
        test = Sql(f"EXISTS (SELECT 1 FROM json_each({col}) AS e WHERE {inner.text})", inner.params)
    elif is_enumerable(field) and _calls_python(field, condition):
        # Tested once per distinct value instead of once per row, and the column's index
        # can then find the rows (a unary + keeps SQLite from using it).
        inner = _value_test(field, condition, "v.value")
        indexed = f"+{col}" if table_order else col
        test = Sql(
            f"{indexed} IN (SELECT v.value FROM ({distinct_values(field)}) AS v "
            f"WHERE {inner.text})",
            inner.params,
        )
    else:
        test = _value_test(field, condition, col)
    if condition.negated:
        return Sql(f"NOT IFNULL(({test.text}), 0)", test.params)
    return test


def clause_sql(clause: FieldClause, table_order: bool = False) -> Sql:
    parts = [condition_sql(condition, table_order) for condition in clause.ranges]
    if clause.alternatives:
        alternatives = [condition_sql(c, table_order) for c in clause.alternatives]
        parts.append(Sql.join(alternatives, " OR "))
    return Sql.join(parts, " AND ")


def where_sql(query: SearchQuery, table_order: bool = False) -> Sql:
    """The filters, led by the date window on the clustering key so SQLite reads one range.

    The window repeats the folded date bounds inclusively; the date clause itself still
    decides the exact edges. With ``table_order`` (a page of hits), enumerated fields leave
    their index alone: a product matches a large share of the window, so reading the table
    backwards in date order and stopping at the page's end beats sorting every match.
    """
    window = Sql(
        "c.date_key >= ? AND c.date_key <= ?",
        [to_micros(query.date_from), to_micros(query.date_to)],
    )
    clauses = [clause_sql(clause, table_order) for clause in query.clauses]
    return Sql.join([window, *clauses], " AND ")


def _sort_expr(key: SortKey) -> str:
    col = column(key.field)
    if key.field.storage_type == "date" and key.descending:
        return "c.date_key"  # the clustering key: the same order, undated (-1) last
    if key.field.is_list:
        function = "MAX" if key.descending else "MIN"
        return f"(SELECT {function}(value) FROM json_each({col}))"
    return col


def order_sql(query: SearchQuery, date_field: Field | None, id_column: str) -> str:
    """Requested keys (missing values last), then the default ``-date``, then the crash key."""
    keys = list(query.sort)
    if not keys and date_field is not None:
        keys = [SortKey(date_field, descending=True)]
    parts = []
    for key in keys:
        expr = _sort_expr(key)
        parts.append(f"{expr} {'DESC' if key.descending else 'ASC'} NULLS LAST")
    parts.append(f"{id_column} ASC")
    return ", ".join(parts)
