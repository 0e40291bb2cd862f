"""Index settings and mapping, generated from the field registry.

Documents keep Socorro's layout, ``{"crash_id", "processed_crash": {<source paths>},
"removed_fields"}``, plus ``words.<field>``: the words of each text field as computed by
``jansky.search.analysis``, separated by spaces, so that word matching needs no analysis
plugin and agrees with SQLite.
"""

from __future__ import annotations

from typing import Any

from jansky.search.fields import Field, FieldRegistry

ROOT = "processed_crash"
WORDS_ROOT = "words"
# Dates again, to the millisecond: Elasticsearch 8 fails some date histograms over nanosecond
# dates, so histograms use these; filters and sorting keep the exact ``date_nanos`` values.
HISTOGRAM_ROOT = "histogram_dates"


def path_of(field: Field) -> str:
    return f"{ROOT}.{field.source}"


def words_path(field: Field) -> str:
    return f"{WORDS_ROOT}.{field.name}"


def histogram_path(field: Field) -> str:
    return f"{HISTOGRAM_ROOT}.{field.name}"


def whole_path(field: Field) -> str:
    """Where the whole value is indexed: ``.full`` for text fields that have it."""
    return f"{path_of(field)}.full" if field.has_full_version else path_of(field)


def field_mapping(field: Field) -> dict[str, Any]:
    storage = field.storage_type
    if storage == "text":
        if field.has_full_version:
            return {"type": "text", "index": False, "fields": {"full": {"type": "keyword"}}}
        return {"type": "keyword", "index": False, "doc_values": True}
    if storage == "date":
        return {"type": "date_nanos"}
    return {"type": storage}


def build_mapping(registry: FieldRegistry) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    words: dict[str, Any] = {}
    dates: dict[str, Any] = {}
    for field in registry:
        node = properties
        parts = path_of(field).split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {"type": "object", "properties": {}})["properties"]
        node[parts[-1]] = field_mapping(field)
        if field.is_text:
            words[field.name] = {"type": "text", "analyzer": "whitespace", "norms": False}
        if field.storage_type == "date":
            dates[field.name] = {"type": "date"}
    properties[WORDS_ROOT] = {"type": "object", "properties": words}
    properties[HISTOGRAM_ROOT] = {"type": "object", "properties": dates}
    properties["crash_id"] = {"type": "keyword"}
    properties["crash_key"] = {"type": "long"}
    properties["removed_fields"] = {"type": "keyword"}
    return {
        "dynamic": "false",
        "_source": {"excludes": [WORDS_ROOT, HISTOGRAM_ROOT]},
        "properties": properties,
    }


def index_body(
    registry: FieldRegistry, shards: int, replicas: int, refresh_interval: str = "5s"
) -> dict[str, Any]:
    return {
        "settings": {
            "number_of_shards": shards,
            "number_of_replicas": replicas,
            "refresh_interval": refresh_interval,
        },
        "mappings": build_mapping(registry),
    }
