"""The other endpoints: Reprocessing, bugs and signatures, MissingProcessedCrash, whoami,
NoOp, VersionString and CrashSignature."""

from __future__ import annotations

import datetime

from django.utils import timezone

from jansky.crashid import create_crash_id
from jansky.queue import REPROCESSING
from tests.unit.webapp.conftest import make_user
from webapp.crashstats.models import (
    BugAssociation,
    MissingProcessedCrash,
    ProductVersion,
    Signature,
)


def received(queue) -> list[str]:
    return sorted(message.body for message in queue.receive(REPROCESSING, max_messages=10))


def test_reprocessing_queues_ids_with_rulesets(make_client, crash_backends):
    client = make_client(make_user("reprocessor", "reprocess_crashes"))
    first, second = create_crash_id(), create_crash_id()
    response = client.post(
        "/api/Reprocessing/",
        {"crash_ids": [first, f"bp-{second}:regenerate_signature"]},
    )
    assert response.status_code == 200
    assert response.json() is True
    assert received(crash_backends.queue) == sorted([first, f"{second}:regenerate_signature"])


def test_reprocessing_refuses_bad_input_and_queues_nothing(make_client, crash_backends):
    client = make_client(make_user("reprocessor", "reprocess_crashes"))
    good = create_crash_id()
    response = client.post("/api/Reprocessing/", {"crash_ids": [good, "nope"]})
    assert response.status_code == 400
    assert response.json()["error"].startswith("Bad request: InvalidCrashId: invalid crash id")
    response = client.post("/api/Reprocessing/", {"crash_ids": [f"{good}:everything"]})
    assert response.status_code == 400
    assert "unknown ruleset 'everything'" in response.json()["error"]
    response = client.post("/api/Reprocessing/", {})
    assert response.json()["errors"] == {"crash_ids": ["This field is required."]}
    assert received(crash_backends.queue) == []


def test_reprocessing_is_post_only(make_client):
    client = make_client(make_user("reprocessor", "reprocess_crashes"))
    response = client.get("/api/Reprocessing/", {"crash_ids": create_crash_id()})
    assert response.status_code == 405
    assert response.json() == {"error": "Method not allowed"}
    assert response["Allow"] == "POST, OPTIONS"


def test_bugs_and_related_signatures(anonymous):
    BugAssociation.objects.bulk_create(
        [
            BugAssociation(bug_id=20, signature="OOM | small"),
            BugAssociation(bug_id=20, signature="OOM | large"),
            BugAssociation(bug_id=10, signature="OOM | small"),
            BugAssociation(bug_id=30, signature="unrelated"),
        ]
    )
    expected = {
        "hits": [
            {"id": 10, "signature": "OOM | small"},
            {"id": 20, "signature": "OOM | large"},
            {"id": 20, "signature": "OOM | small"},
        ],
        "total": 3,
    }
    assert anonymous.get("/api/Bugs/", {"signatures": "OOM | small"}).json() == expected
    assert anonymous.post("/api/Bugs/", {"signatures": "OOM | small"}).json() == expected
    response = anonymous.get("/api/SignaturesByBugs/", {"bug_ids": ["20", "30"]})
    assert response.json()["total"] == 3
    bad = anonymous.get("/api/SignaturesByBugs/", {"bug_ids": ["20", "x"]})
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"bug_ids": ["Enter a whole number."]}
    assert anonymous.get("/api/Bugs/").status_code == 400


def test_signature_first_date(anonymous):
    when = datetime.datetime(2024, 9, 2, 10, 0, tzinfo=datetime.UTC)
    Signature.objects.create(signature="OOM | small", first_build=20240901093012, first_date=when)
    Signature.objects.create(signature="other", first_build=None, first_date=None)
    answer = anonymous.get(
        "/api/SignatureFirstDate/", {"signatures": ["OOM | small", "other", "absent"]}
    ).json()
    assert answer == {
        "hits": [
            {
                "signature": "OOM | small",
                "first_build": "20240901093012",
                "first_date": "2024-09-02T10:00:00+00:00",
            },
            {"signature": "other", "first_build": None, "first_date": None},
        ],
        "total": 2,
    }


def test_missing_processed_crash_pages(anonymous):
    ids = [create_crash_id() for _ in range(1005)]
    MissingProcessedCrash.objects.bulk_create(
        MissingProcessedCrash(crash_id=crash_id, is_processed=i % 2 == 0)
        for i, crash_id in enumerate(ids)
    )
    first = anonymous.get("/api/MissingProcessedCrash/").json()
    assert first["count"] == 1005
    assert [row["crash_id"] for row in first["results"]] == ids[:1000]
    assert first["results"][0]["is_processed"] is True
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/MissingProcessedCrash/?page=2"
    second = anonymous.get("/api/MissingProcessedCrash/", {"page": "2"}).json()
    assert [row["crash_id"] for row in second["results"]] == ids[1000:]
    assert second["next"] is None
    assert second["previous"] == "http://testserver/api/MissingProcessedCrash/?page=1"
    assert anonymous.get("/api/MissingProcessedCrash/", {"page": "x"}).status_code == 400
    beyond = anonymous.get("/api/MissingProcessedCrash/", {"page": "3"})
    assert beyond.status_code == 404
    assert beyond.json() == {"error": "Invalid page."}


def test_whoami(anonymous, make_client, token_for):
    assert anonymous.get("/api/whoami/").json() == {
        "user": None,
        "permissions": [],
        "token": None,
    }
    alice = make_user("alice", "view_pii", "view_rawdump")
    assert [
        p["codename"] for p in make_client(alice).get("/api/whoami/").json()["permissions"]
    ] == [
        "view_pii",
        "view_rawdump",
    ]
    key = token_for(alice, "view_pii", notes="for scripts")
    answer = make_client(token=key).get("/api/whoami/").json()
    assert answer["user"] == "alice"
    assert answer["permissions"] == [
        {"codename": "view_pii", "name": "View Personal Identifiable Information"}
    ]
    assert answer["token"]["key_prefix"] == key[:6]
    assert answer["token"]["notes"] == "for scripts"


def test_noop(anonymous):
    assert anonymous.get("/api/NoOp/", {"product": "Firefox"}).json() == {"hits": [], "total": 0}
    assert anonymous.get("/api/NoOp/", {"product": "bad"}).status_code == 400
    assert anonymous.get("/api/NoOp/").status_code == 400


def test_version_string(anonymous):
    for version in ("134.0b5", "134.0rc1"):
        ProductVersion.objects.create(
            product_name="Firefox",
            release_channel="beta",
            major_version=134,
            release_version="134.0",
            version_string=version,
            build_id="20241201000000",
        )
    params = {"product": "Firefox", "channel": "beta", "build_id": "20241201000000"}
    answer = anonymous.get("/api/VersionString/", params).json()
    assert answer == {"hits": [{"version_string": "134.0b5"}], "total": 1}
    params["build_id"] = "1"
    assert anonymous.get("/api/VersionString/", params).json() == {"hits": [], "total": 0}


def test_crash_signature(anonymous):
    job = {
        "crashing_thread": 0,
        "threads": [{"frames": [{"function": "mozalloc_abort"}, {"function": "js::Foo"}]}],
        "os": "Linux",
    }
    response = anonymous.post(
        "/api/CrashSignature/", {"jobs": [job]}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["results"][0]["signature"] == "mozalloc_abort | js::Foo"
    empty = anonymous.post("/api/CrashSignature/", {"jobs": []}, content_type="application/json")
    assert empty.status_code == 400
    assert empty.json() == {"error": "no jobs specified"}


def test_expired_tokens_do_not_count_in_the_reference(make_client, token_for):
    alice = make_user("alice")
    token_for(alice)
    token_for(alice, expires=timezone.now() - datetime.timedelta(days=1))
    reference = make_client(alice).get("/api/", {"format": "json"}).json()
    assert reference["authentication"]["your_active_tokens"] == 1
