"""SuperSearch, SuperSearchUnredacted and SuperSearchFields through the API (SQLite search)."""

from __future__ import annotations

import datetime

import pytest

from jansky.search import get_registry
from jansky.search.corpus import Corpus
from tests.unit.webapp.conftest import make_user
from tests.unit.webapp.crashdata import SECRET, processed_crash

NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
COUNT = 60


@pytest.fixture
def indexed(crash_backends) -> list[dict]:
    crashes = []
    for crash_id, crash in Corpus(NOW, days=3, seed=3, signature_count=8).crashes(COUNT):
        when = datetime.datetime.fromisoformat(crash["date_processed"])
        public = {k: v for k, v in crash.items() if k not in {"user_comments", "url"}}
        crashes.append(processed_crash(crash_id, when, **public))
    result = crash_backends.search.index_crashes((c["uuid"], c) for c in crashes)
    assert result.ok
    return crashes


def test_hits_total_and_default_facet(anonymous, indexed):
    response = anonymous.get("/api/SuperSearch/", {"_columns": ["uuid", "signature"]})
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=300"
    answer = response.json()
    assert answer["total"] == COUNT
    assert [list(hit) for hit in answer["hits"]] == [["uuid", "signature"]] * COUNT
    counts = {}
    for crash in indexed:
        counts[crash["signature"]] = counts.get(crash["signature"], 0) + 1
    assert {b["term"]: b["count"] for b in answer["facets"]["signature"]} == counts
    assert answer["errors"] == []


def test_protected_fields_are_dropped_for_anonymous(anonymous, indexed):
    params = {
        "_columns": ["uuid", "url", "user_comments"],
        "_facets": ["url", "product"],
        "_aggs.product": ["user_comments"],
        "user_comments": "~nothing matches this",
        "_sort": "-url",
    }
    answer = anonymous.get("/api/SuperSearch/", params).json()
    assert answer["total"] == COUNT  # the protected filter was dropped, not applied
    assert all(list(hit) == ["uuid"] for hit in answer["hits"])
    assert set(answer["facets"]) == {"product"}
    assert all(
        "facets" not in bucket or bucket["facets"] == {} for bucket in answer["facets"]["product"]
    )
    assert SECRET not in anonymous.get("/api/SuperSearch/", params).content.decode()


def test_view_pii_sees_protected_fields(make_client, indexed):
    client = make_client(make_user("pii", "view_pii"))
    params = {"_columns": ["uuid", "user_comments"], "user_comments": "~user_comments"}
    for name in ("SuperSearch", "SuperSearchUnredacted"):
        answer = client.get(f"/api/{name}/", params).json()
        assert answer["total"] == COUNT
        assert all(hit["user_comments"].startswith(SECRET) for hit in answer["hits"])


def test_unredacted_needs_view_pii(anonymous, make_client, indexed):
    expected = {
        "error": "Use of this endpoint requires the 'View Personal Identifiable Information' "
        "permission"
    }
    for client in (anonymous, make_client(make_user("plain"))):
        response = client.get("/api/SuperSearchUnredacted/")
        assert response.status_code == 403
        assert response.json() == expected


def test_paging_contract(anonymous, indexed):
    seen = []
    offset = 0
    while True:
        page = anonymous.get(
            "/api/SuperSearch/",
            {
                "_results_offset": offset,
                "_results_number": 25,
                "_sort": "-date",
                "_facets_size": 0,
                "_columns": "uuid",
            },
        ).json()
        assert page["total"] == COUNT and page["facets"] == {}
        if not page["hits"]:
            break
        seen += [hit["uuid"] for hit in page["hits"]]
        offset += 25
    newest_first = sorted(indexed, key=lambda crash: crash["date_processed"], reverse=True)
    assert seen == [crash["uuid"] for crash in newest_first]


def test_date_with_a_space_and_histograms(anonymous, indexed):
    day = NOW.date()
    params = {
        "date": [f">={day - datetime.timedelta(days=5)} 00:00:00", f"<{day} 23:59:59"],
        "_histogram.date": "product",
        "_facets": ["_cardinality.signature"],
        "_results_number": 0,
    }
    answer = anonymous.get("/api/SuperSearch/", params).json()
    buckets = answer["facets"]["histogram_date"]
    assert buckets and all(b["term"].endswith("T00:00:00+00:00") for b in buckets)
    assert all("product" in b["facets"] for b in buckets)
    assert answer["facets"]["cardinality_signature"]["value"] >= 1
    assert sum(b["count"] for b in buckets) == answer["total"]


def test_bad_arguments(anonymous, indexed):
    response = anonymous.get("/api/SuperSearch/", {"_columns": "nope"})
    assert response.status_code == 400
    assert response.json() == {"error": "Bad request: BadArgumentError: Unknown field 'nope'"}
    response = anonymous.get("/api/SuperSearch/", {"_results_number": "1001"})
    assert response.json()["error"] == (
        "Bad request: BadArgumentError: _results_number cannot be greater than 1,000"
    )
    response = anonymous.get("/api/SuperSearch/", {"_results_number": "many"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"_results_number": ["Enter a whole number."]}
    response = anonymous.get("/api/SuperSearch/", {"date": "2024-10-01"})
    assert "date must have a prefix operator" in response.json()["error"]


def test_return_query(anonymous, indexed):
    answer = anonymous.get("/api/SuperSearch/", {"_return_query": "true", "product": "X"}).json()
    assert set(answer) == {"query", "indices"}


def test_unknown_parameters_are_ignored(anonymous, indexed):
    answer = anonymous.get("/api/SuperSearch/", {"no_such_thing": "1"}).json()
    assert answer["total"] == COUNT


def test_super_search_fields(anonymous):
    fields = anonymous.get("/api/SuperSearchFields/").json()
    assert set(fields) == {field.name for field in get_registry()}
    assert fields["url"]["permissions_needed"] == ["crashstats.view_pii"]
    assert fields["url"]["webapp_permissions_needed"] == ["crashstats.view_pii"]
    assert fields["product"]["permissions_needed"] == []
    assert fields["build_id"]["in_database_name"] == "build"
