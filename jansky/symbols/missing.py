"""Missing symbols: which modules crashes lacked symbols for, from the search index.

Why a search field of its own (``missing_symbols_modules``) and not Socorro's
``missing_symbols``: that field names each module by its *code* file
(``file/version/debugid[/codeid]`` in one semicolon-separated text), while the store, uploads
and the symbol-upload scripts key symbols by *debug* file and debug id; and it is a word-indexed
text field, which Super Search can neither facet nor match exactly. Here each module without
symbols is one keyword value, ``debug_file/debug_id/code_file/code_id``, so that:

- a facet on it ranks modules by the number of crashes (documents) that lack them;
- a starts-with query on ``debug_file/debug_id/`` lists exactly those crashes, to heal them;
- the record is the crash's own search document: it changes when the crash is reprocessed
  (healed crashes drop out of the counts), expires with it, and costs no write of its own.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jansky.symbols.layout import InvalidSymbolName, SymbolKey, check_code_id, symbol_key

FIELD = "missing_symbols_modules"
SEPARATOR = "/"
CSV_HEADER = ("debug_file", "debug_id", "code_file", "code_id")
MAX_PAGE = 1000  # Super Search's largest _results_number

Search = Callable[[Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class MissingModule:
    """A module some crashes had no symbols for, and how many."""

    key: SymbolKey
    code_file: str
    code_id: str
    crashes: int = 0

    @property
    def term(self) -> str:
        return SEPARATOR.join(
            (self.key.debug_file, self.key.debug_id, self.code_file, self.code_id)
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "debug_file": self.key.debug_file,
            "debug_id": self.key.debug_id,
            "code_file": self.code_file,
            "code_id": self.code_id,
            "crashes": self.crashes,
        }


def _leaf(path: Any) -> str:
    if not isinstance(path, str):
        return ""
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def module_term(module: Mapping[str, Any]) -> str | None:
    """The field's value for one module of the stackwalker's JSON, or None when the module
    cannot be named in the store (no debug file, no valid debug id)."""
    try:
        key = symbol_key(_leaf(module.get("debug_file")), str(module.get("debug_id") or ""))
    except InvalidSymbolName:
        return None
    code_id = module.get("code_id")
    code_id = code_id if isinstance(code_id, str) and SEPARATOR not in code_id else ""
    return MissingModule(key, _leaf(module.get("filename")), code_id).term


def parse_term(term: str, crashes: int = 0) -> MissingModule | None:
    """The module a field value names; None for a value this module did not write."""
    parts = term.split(SEPARATOR)
    if len(parts) != 4:
        return None
    try:
        key = symbol_key(parts[0], parts[1])
    except InvalidSymbolName:
        return None
    return MissingModule(key, parts[2], parts[3], crashes)


def prefix(key: SymbolKey) -> str:
    """The start of every value naming ``key``'s module."""
    return f"{key.debug_file}{SEPARATOR}{key.debug_id}{SEPARATOR}"


def date_range(since: datetime, until: datetime) -> list[str]:
    return [f">={since.isoformat()}", f"<{until.isoformat()}"]


def rank(
    search: Search, since: datetime, until: datetime, limit: int, **filters: Any
) -> tuple[list[MissingModule], int]:
    """Modules by the number of crashes between ``since`` and ``until`` lacking their symbols,
    most first (at most ``limit``), and the number of crashes lacking any."""
    answer = search(
        {
            **filters,
            "date": date_range(since, until),
            FIELD: "!__null__",
            "_facets": [FIELD],
            "_facets_size": limit,
            "_results_number": 0,
        }
    )
    modules = []
    for bucket in answer.get("facets", {}).get(FIELD, []):
        module = parse_term(str(bucket["term"]), int(bucket["count"]))
        if module is not None:
            modules.append(module)
    return modules, int(answer.get("total", 0))


def rank_recent(
    search: Search, days: int, limit: int, product: str = "", now: datetime | None = None
) -> tuple[list[MissingModule], int]:
    """:func:`rank` over the last ``days`` days, of one product when ``product`` is set."""
    until = now or datetime.now(UTC)
    filters = {"product": product} if product else {}
    return rank(search, until - timedelta(days=days), until, limit, **filters)


def count_crashes(search: Search, key: SymbolKey, since: datetime, until: datetime) -> int:
    """How many crashes between ``since`` and ``until`` lack ``key``'s symbols."""
    answer = search(
        {
            "date": date_range(since, until),
            FIELD: f"^{prefix(key)}",
            "_results_number": 0,
            "_facets_size": 0,
        }
    )
    return int(answer.get("total", 0))


def code_info(
    search: Search, key: SymbolKey, since: datetime, until: datetime
) -> tuple[str, str] | None:
    """The code file and code id (upper case) crashes report for ``key``'s module, if any."""
    answer = search(
        {
            "date": date_range(since, until),
            FIELD: f"^{prefix(key)}",
            "_columns": [FIELD],
            "_results_number": 1,
            "_facets_size": 0,
        }
    )
    for hit in answer.get("hits", []):
        values = hit.get(FIELD)
        for value in values if isinstance(values, list) else [values]:
            module = parse_term(str(value)) if value else None
            if module is not None and module.key == key and module.code_file and module.code_id:
                try:
                    return module.code_file, check_code_id(module.code_id)
                except InvalidSymbolName:
                    return None
    return None


@dataclass
class CrashCursor:
    """Where a walk through the crashes lacking a module got to (newest first)."""

    before: str  # ISO date: crashes dated at or before it are still to come
    seen_at_boundary: list[str]  # ids already returned that are dated exactly ``before``


def crashes_lacking(
    search: Search, key: SymbolKey, since: datetime, cursor: CrashCursor, batch: int
) -> tuple[list[str], CrashCursor | None]:
    """The next ``batch`` crash ids (newest first) dated from ``since`` to ``cursor.before``
    whose search documents lack ``key``'s symbols, and the cursor after them (None at the end).

    Paging is by date, not offset: healed crashes leave the result set as they are reprocessed,
    which would make offsets skip crashes.
    """
    boundary = set(cursor.seen_at_boundary)
    wanted = min(batch + len(boundary), MAX_PAGE)
    answer = search(
        {
            "date": [f">={since.isoformat()}", f"<={cursor.before}"],
            FIELD: f"^{prefix(key)}",
            "_columns": ["uuid", "date"],
            "_sort": "-date",
            "_results_number": wanted,
            "_facets_size": 0,
        }
    )
    hits = [hit for hit in answer.get("hits", []) if hit.get("uuid") and hit.get("date")]
    fresh = [hit for hit in hits if hit["uuid"] not in boundary][:batch]
    if not fresh:
        return [], None
    ids = [hit["uuid"] for hit in fresh]
    if len(answer.get("hits", [])) < wanted:  # the last page: nothing older is left
        return ids, None
    last = fresh[-1]["date"]
    at_last = [hit["uuid"] for hit in fresh if hit["date"] == last]
    seen = [*cursor.seen_at_boundary, *at_last] if last == cursor.before else at_last
    return ids, CrashCursor(last, seen)


def to_csv(modules: Iterable[MissingModule]) -> Iterator[str]:
    """The list as symbol-upload scripts read it: ``debug_file,debug_id,code_file,code_id``
    lines after that header (Socorro's and Tecken's missing-symbols CSV)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for module in modules:
        writer.writerow(
            (module.key.debug_file, module.key.debug_id, module.code_file, module.code_id)
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()
