"""The report page, its pending page, status checks and reprocessing, for every permission."""

from __future__ import annotations

import datetime
import time

import pytest

from jansky.crashid import create_crash_id
from jansky.queue import PRIORITY, REPROCESSING
from tests.unit.webapp.conftest import make_user
from tests.unit.webapp.crashdata import SECRET
from tests.unit.webapp.markup import forms_without_csrf, tags, unsafe_markup
from tests.unit.webapp.pagedata import HOSTILE, store_raw_only, store_report_crash

NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)


@pytest.fixture
def crash(crash_backends) -> str:
    crash_id, _ = store_report_crash(crash_backends, NOW)
    return crash_id


def page(client, crash_id: str, **query) -> tuple[int, str]:
    response = client.get(f"/report/index/{crash_id}", query)
    return response.status_code, response.content.decode()


def queued(crash_backends, queue: str) -> list[str]:
    return sorted(m.body for m in crash_backends.queue.receive(queue, max_messages=10))


def test_anonymous_report_shows_public_data_only(anonymous, crash):
    status, html = page(anonymous, crash)
    assert status == 200
    assert "You are seeing public data only" in html
    assert crash in html
    assert SECRET not in html  # URL, comments, registers, breadcrumbs, protected annotations
    assert 'id="rawdata"' in html and "/api/RawCrash/" not in html
    assert 'id="debug"' not in html and 'id="reprocess"' not in html
    assert "Crashing Thread" in html and "Show other threads (1)" in html


@pytest.mark.parametrize("codenames", [(), ("view_rawdump",), ("reprocess_crashes",)])
def test_logged_in_without_view_pii_sees_no_protected_data(make_client, crash, codenames):
    _, html = page(make_client(make_user("someone", *codenames)), crash)
    assert SECRET not in html
    assert "You are seeing public data only" in html


def test_view_pii_sees_protected_data_but_not_registers(make_client, crash):
    _, html = page(make_client(make_user("pii", "view_pii")), crash)
    assert "You are seeing public and protected data" in html
    assert f"{SECRET}user_comments" in html
    assert f"{SECRET}JavaStackTrace" in html  # a protected annotation
    assert "Protected data</h2>" in html
    assert f"/api/RawCrash/?crash_id={crash}" in html
    assert f"/api/ProcessedCrash/?crash_id={crash}" in html
    # Registers go with the dumps: view_pii alone does not show them, nor the dump links.
    assert f"{SECRET}register" not in html
    assert "format=raw" not in html
    assert 'id="debug"' not in html


def test_view_rawdump_gets_dump_links(make_client, crash):
    _, html = page(make_client(make_user("dumps", "view_rawdump")), crash)
    assert f"/api/RawCrash/?crash_id={crash}&amp;format=raw&amp;name=upload_file_minidump" in html
    assert "name=memory_report" in html
    assert SECRET not in html


def test_view_pii_and_rawdump_get_debug_tab(make_client, crash):
    _, html = page(make_client(make_user("both", "view_pii", "view_rawdump")), crash)
    assert 'id="debug"' in html
    assert f"{SECRET}signature debug" in html
    assert f"{SECRET}stackwalker stderr" in html
    assert f"{SECRET}register" in html  # the whole stackwalker output
    assert "note one\nnote two" in html


def test_superuser_sees_everything(make_client, crash):
    _, html = page(make_client(make_user("root", is_superuser=True)), crash)
    assert 'id="debug"' in html and 'id="reprocess"' in html


def test_crash_data_is_escaped(make_client, crash):
    for client in (make_client(), make_client(make_user("x", "view_pii", "view_rawdump"))):
        _, html = page(client, crash)
        assert HOSTILE not in html
        assert unsafe_markup(html) == []
        assert not [tag for tag, _ in tags(html) if tag == "img"]  # the hostile <img> stays text
        assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;" in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_no_inline_script_or_style(make_client, crash):
    client = make_client(make_user("all", is_superuser=True))
    _, html = page(client, crash)
    assert [tag for tag, attrs in tags(html) if tag == "script" and attrs.get("src")]
    assert unsafe_markup(html) == []
    assert forms_without_csrf(html) == []


def test_frames_sources_and_modules(anonymous, crash):
    _, html = page(anonymous, crash)
    assert (
        'href="https://hg.mozilla.org/mozilla-central/annotate/0123abcdef/dom/base/Element.cpp#l42"'
        in html
    )
    assert (
        'href="https://github.com/mozilla/gecko-dev/blob/fedcba987654/dom/base/Helper.h#L7"' in html
    )
    assert "mozilla::InlinedHelper" in html and "inlined" in html
    assert 'href="javascript:' not in html  # neither a frame's file nor a symbol URL
    assert "missing symbols" in html
    assert "gone.dll" in html  # unloaded modules


def test_bp_prefix_redirects_to_the_canonical_id(anonymous, crash):
    response = anonymous.get(f"/report/index/bp-{crash}")
    assert response.status_code == 302
    assert response["Location"] == f"/report/index/{crash}"


@pytest.mark.parametrize("bad", ["nope", "de1bb258-cbbf-4589-a673-34f800160918x", "%00"])
def test_malformed_id_is_400(anonymous, bad):
    response = anonymous.get(f"/report/index/{bad}")
    assert response.status_code == 400
    assert "Invalid crash ID" in response.content.decode()
    assert response["Content-Type"].startswith("text/html")


def test_unknown_crash_is_404_page(anonymous, crash_backends):
    crash_id = create_crash_id(NOW)
    status, html = page(anonymous, crash_id)
    assert status == 404
    assert "Crash Not Found" in html and crash_id in html


def test_pending_page_queues_priority_once_a_minute(anonymous, crash_backends):
    crash_id = store_raw_only(crash_backends, NOW)
    status, html = page(anonymous, crash_id)
    assert status == 200
    assert "is not processed yet" in html and "now queued with priority" in html
    assert f'data-status-url="/report/status/{crash_id}/"' in html
    assert '<noscript><meta http-equiv="refresh"' in html
    status, html = page(anonymous, crash_id)
    assert "queued with priority in the last minute" in html
    assert queued(crash_backends, PRIORITY) == [crash_id]  # once, not twice


def test_status_turns_true_once_processed(anonymous, crash_backends):
    crash_id = store_raw_only(crash_backends, NOW)
    response = anonymous.get(f"/report/status/{crash_id}/")
    assert response.status_code == 200 and response.json() == {"processed": False}
    assert response["Cache-Control"] == "no-store"
    crash_backends.storage.save_processed_crash(crash_id, {"uuid": crash_id})
    assert anonymous.get(f"/report/status/{crash_id}/").json() == {"processed": True}


def test_status_of_a_bad_id_is_json_400(anonymous):
    response = anonymous.get("/report/status/nope/")
    assert response.status_code == 400
    assert "Invalid crash ID" in response.json()["error"]


def test_reprocess_needs_the_permission(make_client, crash, crash_backends):
    client = make_client(make_user("plain"))
    response = client.post(f"/report/reprocess/{crash}/")
    assert response.status_code == 403
    assert queued(crash_backends, REPROCESSING) == []
    assert make_client().post(f"/report/reprocess/{crash}/").status_code == 403
    assert client.get(f"/report/reprocess/{crash}/").status_code == 405


def test_reprocess_queues_and_waits_for_a_newer_processed_crash(make_client, crash, crash_backends):
    client = make_client(make_user("fixer", "reprocess_crashes"))
    _, html = page(client, crash)
    assert f'action="/report/reprocess/{crash}/"' in html and "csrfmiddlewaretoken" in html
    response = client.post(f"/report/reprocess/{crash}/")
    assert response.status_code == 302
    assert queued(crash_backends, REPROCESSING) == [crash]
    location = response["Location"]
    assert location.startswith(f"/report/index/{crash}?reprocessed=")
    since = location.split("=", 1)[1]
    html = client.get(location).content.decode()
    assert "Reprocessing crash" in html and "queued for reprocessing" in html
    status = client.get(f"/report/status/{crash}/", {"since": since}).json()
    assert status == {"processed": False}
    newer = crash_backends.storage.load_processed_crash(crash)
    newer["completed_datetime"] = datetime.datetime.now(datetime.UTC).isoformat()
    crash_backends.storage.save_processed_crash(crash, newer)
    assert client.get(f"/report/status/{crash}/", {"since": since}).json() == {"processed": True}
    assert "Crash Report" in client.get(location).content.decode()


@pytest.mark.parametrize("offset", [-3600, 3600])
def test_stale_or_future_reprocessing_times_are_ignored(anonymous, crash, offset):
    _, html = page(anonymous, crash, reprocessed=str(time.time() + offset))
    assert "Crash Report" in html and "Reprocessing crash" not in html


def test_reprocess_csrf_is_enforced(db, crash):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("csrf", "reprocess_crashes"))
    assert client.post(f"/report/reprocess/{crash}/").status_code == 403


def test_bug_associations_show(anonymous, crash_backends):
    from webapp.crashstats.models import BugAssociation

    crash_id, processed = store_report_crash(crash_backends, NOW)
    BugAssociation.objects.create(bug_id=1234567, signature=processed["signature"])
    _, html = page(anonymous, crash_id)
    assert "show_bug.cgi?id=1234567" in html
