"""Super Search parameters -> :class:`SearchQuery`: parsing, conversion and validation.

Pure functions: no backend, no clock unless ``now`` is left out. Every invalid input raises
:class:`BadArgumentError` with a message for the user (the API's 400). Unknown parameter names
are ignored, as Socorro's API does; ``jansky search`` rejects them before calling this.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from jansky.search import lucene_regex
from jansky.search.dates import parse_date
from jansky.search.documents import INT_RANGES
from jansky.search.errors import BadArgumentError
from jansky.search.fields import (
    RANGE_OPERATORS,
    WHOLE_VALUE_OPERATORS,
    Field,
    FieldRegistry,
    get_registry,
)
from jansky.search.query import MATCH, Aggregation, Condition, FieldClause, SearchQuery, SortKey

DEFAULT_COLUMNS = ("uuid", "date", "signature", "product", "version")
DEFAULT_FACETS = ("signature",)
DEFAULT_RESULTS_NUMBER = 100
MAX_RESULTS_NUMBER = 1000
MAX_WINDOW = 10_000
DEFAULT_FACETS_SIZE = 50
MAX_FACETS_SIZE = 10_000
DEFAULT_DAYS = 7
MAX_DAYS = 365
MAX_VALUE_LENGTH = 10_000
MAX_VALUES = 1000
MAX_AGGS_DEPTH = 3
# The smallest numeric histogram interval: a million buckets per unit is already finer than any
# field's values, and far smaller intervals (1e-310) overflow into infinite bucket keys.
MIN_HISTOGRAM_INTERVAL = 1e-6
TRUTHY = frozenset({"true", "t", "1", "y", "yes"})
_INT = re.compile(r"^[+-]?\d{1,20}$")

DATE_UNITS = {
    "minute": "minute",
    "1m": "minute",
    "hour": "hour",
    "1h": "hour",
    "day": "day",
    "1d": "day",
    "week": "week",
    "1w": "week",
    "month": "month",
    "1M": "month",
    "quarter": "quarter",
    "1q": "quarter",
    "year": "year",
    "1y": "year",
}

Params = Mapping[str, Any]


def normalize_params(params: Params) -> dict[str, list[str]]:
    """Every parameter as a list of strings (a single value becomes a one-item list)."""
    normalized: dict[str, list[str]] = {}
    for key, value in params.items():
        values = value if isinstance(value, list | tuple) else [value]
        normalized[str(key)] = ["" if item is None else str(item) for item in values]
    return normalized


def parse_params(
    params: Params, registry: FieldRegistry | None = None, now: datetime | None = None
) -> SearchQuery:
    """Validate ``params`` and build the backend-neutral query."""
    registry = registry or get_registry()
    now = now or datetime.now(UTC)
    params = normalize_params(params)

    clauses = {
        name: _field_clause(registry.get(name), values)
        for name, values in params.items()
        if name in registry
    }
    date_field = registry.get("date")
    date_from, date_to = now - timedelta(days=DEFAULT_DAYS), now
    empty_date_range = False
    if date_field is not None:
        clause, date_from, date_to = _fold_dates(date_field, clauses.get("date"), now)
        clauses["date"] = clause
        low, high = clause.ranges[:2]
        empty_date_range = date_from > date_to or (
            date_from == date_to and (low.operator == ">" or high.operator == "<")
        )
    active = tuple(clause for clause in clauses.values() if clause.ranges or clause.alternatives)

    columns = _columns(registry, params.get("_columns"))
    sort = tuple(_sort_key(registry, value) for value in _present(params.get("_sort", [])))
    size = _int_param(params, "_results_number", DEFAULT_RESULTS_NUMBER)
    offset = _int_param(params, "_results_offset", 0)
    if size < 0:
        raise BadArgumentError("_results_number cannot be negative", "_results_number")
    if size > MAX_RESULTS_NUMBER:
        raise BadArgumentError("_results_number cannot be greater than 1,000", "_results_number")
    if offset < 0:
        raise BadArgumentError("_results_offset cannot be negative", "_results_offset")
    if offset + size > MAX_WINDOW:
        raise BadArgumentError(
            "_results_offset + _results_number cannot be greater than 10,000", "_results_offset"
        )
    facets_size = _int_param(params, "_facets_size", DEFAULT_FACETS_SIZE)
    if facets_size < 0:
        raise BadArgumentError("_facets_size cannot be negative", "_facets_size")
    if facets_size > MAX_FACETS_SIZE:
        raise BadArgumentError("_facets_size cannot be greater than 10,000", "_facets_size")
    aggregations = _aggregations(registry, params)
    return SearchQuery(
        clauses=active,
        date_from=date_from,
        date_to=date_to,
        columns=columns,
        sort=sort,
        size=size,
        offset=offset,
        facets_size=facets_size,
        aggregations=aggregations if facets_size else (),
        return_query=_truthy(params.get("_return_query", ["false"])[:1]),
        empty_date_range=empty_date_range,
    )


# ---- filters --------------------------------------------------------------------------------


def _field_clause(field: Field, values: list[str]) -> FieldClause:
    values = [value for value in values if value != ""]
    if len(values) > MAX_VALUES:
        raise BadArgumentError(
            f"Too many values for parameter {field.name} (at most {MAX_VALUES:,})", field.name
        )
    ranges: list[Condition] = []
    others: list[Condition] = []
    bare: dict[bool, list[Any]] = {False: [], True: []}
    for raw in values:
        if len(raw) > MAX_VALUE_LENGTH:
            raise BadArgumentError(
                f"Bad value for parameter {field.name}: longer than {MAX_VALUE_LENGTH:,} "
                "characters",
                field.name,
            )
        negated = raw.startswith("!")
        text = raw[1:] if negated else raw
        operator, rest = _split_operator(field, text)
        if field.name == "version" and operator == MATCH and rest.endswith("b"):
            operator = "^"
        if operator == MATCH:
            bare[negated].append(_convert(field, rest))
        elif operator in WHOLE_VALUE_OPERATORS:
            others.append(Condition(field, operator, (), negated))
        elif operator in RANGE_OPERATORS:
            ranges.append(Condition(field, operator, (_convert(field, rest),), negated))
        else:
            if operator == "@":
                _check_regex(field, rest)
            others.append(Condition(field, operator, (rest,), negated))
    for negated in (False, True):
        if bare[negated]:
            unique = tuple(dict.fromkeys(bare[negated]))
            others.insert(
                0 if not negated else len(others), Condition(field, MATCH, unique, negated)
            )
    return FieldClause(field, tuple(ranges), tuple(others))


def _split_operator(field: Field, text: str) -> tuple[str, str]:
    for operator in field.operators:
        if operator in WHOLE_VALUE_OPERATORS:
            if text == operator:
                return operator, ""
        elif operator == MATCH or text.startswith(operator):
            return operator, text[len(operator) :]
    raise BadArgumentError(f"{field.name} must have a prefix operator", field.name)


def _convert(field: Field, text: str) -> Any:
    kind = field.validation_type
    try:
        if kind == "int":
            if not _INT.match(text.strip()):
                raise ValueError(text)
            number = int(text)
            low, high = INT_RANGES.get(field.storage_type, INT_RANGES["long"])
            if low <= number <= high:
                return number
            raise BadArgumentError(
                f"Bad value for parameter {field.name}: not a valid int (from {low} to {high})",
                field.name,
            )
        if kind == "float":
            number = float(text)
            if not math.isfinite(number):
                raise ValueError(text)
            return number
        if kind == "datetime":
            return parse_date(text)
        if kind == "bool":
            return text.strip().lower() in TRUTHY
    except BadArgumentError:
        raise
    except ValueError:
        raise BadArgumentError(
            f"Bad value for parameter {field.name}: not a valid {kind}", field.name
        ) from None
    return text


def _check_regex(field: Field, pattern: str) -> None:
    try:
        lucene_regex.compile_pattern(pattern)
    except lucene_regex.RegexError as exc:
        raise BadArgumentError(
            f"Bad value for parameter {field.name}: not a valid regular expression ({exc})",
            field.name,
        ) from None


def _fold_dates(
    field: Field, clause: FieldClause | None, now: datetime
) -> tuple[FieldClause, datetime, datetime]:
    """Keep the tightest lower and upper bound; fill in the defaults; enforce 365 days."""
    ranges = clause.ranges if clause else ()
    lower = [c for c in ranges if not c.negated and c.operator in (">", ">=")]
    upper = [c for c in ranges if not c.negated and c.operator in ("<", "<=")]
    kept = [c for c in ranges if c.negated]
    low = max(lower, key=lambda c: (c.values[0], c.operator == ">"), default=None)
    high = min(upper, key=lambda c: (c.values[0], c.operator == "<="), default=None)
    if high is None:
        high = Condition(field, "<=", (now,))
    if low is None:
        low = Condition(field, ">=", (high.values[0] - timedelta(days=DEFAULT_DAYS),))
    if high.values[0] - low.values[0] > timedelta(days=MAX_DAYS):
        raise BadArgumentError("Date range is bigger than 365 days", "date")
    alternatives = clause.alternatives if clause else ()
    folded = FieldClause(field, (low, high, *kept), alternatives)
    return folded, low.values[0], high.values[0]


# ---- meta parameters ------------------------------------------------------------------------


def _present(values: Iterable[str]) -> list[str]:
    return [value for value in values if value != ""]


def _known(registry: FieldRegistry, name: str, parameter: str) -> Field:
    field = registry.get(name)
    if field is None:
        raise BadArgumentError(f"Unknown field '{name}'", parameter)
    return field


def _columns(registry: FieldRegistry, values: list[str] | None) -> tuple[Field, ...]:
    names = _present(values or []) or [name for name in DEFAULT_COLUMNS if name in registry]
    fields = [_known(registry, name, "_columns") for name in names]
    return tuple(dict.fromkeys(fields))


def _sort_key(registry: FieldRegistry, value: str) -> SortKey:
    descending = value.startswith("-")
    field = _known(registry, value[1:] if descending else value, "_sort")
    if not field.aggregatable:
        raise BadArgumentError(
            f"Cannot sort on field '{field.name}': it is only indexed as words", "_sort"
        )
    return SortKey(field, descending)


def _int_param(params: dict[str, list[str]], name: str, default: int) -> int:
    values = _present(params.get(name, []))
    if not values:
        return default
    text = values[0].strip()
    if not _INT.match(text):
        raise BadArgumentError(f"Bad value for parameter {name}: not a valid int", name)
    return int(text)


def _truthy(values: list[str]) -> bool:
    return bool(values) and values[0].strip().lower() in TRUTHY


def _aggregations(registry: FieldRegistry, params: dict[str, list[str]]) -> tuple[Aggregation, ...]:
    intervals = {
        key.split(".", 1)[1]: values
        for key, values in params.items()
        if key.startswith("_histogram_interval.")
    }
    for name, values in intervals.items():
        field = _known(registry, name, f"_histogram_interval.{name}")
        _interval(field, values)

    def leaf(value: str, parameter: str) -> Aggregation:
        for kind in ("histogram", "cardinality"):
            prefix = f"_{kind}."
            if value.startswith(prefix):
                field = _known(registry, value[len(prefix) :], parameter)
                if kind == "histogram":
                    return _histogram(field, intervals.get(field.name), (), parameter)
                _check_aggregatable(field, parameter)
                return Aggregation("cardinality", field)
        field = _known(registry, value, parameter)
        _check_terms(field, parameter)
        return Aggregation("terms", field)

    found: dict[str, Aggregation] = {}
    facets = params.get("_facets", list(DEFAULT_FACETS))
    for value in _present(facets):
        agg = leaf(value, "_facets")
        found[agg.name] = agg
    for key, values in params.items():
        if key.startswith("_aggs."):
            names = key.split(".")[1:]
            if not 1 <= len(names) <= MAX_AGGS_DEPTH or "" in names:
                raise BadArgumentError(
                    f"Bad parameter {key}: _aggs takes one to {MAX_AGGS_DEPTH} fields", key
                )
            chain = [_known(registry, name, key) for name in names]
            for field in chain:
                _check_terms(field, key)
            node_children = tuple(leaf(value, key) for value in _present(values))
            for field in reversed(chain):
                node = Aggregation("terms", field, _unique(node_children))
                node_children = (node,)
            found[node.name] = node
    for key, values in params.items():
        if key.startswith("_histogram."):
            field = _known(registry, key.split(".", 1)[1], key)
            children = tuple(leaf(value, key) for value in _present(values))
            agg = _histogram(field, intervals.get(field.name), _unique(children), key)
            found[agg.name] = agg
    return tuple(found.values())


def _unique(children: tuple[Aggregation, ...]) -> tuple[Aggregation, ...]:
    return tuple({child.name: child for child in children}.values())


def _check_aggregatable(field: Field, parameter: str) -> None:
    if not field.aggregatable:
        raise BadArgumentError(
            f"Cannot aggregate on field '{field.name}': it is only indexed as words", parameter
        )


def _check_terms(field: Field, parameter: str) -> None:
    _check_aggregatable(field, parameter)
    if field.validation_type == "datetime":
        raise BadArgumentError(
            f"Cannot make terms of field '{field.name}': use _histogram.{field.name}", parameter
        )


def _histogram(
    field: Field,
    interval_values: list[str] | None,
    children: tuple[Aggregation, ...],
    parameter: str,
) -> Aggregation:
    if not field.histogrammable:
        raise BadArgumentError(
            f"Cannot make a histogram of field '{field.name}': only date, integer and float fields",
            parameter,
        )
    return Aggregation("histogram", field, children, _interval(field, interval_values or []))


def _interval(field: Field, values: list[str]) -> str | int | float:
    """A date unit, or a number read as a double as the cluster reads it (``2^63-1`` is
    ``2^63``); a whole number on an integer field stays an int, so its buckets and terms are
    exact ints whatever its size."""
    values = _present(values)
    parameter = f"_histogram_interval.{field.name}"
    if field.validation_type == "datetime":
        if not values:
            return "day"
        unit = DATE_UNITS.get(values[0].strip())
        if unit is None:
            raise BadArgumentError(
                f"Bad value for parameter {parameter}: use one of "
                "minute, hour, day, week, month, quarter, year",
                parameter,
            )
        return unit
    if field.validation_type not in {"int", "float"}:
        raise BadArgumentError(
            f"Cannot make a histogram of field '{field.name}': only date, integer and float fields",
            parameter,
        )
    if not values:
        return 1 if field.validation_type == "int" else 1.0
    try:
        number = float(values[0])
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        raise BadArgumentError(
            f"Bad value for parameter {parameter}: not a positive number", parameter
        )
    if number < MIN_HISTOGRAM_INTERVAL:
        raise BadArgumentError(
            f"Bad value for parameter {parameter}: too small, the interval must be at least "
            f"{MIN_HISTOGRAM_INTERVAL:f}",
            parameter,
        )
    if field.validation_type == "int" and number.is_integer():
        return int(number)
    return number
