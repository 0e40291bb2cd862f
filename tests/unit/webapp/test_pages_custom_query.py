"""Custom queries (/search/custom/, /search/query/): permission, the generated query, running it."""

from __future__ import annotations

import json
from html import unescape

import pytest

from tests.unit.webapp.conftest import make_user
from tests.unit.webapp.pagedata import index_crashes
from webapp.crashstats.permissions import RUN_CUSTOM_QUERIES


@pytest.fixture
def crashes(db, crash_backends) -> list[str]:
    return index_crashes(
        crash_backends,
        {"signature": "OOM | small", "product": "Firefox", "version": "133.0"},
        {"signature": "OOM | small", "product": "Firefox", "version": "134.0"},
        {"signature": "Fenix::crash", "product": "Fenix", "version": "133.1.0"},
    )


@pytest.fixture
def custom(make_client):
    return make_client(make_user("custom", RUN_CUSTOM_QUERIES))


def generated_query(client, **params) -> dict:
    response = client.get("/search/custom/", params)
    assert response.status_code == 200
    html = response.content.decode()
    text = html.split('class="code">', 1)[1].split("</textarea>", 1)[0]
    return json.loads(unescape(text))


def run(client, query: dict | str, indices=("crashes",)):
    text = query if isinstance(query, str) else json.dumps(query)
    return client.post("/search/query/", {"query": text, "indices": list(indices)})


@pytest.mark.parametrize("who", ["anonymous", "hacker"])
def test_custom_queries_need_their_permission(make_client, hacker, crashes, who):
    client = make_client(hacker if who == "hacker" else None)
    page = client.get("/search/custom/")
    assert page.status_code == 403 and b"Run Custom Queries" in page.content
    answer = run(client, {"sql": "SELECT uuid FROM crashes"})
    assert answer.status_code == 403 and "Run Custom Queries" in answer.json()["error"]
    results = client.get("/search/", {"product": "Firefox"}).content.decode()
    assert "/search/custom/" not in results


def test_the_page_holds_the_search_as_a_runnable_query(custom, crashes):
    results = custom.get("/search/", {"product": "Firefox"}).content.decode()
    assert 'href="/search/custom/?product=Firefox"' in results
    query = generated_query(custom, product="Firefox", _columns=["signature", "version"])
    assert query["sql"].startswith('SELECT c."signature", c."version" FROM crashes')
    answer = run(custom, query)
    assert answer.status_code == 200
    body = answer.json()
    assert body["columns"] == ["signature", "version"] and body["truncated"] is False
    assert sorted(body["rows"]) == [["OOM | small", "133.0"], ["OOM | small", "134.0"]]


def test_answers_are_not_redacted(custom, crashes):
    answer = run(custom, {"sql": "SELECT user_comments FROM crashes"}).json()
    assert len(answer["rows"]) == 3
    assert all(row[0].startswith("SECRET:") for row in answer["rows"])


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "the query is empty"),
        ("{not json", "the query is not JSON"),
        ("[1, 2]", "must be a JSON object"),
        ({"statement": "SELECT 1"}, "unknown keys: statement"),
        ({"sql": "SELECT ?", "parameters": [{"a": 1}]}, "parameters must be a list"),
        ({"sql": "DELETE FROM crashes"}, "not authorized"),
        ({"sql": "UPDATE crashes SET signature = 'x'"}, "not authorized"),
        ({"sql": "PRAGMA writable_schema = 1"}, "not authorized"),
        ({"sql": "ATTACH DATABASE '/tmp/x.db' AS x"}, "not authorized"),
        ({"sql": "SELECT 1; DROP TABLE crashes"}, "one statement at a time"),
        ({"sql": "SELECT no_such_column FROM crashes"}, "no such column"),
    ],
)
def test_bad_queries_get_a_clear_400_and_change_nothing(custom, crashes, query, message):
    answer = run(custom, query)
    assert answer.status_code == 400
    assert message in answer.json()["error"]
    assert len(run(custom, {"sql": "SELECT uuid FROM crashes"}).json()["rows"]) == 3


def test_unknown_indices_are_refused(custom, crashes):
    answer = run(custom, {"sql": "SELECT 1"}, indices=["crashes", "elsewhere"])
    assert answer.status_code == 400 and "no such table: elsewhere" in answer.json()["error"]


def test_rows_are_capped(custom, crashes):
    query = {
        "sql": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) "
        "SELECT i FROM n"
    }
    answer = run(custom, query).json()
    assert len(answer["rows"]) == 1000 and answer["truncated"] is True


def test_a_bad_search_still_opens_the_editor(custom, crashes):
    response = custom.get("/search/custom/", {"date": "2024-10-01"})
    assert response.status_code == 400
    assert b"date must have a prefix operator" in response.content
    assert b'name="indices"' in response.content


def test_posting_needs_the_csrf_token(make_client, crashes):
    client = make_client(make_user("custom", RUN_CUSTOM_QUERIES))
    client.handler.enforce_csrf_checks = True
    assert run(client, {"sql": "SELECT 1"}).status_code == 403
