"""``bugassociations`` against a fake Bugzilla REST server on a local port, started here."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management.base import CommandError

from cronrun.tasks import bugzilla
from cronrun.tasks.bugzilla import find_signatures
from tests.unit.cronrun.conftest import run_command
from webapp.crashstats.models import Bug, BugAssociation

pytestmark = pytest.mark.django_db


class FakeBugzilla(ThreadingHTTPServer):
    """Answers GET /rest/bug from ``bugs``, paged by limit and offset; records each request."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), BugzillaHandler)
        self.bugs: list[dict[str, Any]] = []
        self.requests: list[tuple[str, dict[str, list[str]], Message]] = []
        self.status = 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/rest"


class BugzillaHandler(BaseHTTPRequestHandler):
    server: FakeBugzilla

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        self.server.requests.append((parts.path, query, self.headers))
        if self.server.status != 200:
            self._answer(self.server.status, {"error": True, "message": "Bugzilla is unhappy"})
            return
        offset, limit = int(query["offset"][0]), int(query["limit"][0])
        self._answer(200, {"bugs": self.server.bugs[offset : offset + limit]})

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def fake_bugzilla(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBugzilla]:
    server = FakeBugzilla()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("CRON_BUGZILLA_URL", server.url + "/")
    monkeypatch.setenv("CRON_BUGZILLA_API_KEY", "secret-key")
    yield server
    server.shutdown()
    server.server_close()


def links() -> set[tuple[int, str]]:
    return set(BugAssociation.objects.values_list("bug_id", "signature"))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[@ OOM | small]", {"OOM | small"}),
        ("[@ a ]\r\n[@ b]  [@  c::d<T>[] ]", {"a", "b", "c::d<T>[]"}),
        ("[@ js::Foo[1]] and more [@ bar]", {"js::Foo[1]", "bar"}),
        ("no signature here", set()),
        ("[@ unterminated", set()),
        ("[@ ]", set()),
        (None, set()),
    ],
)
def test_find_signatures(text, expected):
    assert find_signatures(text) == expected


def test_off_without_a_url(monkeypatch):
    monkeypatch.delenv("CRON_BUGZILLA_URL", raising=False)
    assert "bugassociations: off" in run_command("bugassociations")


def test_links_follow_the_bugs(fake_bugzilla: FakeBugzilla, monkeypatch):
    monkeypatch.setattr(bugzilla, "PAGE_SIZE", 2)
    BugAssociation.objects.create(bug_id=1, signature="gone")
    BugAssociation.objects.create(bug_id=1, signature="OOM | small")
    BugAssociation.objects.create(bug_id=3, signature="emptied")
    BugAssociation.objects.create(bug_id=9, signature="untouched")
    fake_bugzilla.bugs = [
        {"id": 1, "cf_crash_signature": "[@ OOM | small]\r\n[@ js::GC ]"},
        {"id": 2, "cf_crash_signature": "[@ shutdownhang | nsThread::Spin]"},
        {"id": 3, "cf_crash_signature": ""},
        {"id": 4, "cf_crash_signature": "[@ a] [@ b]"},
        {"id": 5},
    ]

    dry = run_command("bugassociations", "--last-success=2024-03-08T10:00", "--dry-run")
    assert "bug 1: + js::GC" in dry and "bug 1: - gone" in dry and "would change" in dry
    assert len(links()) == 4

    output = run_command("bugassociations", "--last-success=2024-03-08T10:00")

    assert "5 bugs changed since 2024-03-08, changed the links of 4" in output
    assert links() == {
        (1, "OOM | small"),
        (1, "js::GC"),
        (2, "shutdownhang | nsThread::Spin"),
        (4, "a"),
        (4, "b"),
        (9, "untouched"),
    }
    # Two searches of three pages each: new bugs or changed signatures, then changed states.
    requests = fake_bugzilla.requests[-6:]
    assert [q["offset"] for _, q, _ in requests] == [["0"], ["2"], ["4"]] * 2
    (path, links_query, headers), (_, states_query, _) = requests[0], requests[3]
    assert path == "/rest/bug" and headers.get("X-Bugzilla-Api-Key") == "secret-key"
    for query in (links_query, states_query):
        assert query["chfieldfrom"] == ["2024-03-08"] and query["chfieldto"] == ["Now"]
        assert query["include_fields"] == ["id,cf_crash_signature,summary,status,resolution,groups"]
    assert links_query["chfield"] == ["[Bug creation]", "cf_crash_signature"]
    assert "f1" not in links_query  # a bug whose signatures were emptied must come too
    assert states_query["chfield"] == ["short_desc", "bug_status", "resolution"]
    assert (states_query["f1"], states_query["o1"]) == (["cf_crash_signature"], ["isnotempty"])


def test_bug_states_are_kept_for_the_pages(fake_bugzilla: FakeBugzilla):
    fake_bugzilla.bugs = [
        {
            "id": 7,
            "cf_crash_signature": "[@ OOM | small]",
            "summary": "Crash in [@ OOM | small]",
            "status": "RESOLVED",
            "resolution": "FIXED",
            "groups": [],
        },
        {"id": 8, "cf_crash_signature": "[@ secret]", "summary": "sec", "groups": ["core-sec"]},
        {"id": 9, "cf_crash_signature": "", "summary": "no longer a crash", "status": "NEW"},
    ]
    Bug.objects.create(bug_id=9, summary="stale", status="NEW")
    output = run_command("bugassociations", "--last-success=2024-03-08T10:00")
    assert "3 bugs changed" in output  # each bug counted once, though both searches list it
    assert list(Bug.objects.values_list("bug_id", "summary", "status", "resolution")) == [
        (7, "Crash in [@ OOM | small]", "RESOLVED", "FIXED")
    ]
    assert links() == {(7, "OOM | small"), (8, "secret")}


def test_without_a_last_success_it_reads_a_day(fake_bugzilla: FakeBugzilla):
    run_command("bugassociations", "--run-time=2024-03-09T10:00")
    assert fake_bugzilla.requests[0][1]["chfieldfrom"] == ["2024-03-08"]


def test_bugzilla_errors_fail_the_run(fake_bugzilla: FakeBugzilla, monkeypatch):
    fake_bugzilla.status = 401
    with pytest.raises(bugzilla.BugzillaError, match=r"answered 401: .*Bugzilla is unhappy"):
        run_command("bugassociations")
    monkeypatch.setenv("CRON_BUGZILLA_URL", "http://127.0.0.1:9/rest")
    with pytest.raises(bugzilla.BugzillaError, match="cannot reach Bugzilla"):
        run_command("bugassociations")
    monkeypatch.setenv("CRON_BUGZILLA_TIMEOUT", "x")
    with pytest.raises(
        CommandError, match="CRON_BUGZILLA_TIMEOUT requires a value parseable by float"
    ):
        run_command("bugassociations")
