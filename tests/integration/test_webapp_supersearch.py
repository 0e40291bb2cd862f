"""The API over every search backend, with crashes processed by the real processor.

The shared minidumps are processed once (real minidump-stackwalk, test symbols) into file
storage; the processed crashes are then indexed into SQLite, OpenSearch and Elasticsearch
(random index prefixes, deleted at the end) and the API is queried over each.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from jansky.search import open_search
from jansky.search.settings import SearchSettings
from jansky.storage import FilesystemCrashStorage
from tests.processed_crashes import PROTECTED_MARK, process_shared_minidumps
from tests.servers import server_env
from tests.unit.webapp.conftest import make_user
from webapp.crashstats import backends
from webapp.crashstats.permissions import RUN_CUSTOM_QUERIES


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("webapp-search")


@pytest.fixture(scope="module")
def processed(work: Path) -> list[dict[str, Any]]:
    storage = FilesystemCrashStorage(work / "crashes")
    indexer = open_search(f"sqlite://{work / 'processing.db'}")
    try:
        return process_shared_minidumps(storage, indexer, work)
    finally:
        indexer.close()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("opensearch", marks=pytest.mark.integration),
        pytest.param("elasticsearch", marks=pytest.mark.integration),
    ]
)
def search_url(request, work, processed, settings) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite://{work / f'{uuid.uuid4().hex}.db'}"
    else:
        key = "SEARCH_URL" if request.param == "opensearch" else "ELASTICSEARCH_URL"
        url = server_env(key)[key]
    settings.JANSKY_CORE = dataclasses.replace(
        settings.JANSKY_CORE, storage_url=f"file://{work / 'crashes'}", search_url=url
    )
    prefix = f"jw{uuid.uuid4().hex[:10]}"
    settings.JANSKY_SEARCH = SearchSettings(index_template=f"{prefix}%Y%W", replicas=0)
    settings.RATELIMIT_ENABLE = False
    search = backends.search()
    result = search.index_crashes((crash["uuid"], crash) for crash in processed)
    assert result.ok, result.failed
    search.refresh()
    yield request.param
    if request.param != "sqlite":
        search.client.delete(search.all_indices())
    backends.reset()


@pytest.fixture
def pii_client(db) -> Client:
    from django.contrib.auth.models import Group

    user = User.objects.create_user("hacker", "hacker@example.com", "password")
    user.groups.add(Group.objects.get(name="Hackers"))
    client = Client()
    client.force_login(user)
    return client


def test_search_facets_real_signatures(search_url, processed, db):
    answer = (
        Client()
        .get(
            "/api/SuperSearch/",
            {"_columns": ["uuid", "signature", "product"], "_facets": ["signature", "product"]},
        )
        .json()
    )
    assert answer["total"] == len(processed)
    assert {hit["uuid"] for hit in answer["hits"]} == {crash["uuid"] for crash in processed}
    signatures = Counter(crash["signature"] for crash in processed)
    assert {b["term"]: b["count"] for b in answer["facets"]["signature"]} == signatures
    assert "(anonymous namespace)::CrashFunction" in signatures  # test.dmp, walked with symbols
    products = Counter(crash["product"] for crash in processed)
    assert {b["term"]: b["count"] for b in answer["facets"]["product"]} == products


def test_filters_and_aggregations(search_url, processed, db):
    client = Client()
    firefox = client.get("/api/SuperSearch/", {"product": "Firefox", "_columns": "uuid"}).json()
    assert firefox["total"] == sum(crash["product"] == "Firefox" for crash in processed)
    answer = client.get(
        "/api/SuperSearch/",
        {
            "_aggs.product.version": "_cardinality.signature",
            "_histogram.date": "platform",
            "_results_number": "0",
            "_facets": [],
        },
    ).json()
    versions = {
        (bucket["term"], sub["term"])
        for bucket in answer["facets"]["product"]
        for sub in bucket["facets"]["version"]
    }
    assert versions == {(crash["product"], crash["version"]) for crash in processed}
    days = answer["facets"]["histogram_date"]
    assert sum(bucket["count"] for bucket in days) == len(processed)
    assert all(bucket["term"].endswith("T00:00:00+00:00") for bucket in days)


def test_protected_data_only_for_view_pii(search_url, processed, pii_client):
    params = {"_columns": ["uuid", "url", "user_comments"], "_facets": ["url"]}
    anonymous = Client().get("/api/SuperSearch/", params)
    assert PROTECTED_MARK not in anonymous.content.decode()
    assert all(list(hit) == ["uuid"] for hit in anonymous.json()["hits"])
    assert "url" not in anonymous.json()["facets"]
    assert Client().get("/api/SuperSearchUnredacted/", params).status_code == 403
    unredacted = pii_client.get("/api/SuperSearchUnredacted/", params).json()
    assert all(hit["user_comments"].startswith(PROTECTED_MARK) for hit in unredacted["hits"])
    assert len(unredacted["facets"]["url"]) == len(processed)


def test_crash_endpoints_and_verify(search_url, processed, pii_client):
    crash_id = processed[0]["uuid"]
    public = Client().get("/api/ProcessedCrash/", {"crash_id": crash_id})
    assert public.json()["signature"] == processed[0]["signature"]
    assert PROTECTED_MARK not in public.content.decode()
    assert "json_dump" in public.json()
    full = pii_client.get("/api/ProcessedCrash/", {"crash_id": crash_id}).json()
    assert full["url"].startswith("https://example.com/" + PROTECTED_MARK)
    dump = pii_client.get(
        "/api/RawCrash/", {"crash_id": crash_id, "format": "raw", "name": "upload_file_minidump"}
    )
    assert dump.content.startswith(b"MDMP")
    verify = Client().get("/api/CrashVerify/", {"crash_id": crash_id}).json()
    assert verify == {
        "uuid": crash_id,
        "raw_crash": True,
        "processed_crash": True,
        "elasticsearch_crash": True,
    }


def test_custom_query_page_runs_its_query_on_each_backend(search_url, processed, db):
    client = Client()
    client.force_login(make_user("plus", RUN_CUSTOM_QUERIES))
    page = client.get("/search/custom/", {"product": "Firefox", "_columns": "uuid"})
    assert page.status_code == 200
    context = page.context
    query, indices = context["query_text"], context["selected"]
    assert indices
    answer = client.post("/search/query/", {"query": query, "indices": indices})
    assert answer.status_code == 200
    firefox = {crash["uuid"] for crash in processed if crash["product"] == "Firefox"}
    body = answer.json()
    if search_url == "sqlite":
        found = {row[0] for row in body["rows"]}
    else:
        found = {hit["_id"] for hit in body["hits"]["hits"]}
    assert found == firefox
