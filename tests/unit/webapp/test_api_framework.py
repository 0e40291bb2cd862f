"""Behaviour every endpoint shares: routing, methods, CORS, errors, JSON format."""

from __future__ import annotations

import dataclasses

import pytest

from jansky.crashid import create_crash_id
from webapp.api.endpoints import ENDPOINTS
from webapp.api.endpoints.meta import NoOp


def test_unknown_endpoint(anonymous):
    response = anonymous.get("/api/Nope/")
    assert response.status_code == 404
    assert response.json() == {"error": "No service called 'Nope'"}


def test_trailing_slash_is_required(anonymous):
    response = anonymous.get("/api/SuperSearch")
    assert response.status_code == 301
    assert response["Location"] == "/api/SuperSearch/"


def test_catalogue():
    assert list(ENDPOINTS) == [
        "Bugs",
        "CrashSignature",
        "CrashVerify",
        "MissingProcessedCrash",
        "MissingSymbols",
        "NoOp",
        "ProcessedCrash",
        "RawCrash",
        "Reprocessing",
        "SignatureFirstDate",
        "SignaturesByBugs",
        "SuperSearch",
        "SuperSearchFields",
        "SuperSearchUnredacted",
        "VersionString",
        "whoami",
    ]


def test_cors_on_get_and_preflight(anonymous):
    response = anonymous.get(
        "/api/NoOp/", {"product": "x"}, headers={"Origin": "https://a.example"}
    )
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response
    preflight = anonymous.options(
        "/api/SuperSearch/",
        headers={
            "Origin": "https://a.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "auth-token",
        },
    )
    assert preflight.status_code == 200
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    assert "auth-token" in preflight["Access-Control-Allow-Headers"]
    assert "POST" not in preflight["Access-Control-Allow-Methods"]
    page = anonymous.get("/api/tokens/", headers={"Origin": "https://a.example"})
    assert "Access-Control-Allow-Origin" not in page


def test_options_without_cors_lists_methods(anonymous):
    response = anonymous.options("/api/Bugs/")
    assert response.status_code == 200
    assert response["Allow"] == "GET, POST, OPTIONS"


def test_nul_characters_are_refused(anonymous):
    response = anonymous.get("/api/SuperSearch/", {"signature": "a\x00b"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"signature": ["Null characters are not allowed."]}


def test_pretty_print_and_script_escaping(anonymous, crash_backends):
    crash_id = create_crash_id()
    crash_backends.storage.save_raw_crash(crash_id, {"ProductName": "</script><b>"}, {})
    compact = anonymous.get("/api/RawCrash/", {"crash_id": crash_id})
    assert b"<\\/script>" in compact.content and b"</script>" not in compact.content
    assert compact.json()["ProductName"] == "</script><b>"
    pretty = anonymous.get("/api/RawCrash/", {"crash_id": crash_id, "pretty": "print"})
    assert pretty.content.startswith(b'{\n  "')


def test_unexpected_errors_answer_json_500(anonymous, monkeypatch):
    def explode(self, call):
        raise RuntimeError("boom")

    monkeypatch.setattr(NoOp, "handle", explode)
    response = anonymous.get("/api/NoOp/", {"product": "x"})
    assert response.status_code == 500
    assert response.json() == {
        "error": "Internal Server Error",
        "path": "/api/NoOp/",
        "query_string": "product=x",
    }


def test_backend_down_answers_503(anonymous, settings, tmp_path):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the search database's folder should be")
    settings.JANSKY_CORE = dataclasses.replace(
        settings.JANSKY_CORE, search_url=f"sqlite://{blocked}/search.db"
    )
    response = anonymous.get("/api/SuperSearch/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json()["error"] == (
        "Service Unavailable: the search backend did not answer (SearchError); try again later"
    )


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_every_endpoint_is_in_the_reference(anonymous, name):
    reference = anonymous.get("/api/", {"format": "json"}).json()
    described = {endpoint["name"]: endpoint for endpoint in reference["endpoints"]}
    endpoint = ENDPOINTS[name]
    assert described[name]["methods"] == list(endpoint.methods)
    assert [p["name"] for p in described[name]["parameters"]] == [
        f"{p.name}<field>" if p.prefix else p.name for p in endpoint.parameters
    ]
    assert described[name]["description"]


def test_other_api_paths_answer_json_404(anonymous):
    response = anonymous.get("/api/SuperSearch/extra/", {"a": "1"})
    assert response.status_code == 404
    assert response.json() == {
        "error": "Page not found",
        "path": "/api/SuperSearch/extra/",
        "query_string": "a=1",
    }
    assert anonymous.get("/no/such/page/")["Content-Type"].startswith("text/html")
