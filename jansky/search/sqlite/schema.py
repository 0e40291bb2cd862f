"""The SQLite table: one column per Super Search field, indexes for the common filters.

The table is clustered by date (``WITHOUT ROWID``, primary key ``(date_key, crash_id)``):
every query has a date range, so its rows are read in one sequential stretch of the table.

Columns hold the fixed-up document values: dates as integer microseconds since the epoch
(UTC), booleans as 0/1, list fields as JSON arrays. New schema fields become new columns
when the database is opened.
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from jansky.search.dates import format_date, from_micros, parse_date, to_micros
from jansky.search.fields import Field, FieldRegistry

TABLE = "crashes"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
PAGE_SIZE = 8192
NO_DATE = -1  # date_key of crashes without a date
INDEXED = [
    ("product", "date"),
    ("version", "date"),
    ("signature", "date"),
    ("platform", "date"),
    ("process_type", "date"),
    ("build_id",),
    ("release_channel", "date"),
]
SQL_TYPES = {
    "keyword": "TEXT",
    "text": "TEXT",
    "long": "INTEGER",
    "integer": "INTEGER",
    "short": "INTEGER",
    "double": "REAL",
    "boolean": "INTEGER",
    "date": "INTEGER",
}


def column(field: Field, table: str = "c") -> str:
    """The quoted column of ``field``; names come from the schema and are checked anyway."""
    if not _NAME.match(field.name):
        raise ValueError(f"field name {field.name!r} cannot be a column name")
    return f'{table}."{field.name}"'


def is_enumerable(field: Field) -> bool:
    """A field of few values (``enum``) that leads an index: its distinct values are cheap."""
    return field.validation_type == "enum" and any(names[0] == field.name for names in INDEXED)


def distinct_values(field: Field) -> str:
    """SQL for every distinct non-null value of an enumerable field, as rows of ``value``.

    One index seek per value (the next value above the last one found), however many rows
    hold each: a skip scan, which SQLite does not plan by itself without statistics.
    """
    name = column(field, TABLE)
    return (
        f"WITH RECURSIVE d(value) AS (SELECT MIN({name}) FROM {TABLE} UNION ALL "
        f"SELECT (SELECT MIN({name}) FROM {TABLE} WHERE {name} > d.value) FROM d "
        "WHERE d.value IS NOT NULL) SELECT value FROM d WHERE value IS NOT NULL"
    )


def sql_type(field: Field) -> str:
    return "TEXT" if field.is_list else SQL_TYPES[field.storage_type]


def ensure_schema(connection: sqlite3.Connection, registry: FieldRegistry) -> None:
    """Create the table and indexes, and add a column for each field the table lacks."""
    columns = ", ".join(f'"{field.name}" {sql_type(field)}' for field in registry)
    connection.execute(f"PRAGMA page_size={PAGE_SIZE}")  # only takes effect on a new file
    connection.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLE} "
        "(date_key INTEGER NOT NULL, crash_id TEXT NOT NULL UNIQUE, crash_key INTEGER NOT NULL, "
        "removed_fields TEXT, "
        f"{columns}, PRIMARY KEY (date_key, crash_id)) WITHOUT ROWID"
    )
    existing = {row[1] for row in connection.execute(f"PRAGMA table_info({TABLE})")}
    for field in registry:
        if field.name not in existing:
            connection.execute(f'ALTER TABLE {TABLE} ADD COLUMN "{field.name}" {sql_type(field)}')
    for names in INDEXED:
        if all(name in registry for name in names):
            index = f"{TABLE}_{'_'.join(names)}"
            quoted = ", ".join(f'"{name}"' for name in names)
            connection.execute(f"CREATE INDEX IF NOT EXISTS {index} ON {TABLE} ({quoted})")


def to_column(field: Field, value: Any) -> Any:
    """A fixed-up document value as stored in its column."""
    if value is None:
        return None
    if field.is_list:
        return json.dumps([_scalar_to_column(field, item) for item in value])
    return _scalar_to_column(field, value)


def _scalar_to_column(field: Field, value: Any) -> Any:
    if field.storage_type == "date":
        return to_micros(parse_date(value))
    if field.storage_type == "boolean":
        return int(bool(value))
    return value


def from_column(field: Field, value: Any) -> Any:
    """A column value back as the document value the cluster would return."""
    if value is None:
        return None
    if field.is_list:
        return [_scalar_from_column(field, item) for item in json.loads(value)]
    return _scalar_from_column(field, value)


def _scalar_from_column(field: Field, value: Any) -> Any:
    if field.storage_type == "date":
        return format_date(from_micros(value))
    if field.storage_type == "boolean":
        return bool(value)
    if field.storage_type == "double":
        return float(value)
    return value
