"""No field the schemas mark protected reaches an anonymous caller, through any endpoint.

The crash documents fill every node of both schemas (``crashdata.full_document``): strings
under protected nodes carry ``SECRET:``, and every protected path is listed. Each anonymous
answer is checked for the marker and for those paths and field names; the same requests made
with view_pii must show the marker, so the data really was there to leak.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from jansky.crashid import create_crash_id
from jansky.schemas import load_schema
from jansky.search import get_registry
from tests.unit.webapp.conftest import make_user
from tests.unit.webapp.crashdata import DUMPS, SECRET, full_document, lookup

NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
REGISTRY = list(get_registry())
PROTECTED_FIELDS = [field.name for field in REGISTRY if field.is_protected]
AGGREGATABLE = [f.name for f in REGISTRY if f.aggregatable and f.validation_type != "datetime"]
PROTECTED_AGGREGATABLE = [name for name in PROTECTED_FIELDS if name in AGGREGATABLE]


@pytest.fixture
def stored(crash_backends) -> dict[str, Any]:
    crash_id = create_crash_id(NOW)
    processed = full_document(load_schema("processed_crash"))
    processed.document.update(uuid=crash_id, crash_id=crash_id, date_processed=NOW.isoformat())
    raw = full_document(load_schema("raw_crash"))
    raw.document.update(uuid=crash_id)
    crash_backends.storage.save_raw_crash(crash_id, raw.document, DUMPS)
    crash_backends.storage.save_processed_crash(crash_id, processed.document)
    result = crash_backends.search.index_crashes([(crash_id, processed.document)])
    assert result.ok, result.failed
    return {"crash_id": crash_id, "processed": processed, "raw": raw}


def search_requests() -> list[dict[str, Any]]:
    everything = [field.name for field in REGISTRY]
    return [
        {"_columns": everything},
        {"_columns": everything, "_facets": AGGREGATABLE, "_facets_size": "5"},
        {f"_aggs.{name}": AGGREGATABLE for name in ("product", "signature")},
        {"_histogram.date": AGGREGATABLE, "_facets": [f"_cardinality.{n}" for n in AGGREGATABLE]},
        {name: "__null__" for name in PROTECTED_FIELDS},
        {"_sort": [f"-{name}" for name in PROTECTED_AGGREGATABLE], "_columns": PROTECTED_FIELDS},
        {
            **{f"_aggs.{name}": ["product"] for name in PROTECTED_AGGREGATABLE},
            "_facets": PROTECTED_AGGREGATABLE,
        },
        {f"_histogram.{name}": ["product"] for name in ("phc_usable_size", "date")},
    ]


def field_names_in(value: Any) -> set[str]:
    """Every key of every mapping in ``value``, and every facet name's field."""
    found = set()
    if isinstance(value, dict):
        for key, sub in value.items():
            found.add(key.removeprefix("histogram_").removeprefix("cardinality_"))
            found |= field_names_in(sub)
    elif isinstance(value, list):
        for item in value:
            found |= field_names_in(item)
    return found


def test_every_protected_field_is_covered(stored):
    processed_paths = {path[0] for path in stored["processed"].protected_paths}
    assert set(load_schema("processed_crash").protected_fields()) <= processed_paths
    raw_paths = {path[0] for path in stored["raw"].protected_paths}
    assert set(load_schema("raw_crash").protected_fields()) <= raw_paths
    assert len(PROTECTED_FIELDS) >= 17
    # nested protected parts too (registers, guard-page flags, ...)
    assert any(len(path) > 2 for path in stored["processed"].protected_paths)


def test_no_protected_data_in_anonymous_crash_answers(anonymous, make_client, stored):
    crash_id = stored["crash_id"]
    pii = make_client(make_user("pii", "view_pii"))
    for endpoint, filled in (("ProcessedCrash", stored["processed"]), ("RawCrash", stored["raw"])):
        for params in ({"crash_id": crash_id}, {"crash_id": crash_id, "pretty": "print"}):
            response = anonymous.get(f"/api/{endpoint}/", params)
            assert response.status_code == 200
            assert SECRET not in response.content.decode()
            for path in filled.protected_paths:
                assert not lookup(response.json(), path), (endpoint, path)
        shown = pii.get(f"/api/{endpoint}/", {"crash_id": crash_id})
        assert SECRET in shown.content.decode()
        assert all(lookup(shown.json(), path) for path in filled.protected_paths)


@pytest.mark.parametrize("params", search_requests())
def test_no_protected_data_in_anonymous_searches(anonymous, make_client, stored, params):
    response = anonymous.get("/api/SuperSearch/", params)
    assert response.status_code == 200, response.content
    body = response.content.decode()
    assert SECRET not in body
    answer = response.json()
    assert answer["total"] == 1
    assert not field_names_in({"hits": answer["hits"], "facets": answer["facets"]}) & set(
        PROTECTED_FIELDS
    )
    shown = make_client(make_user("pii", "view_pii")).get("/api/SuperSearch/", params)
    assert shown.status_code == 200
    if set(params) <= set(PROTECTED_FIELDS):  # filters: the crash has every field
        assert shown.json()["total"] == 0
    else:
        assert field_names_in(shown.json()) & set(PROTECTED_FIELDS)


def test_no_protected_data_in_other_anonymous_answers(anonymous, stored):
    crash_id = stored["crash_id"]
    answers = [
        anonymous.get("/api/SuperSearchUnredacted/", {"_columns": PROTECTED_FIELDS}),
        anonymous.get("/api/RawCrash/", {"crash_id": crash_id, "format": "raw"}),
        anonymous.get("/api/CrashVerify/", {"crash_id": crash_id}),
        anonymous.get("/api/SuperSearch/", {"_columns": ["url", "nope"]}),
        anonymous.get("/api/SuperSearch/", {"url": "\x00"}),
        anonymous.get("/api/SuperSearch/", {"_return_query": "true", "url": "~SECRET"}),
        anonymous.get("/api/whoami/"),
    ]
    assert [answer.status_code for answer in answers] == [403, 403, 200, 400, 400, 200, 200]
    for answer in answers:
        assert SECRET not in answer.content.decode()
    query = json.dumps(answers[5].json())
    assert "url" not in query.replace("curl", "")  # the protected filter never reached the query
