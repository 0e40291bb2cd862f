"""Parsed query -> the cluster's query DSL (identical for Elasticsearch 8 and OpenSearch 2)."""

from __future__ import annotations

from typing import Any

from jansky.search.analysis import tokens
from jansky.search.cluster.mapping import histogram_path, path_of, whole_path, words_path
from jansky.search.dates import format_date
from jansky.search.query import MATCH, Aggregation, Condition, FieldClause, SearchQuery

CARDINALITY_PRECISION = 40_000
RANGE_NAMES = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}


def _escape_wildcard(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


def _value(condition: Condition, value: Any) -> Any:
    if condition.field.validation_type == "datetime":
        return format_date(value)
    return value


def condition_dsl(condition: Condition) -> dict[str, Any]:
    field = condition.field
    operator = condition.operator
    target = words_path(field) if field.is_tokenized_only else whole_path(field)
    values = [_value(condition, value) for value in condition.values]
    if operator == "__null__":
        query: dict[str, Any] = {"bool": {"must_not": [{"exists": {"field": whole_path(field)}}]}}
    elif operator == "__true__":
        query = {"term": {path_of(field): True}}
    elif operator == MATCH:
        if field.is_text:
            phrases = [" ".join(tokens(value, field.analyzer)) for value in values]
            matches = [{"match_phrase": {words_path(field): p}} for p in phrases if p]
            if matches:
                query = {"bool": {"should": matches, "minimum_should_match": 1}}
            else:
                query = {"bool": {"must_not": [{"match_all": {}}]}}
        else:
            query = {"terms": {whole_path(field): values}}
    elif operator in RANGE_NAMES:
        query = {"range": {path_of(field): {RANGE_NAMES[operator]: values[0]}}}
    elif operator == "=":
        query = {"term": {target: values[0]}}
    elif operator == "@":
        query = {
            "regexp": {
                target: {"value": values[0], "flags": "NONE", "max_determinized_states": 10_000}
            }
        }
    else:
        escaped = _escape_wildcard(values[0])
        pattern = {"~": f"*{escaped}*", "^": f"{escaped}*", "$": f"*{escaped}"}[operator]
        query = {"wildcard": {target: {"value": pattern}}}
    if condition.negated:
        return {"bool": {"must_not": [query]}}
    return query


def clause_dsl(clause: FieldClause) -> dict[str, Any]:
    parts = [condition_dsl(condition) for condition in clause.ranges]
    if clause.alternatives:
        parts.append(
            {
                "bool": {
                    "should": [condition_dsl(c) for c in clause.alternatives],
                    "minimum_should_match": 1,
                }
            }
        )
    return {"bool": {"filter": parts}}


def aggregation_dsl(agg: Aggregation, size: int) -> dict[str, Any]:
    field = agg.field
    if agg.kind == "terms":
        body: dict[str, Any] = {
            "terms": {
                "field": whole_path(field),
                "size": size,
                "order": [{"_count": "desc"}, {"_key": "asc"}],
            }
        }
    elif agg.kind == "cardinality":
        body = {
            "cardinality": {
                "field": whole_path(field),
                "precision_threshold": CARDINALITY_PRECISION,
            }
        }
    elif field.validation_type == "datetime":
        body = {
            "date_histogram": {
                "field": histogram_path(field),
                "calendar_interval": agg.interval,
                "min_doc_count": 1,
            }
        }
    else:
        body = {
            "histogram": {"field": path_of(field), "interval": agg.interval, "min_doc_count": 1}
        }
    if agg.children:
        body["aggs"] = {child.name: aggregation_dsl(child, size) for child in agg.children}
    return body


def search_body(query: SearchQuery, date_path: str | None) -> dict[str, Any]:
    sort: list[Any] = []
    for key in query.sort:
        order = "desc" if key.descending else "asc"
        sort.append({whole_path(key.field): {"order": order, "missing": "_last"}})
    if not query.sort and date_path:
        sort.append({date_path: {"order": "desc", "missing": "_last"}})
    sort.append({"crash_key": {"order": "asc"}})
    body: dict[str, Any] = {
        "query": {"bool": {"filter": [clause_dsl(clause) for clause in query.clauses]}},
        "size": query.size,
        "from": query.offset,
        "sort": sort,
        "track_total_hits": True,
        "_source": [path_of(field) for field in query.columns],
    }
    if query.aggregations:
        body["aggs"] = {
            agg.name: aggregation_dsl(agg, query.facets_size) for agg in query.aggregations
        }
    return body
