"""The field registry, redaction of parameters and hits, and choosing a backend by URL."""

from __future__ import annotations

import pytest

from jansky.schemas import ANONYMOUS, VIEW_PII, load_schema
from jansky.search import InvalidSearchUrl, open_search
from jansky.search.fields import get_registry
from jansky.search.redaction import redact_hit, sanitize_params
from jansky.search.sqlite.backend import SqliteSearch

REGISTRY = get_registry()


def test_registry_mirrors_the_schema() -> None:
    descriptors = load_schema("processed_crash").search_fields()
    assert [f.name for f in REGISTRY] == [d.name for d in descriptors]
    described = REGISTRY.super_search_fields()
    platform = described["platform"]
    assert platform["source_key"] == "processed_crash.os_name"
    assert platform["data_validation_type"] == "enum"
    assert platform["storage_mapping"]["fields"] == {"full": {"type": "keyword"}}
    assert described["url"]["permissions_needed"] == ["crashstats.view_pii"]
    assert described["signature"]["permissions_needed"] == []


def test_sanitize_drops_protected_references() -> None:
    params = {
        "url": ["x"],
        "product": ["Firefox"],
        "_facets": ["url", "signature", "_cardinality.user_comments"],
        "_sort": ["-url", "date"],
        "_columns": ["uuid", "url", "nope"],
        "_aggs.product.url": ["version"],
        "_aggs.product": ["url", "_histogram.date"],
        "_histogram_interval.phc_usable_size": ["10"],
    }
    assert sanitize_params(params, REGISTRY, ANONYMOUS) == {
        "product": ["Firefox"],
        "_facets": ["signature"],
        "_sort": ["date"],
        "_columns": ["uuid", "nope"],
        "_aggs.product": ["_histogram.date"],
    }
    assert sanitize_params(params, REGISTRY, VIEW_PII) == params


def test_redact_hit_removes_protected_keys() -> None:
    hit = {"uuid": "x", "url": None, "user_comments": "hi"}
    assert redact_hit(hit, REGISTRY, ANONYMOUS) == {"uuid": "x"}
    assert redact_hit(hit, REGISTRY, VIEW_PII) == hit


def test_open_search_by_url(tmp_path) -> None:
    backend = open_search(f"sqlite://{tmp_path}/search.db")
    assert isinstance(backend, SqliteSearch)
    backend.close()
    for url in ("search.db", "sqlite://", "mysql://host/db"):
        with pytest.raises(InvalidSearchUrl):
            open_search(url)


def test_open_search_from_settings(tmp_path) -> None:
    backend = open_search(env={"DATA_DIR": str(tmp_path)})
    assert isinstance(backend, SqliteSearch) and backend.path == tmp_path / "search.db"
    backend.close()
