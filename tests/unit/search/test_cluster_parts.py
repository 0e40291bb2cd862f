"""Cluster pieces that need no server: index names, mapping, DSL, bulk helpers, errors."""

from __future__ import annotations

from datetime import UTC, datetime

from jansky.search.cluster.bulk import cluster_document, flatten, rejected_field, remove_field
from jansky.search.cluster.client import ClusterRequestError
from jansky.search.cluster.dsl import condition_dsl, search_body
from jansky.search.cluster.indices import expired, index_for, indices_between, parse_index_date
from jansky.search.cluster.mapping import build_mapping
from jansky.search.fields import get_registry
from jansky.search.params import parse_params

REGISTRY = get_registry()
NOW = datetime(2026, 3, 4, 12, tzinfo=UTC)


def test_weekly_names() -> None:
    assert index_for("jansky%Y%W", datetime(2025, 8, 20, tzinfo=UTC)) == "jansky202533"
    names = indices_between(
        "jansky%Y%W", datetime(2025, 12, 28, tzinfo=UTC), datetime(2026, 1, 6, tzinfo=UTC)
    )
    # %W weeks start on Monday; the days of a year before its first Monday are week 00
    assert names == ["jansky202551", "jansky202552", "jansky202600", "jansky202601"]
    assert parse_index_date("jansky%Y%W", "jansky202533") == datetime(2025, 8, 18, tzinfo=UTC)
    assert parse_index_date("jansky%Y%W", "other202533") is None


def test_expired_indices() -> None:
    names = ["jansky202601", "jansky202609", "jansky202608", "unrelated"]
    assert expired("jansky%Y%W", names, 1, NOW) == ["jansky202601"]


def test_mapping_follows_the_registry() -> None:
    mapping = build_mapping(REGISTRY)
    crash = mapping["properties"]["processed_crash"]["properties"]
    assert crash["signature"]["fields"]["full"] == {"type": "keyword"}
    assert crash["date_processed"] == {"type": "date_nanos"}
    assert crash["json_dump"]["properties"]["system_info"]["properties"]["cpu_count"] == {
        "type": "short"
    }
    assert (
        mapping["properties"]["words"]["properties"]["modules_in_stack"]["analyzer"] == "whitespace"
    )


def test_dsl_escapes_wildcards_and_phrases_words() -> None:
    query = parse_params({"signature": ["~a*b?", "JS::GC"]}, REGISTRY, now=NOW)
    (clause,) = [c for c in query.clauses if c.field.name == "signature"]
    bare, contains = clause.alternatives
    assert condition_dsl(contains) == {
        "wildcard": {"processed_crash.signature.full": {"value": "*a\\*b\\?*"}}
    }
    assert condition_dsl(bare)["bool"]["should"] == [{"match_phrase": {"words.signature": "js gc"}}]


def test_search_body_sorts_and_pages() -> None:
    query = parse_params({"_sort": "-uptime", "_results_offset": "5"}, REGISTRY, now=NOW)
    body = search_body(query, "processed_crash.date_processed")
    assert body["sort"] == [
        {"processed_crash.uptime": {"order": "desc", "missing": "_last"}},
        {"crash_key": {"order": "asc"}},
    ]
    assert (body["from"], body["size"], body["track_total_hits"]) == (5, 100, True)


def test_documents_round_trip() -> None:
    document = {"signature": "A | b", "cpu_count": 4, "addons": ["x"]}
    nested = cluster_document(REGISTRY, "id", document)
    assert nested["words"]["signature"] == "a b"
    assert flatten(REGISTRY, nested) == document


def test_rejected_fields_are_removed_and_recorded() -> None:
    reason = "failed to parse field [processed_crash.uptime] of type [long] in document"
    assert rejected_field(reason) == "processed_crash.uptime"
    immense = 'Document contains at least one immense term in field="processed_crash.reason.full"'
    assert rejected_field(immense) == "processed_crash.reason"
    document = cluster_document(REGISTRY, "id", {"uptime": 3, "reason": "r"})
    assert remove_field(document, "processed_crash.uptime")
    assert remove_field(document, "processed_crash.reason")
    assert document["removed_fields"] == "processed_crash.uptime processed_crash.reason"
    assert not remove_field(document, "processed_crash.nope")


def test_request_errors_list_their_types() -> None:
    body = {
        "error": {
            "type": "search_phase_execution_exception",
            "reason": "all shards failed",
            "caused_by": {
                "type": "too_many_buckets_exception",
                "reason": "Trying to create too many buckets",
            },
        }
    }
    error = ClusterRequestError(400, body)
    assert error.types == ["search_phase_execution_exception", "too_many_buckets_exception"]
