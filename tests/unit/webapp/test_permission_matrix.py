"""Who gets what: every kind of caller against every permission-gated answer.

A caller's expected permissions are stated here; each capability is then checked both ways
(allowed callers get it, everyone else gets the documented refusal or the redacted answer).
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from jansky.crashid import create_crash_id
from tests.unit.webapp.conftest import make_user
from tests.unit.webapp.crashdata import store_crash

NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
EXPIRED = "API Token found but expired"

# caller -> the crashstats permissions its requests must have
CALLERS = {
    "anonymous": set(),
    "logged in, no permissions": set(),
    "view_pii": {"view_pii"},
    "view_rawdump": {"view_rawdump"},
    "reprocess_crashes": {"reprocess_crashes"},
    "Hackers member": {"view_pii", "view_rawdump", "reprocess_crashes", "run_long_queries"},
    "token with a subset": {"view_rawdump"},
    "superuser's token without permissions": set(),
    "token whose owner lost the permissions": set(),
    "expired token": None,  # refused outright
}


def hackers_member(username: str) -> User:
    user = make_user(username)
    user.groups.add(Group.objects.get(name="Hackers"))
    return User.objects.get(pk=user.pk)


def client_for(caller: str, make_client, token_for) -> Client:
    if caller == "anonymous":
        return make_client()
    if caller == "logged in, no permissions":
        return make_client(make_user("plain"))
    if caller in {"view_pii", "view_rawdump", "reprocess_crashes"}:
        return make_client(make_user(caller, caller))
    if caller == "Hackers member":
        return make_client(hackers_member("member"))
    if caller == "token with a subset":
        return make_client(token=token_for(hackers_member("member"), "view_rawdump"))
    if caller == "superuser's token without permissions":
        boss = User.objects.create_superuser("boss", "boss@example.com", "password")
        return make_client(token=token_for(boss))
    if caller == "token whose owner lost the permissions":
        owner = hackers_member("leaver")
        key = token_for(owner, "view_pii", "view_rawdump", "reprocess_crashes")
        owner.groups.clear()
        return make_client(token=key)
    if caller == "expired token":
        key = token_for(
            hackers_member("late"),
            "view_pii",
            "view_rawdump",
            "reprocess_crashes",
            expires=timezone.now() - datetime.timedelta(seconds=1),
        )
        return make_client(token=key)
    raise AssertionError(caller)


@pytest.fixture
def crash_id(crash_backends) -> str:
    crash_id = create_crash_id(NOW)
    store_crash(crash_backends, crash_id, NOW)
    return crash_id


@pytest.mark.parametrize("caller", list(CALLERS))
def test_permission_matrix(caller, make_client, token_for, crash_id):
    client = client_for(caller, make_client, token_for)
    allowed = CALLERS[caller]
    requests = {
        "unredacted search": client.get("/api/SuperSearchUnredacted/", {"_columns": "url"}),
        "search": client.get("/api/SuperSearch/", {"_columns": ["uuid", "url"]}),
        "processed": client.get("/api/ProcessedCrash/", {"crash_id": crash_id}),
        "raw meta": client.get("/api/RawCrash/", {"crash_id": crash_id}),
        "dump": client.get("/api/RawCrash/", {"crash_id": crash_id, "format": "raw"}),
        "reprocess": client.post("/api/Reprocessing/", {"crash_ids": crash_id}),
        "whoami": client.get("/api/whoami/"),
    }
    if allowed is None:
        for response in requests.values():
            assert response.status_code == 403
            assert response.json() == {"error": EXPIRED}
        return

    pii = "view_pii" in allowed
    assert requests["unredacted search"].status_code == (200 if pii else 403)
    assert requests["search"].status_code == 200
    assert ("url" in requests["search"].json()["hits"][0]) is pii
    assert ("user_comments" in requests["processed"].json()) is pii
    assert ("URL" in requests["raw meta"].json()) is pii
    assert requests["dump"].status_code == (200 if "view_rawdump" in allowed else 403)
    assert requests["reprocess"].status_code == (200 if "reprocess_crashes" in allowed else 403)
    effective = {p["codename"] for p in requests["whoami"].json()["permissions"]}
    assert effective == allowed
