"""ProcessedCrash, RawCrash and CrashVerify over the embedded backends."""

from __future__ import annotations

import datetime

import pytest

from jansky.crashid import create_crash_id
from tests.unit.webapp.conftest import make_user
from tests.unit.webapp.crashdata import DUMPS, SECRET, store_crash

NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)


@pytest.fixture
def crash_id(crash_backends) -> str:
    crash_id = create_crash_id(NOW)
    store_crash(crash_backends, crash_id, NOW)
    return crash_id


def test_processed_crash_public_fields_only_for_anonymous(anonymous, crash_id):
    response = anonymous.get("/api/ProcessedCrash/", {"crash_id": crash_id})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=UTF-8"
    assert response["Cache-Control"] == "private, no-store"
    crash = response.json()
    assert crash["uuid"] == crash_id and crash["product"]
    assert SECRET not in response.content.decode()
    for field in ("user_comments", "url", "collector_metadata", "has_guard_page_access"):
        assert field not in crash


def test_processed_crash_whole_for_view_pii(make_client, crash_id):
    client = make_client(make_user("pii", "view_pii"))
    crash = client.get("/api/ProcessedCrash/", {"crash_id": f"bp-{crash_id}"}).json()
    assert crash["user_comments"].startswith(SECRET)
    assert crash["has_guard_page_access"] is True


def test_processed_crash_ignores_extra_format_param(anonymous, crash_id):
    response = anonymous.get("/api/ProcessedCrash/", {"crash_id": crash_id, "format": "meta"})
    assert response.status_code == 200


def test_processed_crash_errors(anonymous, crash_backends):
    response = anonymous.get("/api/ProcessedCrash/")
    assert response.status_code == 400
    assert response.json()["errors"] == {"crash_id": ["This field is required."]}
    assert response.json()["error"] == "Bad request: crash_id: This field is required."
    response = anonymous.get("/api/ProcessedCrash/", {"crash_id": "not-a-crash"})
    assert response.status_code == 400
    assert "crash_id" in response.json()["errors"]
    missing = create_crash_id(NOW)
    response = anonymous.get("/api/ProcessedCrash/", {"crash_id": missing})
    assert response.status_code == 404
    assert response.json() == {
        "error": f"Not found: CrashIDNotFound {missing} has no processed crash"
    }


def test_processed_crash_not_processed_yet_is_404(anonymous, crash_backends):
    crash_id = create_crash_id(NOW)
    crash_backends.storage.save_raw_crash(crash_id, {"ProductName": "Firefox"}, {})
    assert anonymous.get("/api/ProcessedCrash/", {"crash_id": crash_id}).status_code == 404
    assert anonymous.get("/api/RawCrash/", {"crash_id": crash_id}).status_code == 200


def test_raw_crash_meta_is_reduced_by_schema(anonymous, make_client, crash_id):
    response = anonymous.get("/api/RawCrash/", {"crash_id": crash_id})
    assert response.status_code == 200
    raw = response.json()
    assert raw["ProductName"] == "Firefox"
    assert "metadata" not in raw and "URL" not in raw and "Comments" not in raw
    assert SECRET not in response.content.decode()
    full = make_client(make_user("pii", "view_pii")).get(
        "/api/RawCrash/", {"crash_id": crash_id, "format": "meta"}
    )
    assert full.json()["metadata"]["dump_checksums"].keys() == DUMPS.keys()
    assert full.json()["URL"].endswith(f"{SECRET}URL")


@pytest.mark.parametrize(
    ("name", "expected", "filename"),
    [
        (None, DUMPS["upload_file_minidump"], "{id}.dmp"),
        ("", DUMPS["upload_file_minidump"], "{id}.dmp"),
        ("dump", DUMPS["upload_file_minidump"], "{id}.dmp"),
        ("upload_file_minidump", DUMPS["upload_file_minidump"], "{id}.dmp"),
        ("memory_report", DUMPS["memory_report"], "memory_report.json.gz"),
    ],
)
def test_raw_crash_dump_download(make_client, crash_id, name, expected, filename):
    client = make_client(make_user("rawdump", "view_rawdump"))
    params = {"crash_id": crash_id, "format": "raw"}
    if name is not None:
        params["name"] = name
    response = client.get("/api/RawCrash/", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response.content == expected
    shown = filename.format(id=crash_id)
    assert response["Content-Disposition"] == f'attachment; filename="{shown}"'


def test_raw_crash_dump_needs_view_rawdump(make_client, anonymous, crash_id):
    for client in (anonymous, make_client(make_user("pii", "view_pii"))):
        response = client.get("/api/RawCrash/", {"crash_id": crash_id, "format": "raw"})
        assert response.status_code == 403
        assert response.json() == {"error": "Binary response requires permissions: View Raw Dumps"}


def test_raw_crash_errors(make_client, crash_id):
    client = make_client(make_user("rawdump", "view_rawdump"))
    response = client.get("/api/RawCrash/", {"crash_id": crash_id, "format": "xml"})
    assert response.status_code == 400
    assert "format" in response.json()["errors"]
    response = client.get("/api/RawCrash/", {"crash_id": crash_id, "format": "raw", "name": "x"})
    assert response.status_code == 404
    assert "has no dump 'x'" in response.json()["error"]
    bad = client.get("/api/RawCrash/", {"crash_id": crash_id, "format": "raw", "name": "../x"})
    assert bad.status_code == 400
    assert bad.json()["error"].startswith("Bad request: InvalidDumpName: invalid dump name")
    missing = client.get("/api/RawCrash/", {"crash_id": create_crash_id(NOW)})
    assert missing.status_code == 404


def test_crash_verify(anonymous, crash_backends, crash_id):
    response = anonymous.get("/api/CrashVerify/", {"crash_id": crash_id})
    assert response.json() == {
        "uuid": crash_id,
        "raw_crash": True,
        "processed_crash": True,
        "elasticsearch_crash": True,
    }
    only_raw = create_crash_id(NOW)
    crash_backends.storage.save_raw_crash(only_raw, {}, {})
    assert anonymous.get("/api/CrashVerify/", {"crash_id": only_raw}).json() == {
        "uuid": only_raw,
        "raw_crash": True,
        "processed_crash": False,
        "elasticsearch_crash": False,
    }
    response = anonymous.get("/api/CrashVerify/", {"crash_id": "nope"})
    assert response.status_code == 400
    assert response.json() == {"error": "unknown crash id"}
