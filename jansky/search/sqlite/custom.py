"""Custom queries on the SQLite search file: one read-only SELECT, its rows capped.

A custom query is ``{"sql": "SELECT ...", "parameters": [...]}``. An authorizer lets the
statement read and call functions and nothing else: no writes, no PRAGMA, no ATTACH, no temporary
tables. Only one statement runs; at most :data:`MAX_ROWS` rows come back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from jansky.search.errors import BadArgumentError

MAX_ROWS = 1000
SHAPE = 'a custom query on SQLite is {"sql": "SELECT ...", "parameters": [values for the ?s]}'
ALLOWED_ACTIONS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)
Scalar = str | int | float | None


def parse(query: Mapping[str, Any]) -> tuple[str, list[Scalar]]:
    """The statement and its parameters, or BadArgumentError saying what a query looks like."""
    unknown = sorted(set(query) - {"sql", "parameters"})
    sql = query.get("sql")
    parameters = query.get("parameters", [])
    if unknown or not isinstance(sql, str) or not sql.strip():
        raise BadArgumentError(SHAPE + (f"; unknown keys: {', '.join(unknown)}" if unknown else ""))
    if not isinstance(parameters, list) or not all(
        value is None or isinstance(value, str | int | float) for value in parameters
    ):
        raise BadArgumentError(SHAPE + "; parameters must be a list of strings and numbers")
    return sql, parameters


def _authorize(action: int, *_details: Any) -> int:
    return sqlite3.SQLITE_OK if action in ALLOWED_ACTIONS else sqlite3.SQLITE_DENY


def _plain(value: Any) -> Any:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def run(connection: sqlite3.Connection, sql: str, parameters: list[Scalar]) -> dict[str, Any]:
    """``{"columns", "rows", "truncated"}``; a refused or broken statement is a BadArgumentError.

    An interrupted statement (the caller's deadline) is re-raised as it is.
    """
    connection.set_authorizer(_authorize)
    try:
        cursor = connection.execute(sql, parameters)
        rows = cursor.fetchmany(MAX_ROWS + 1)
        columns = [description[0] for description in cursor.description or ()]
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc):
            raise
        raise BadArgumentError(f"SQLite refused the query: {exc}") from None
    except (sqlite3.ProgrammingError, sqlite3.DatabaseError) as exc:
        raise BadArgumentError(f"SQLite refused the query: {exc}") from None
    finally:
        connection.set_authorizer(None)
    return {
        "columns": columns,
        "rows": [[_plain(value) for value in row] for row in rows[:MAX_ROWS]],
        "truncated": len(rows) > MAX_ROWS,
    }
